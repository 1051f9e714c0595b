{# Generic test, criterion "granularity": a published table holds every breakdown, down to its
   finest level, with every cell of each level. For each value of `by` and each grouping level
   (every combination of hierarchy depths, margins being var('total_label')), the level must
   hold as many cells as the product of the members found at those depths; with `suppressed`,
   a level whose every cell is withheld fails too (the breakdown exists only on paper). Fails
   with one row per level (failed_check, level, n_cells, n_expected); severity warn unless
   configured.
   - by: columns every cell is split by, without margins (e.g. the fiscal year); not empty
   - hierarchies: dimension columns, coarse to fine within each hierarchy
   - suppressed: optional boolean column, true on a withheld cell #}
{% test quality_granularity(model, by, hierarchies, suppressed=none) %}
{{ config(severity='warn') }}
{%- set total = var('total_label') %}
{%- set dimensions = hierarchies | sum(start=[]) %}

with

checked as (
    select * from {{ model }}
),

by_values as (
    select distinct {{ by | join(', ') }} from checked
),

{%- for hierarchy in hierarchies %}
{%- set hierarchy_index = loop.index %}
{%- for depth in range(1, hierarchy | length + 1) %}

members_{{ hierarchy_index }}_{{ depth }} as (
    select
        {{ by | join(', ') }},
        count(*) as n_members
    from (
        select distinct {{ (by + hierarchy[:depth]) | join(', ') }}
        from checked
        where {% for column in hierarchy[:depth] %}{{ column }} != '{{ total }}'{% if not loop.last %} and {% endif %}{% endfor %}
    ) as distinct_members
    group by {{ by | join(', ') }}
),
{%- endfor %}
{%- endfor %}

levels as (
    {%- for kept in iclsc.grouping_levels(hierarchies) %}
    select
        by_values.{{ by | join(', by_values.') }},
        '{{ kept | join(", ") if kept else "total" }}' as level,
        (
            select count(*) from checked
            where
                {%- for column in by %}
                checked.{{ column }} = by_values.{{ column }} and
                {%- endfor %}
                {%- for column in dimensions %}
                checked.{{ column }} {% if column in kept %}!={% else %}={% endif %} '{{ total }}'{% if not loop.last %} and{% endif %}
                {%- endfor %}
        ) as n_cells,
        {%- if suppressed %}
        (
            select count(*) from checked
            where
                {%- for column in by %}
                checked.{{ column }} = by_values.{{ column }} and
                {%- endfor %}
                {%- for column in dimensions %}
                checked.{{ column }} {% if column in kept %}!={% else %}={% endif %} '{{ total }}' and
                {%- endfor %}
                checked.{{ suppressed }}
        ) as n_withheld,
        {%- else %}
        0 as n_withheld,
        {%- endif %}
        1
        {%- for hierarchy in hierarchies %}
        {%- set depth = hierarchy | select('in', kept) | list | length %}
        {%- if depth > 0 %}
        * coalesce(members_{{ loop.index }}_{{ depth }}.n_members, 0)
        {%- endif %}
        {%- endfor %} as n_expected
    from by_values
    {%- for hierarchy in hierarchies %}
    {%- set hierarchy_index = loop.index %}
    {%- set depth = hierarchy | select('in', kept) | list | length %}
    {%- if depth > 0 %}
    left join members_{{ hierarchy_index }}_{{ depth }}
        on {% for column in by %}by_values.{{ column }} = members_{{ hierarchy_index }}_{{ depth }}.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endif %}
    {%- endfor %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

violations as (
    select
        'niveau incomplet' as failed_check,
        *
    from levels
    where n_cells != n_expected
    union all
    select
        'niveau entierement supprime' as failed_check,
        *
    from levels
    where n_cells > 0 and n_withheld = n_cells
)

select * from violations

{% endtest %}
