{# Generic test on a published table: every published cell passes the primary rule when
   recounted from its internal cells (distinct persons and providers on the microdata), a
   withheld row has every measure empty and a published row has them all. Fails with the
   offending rows.
   - cells: the internal relation with the true counts
   - key_map: {published column: expression over the internal cells} for every key column
   - measures: the published measure columns
   - suppressed: the published boolean column
   - cells_where: condition selecting the internal cells of this table, when the internal
     relation holds several tables' cells (a universe)
   - undefined_when_zero: {statistic: count column}, for statistics (a median delay)
     that do not exist when their count is 0: on a published row the statistic is empty
     exactly when that count is 0 #}
{% test respects_privacy_rule(model, cells, key_map, measures, suppressed='cellule_supprimee', persons='persons', providers='providers', cells_where=none, undefined_when_zero={}) %}

with

published as (
    select * from {{ model }}
),

internal as (
    select
        {%- for published_column, internal_expression in key_map.items() %}
        {{ internal_expression }} as internal_key_{{ loop.index }},
        {%- endfor %}
        {{ persons }},
        {{ providers }}
    from {{ cells }}
    {%- if cells_where %}
    where {{ cells_where }}
    {%- endif %}
),

joined as (
    select
        published.*,
        internal.{{ persons }} as internal_persons,
        internal.{{ providers }} as internal_providers,
        internal.{{ persons }} is not null as is_matched
    from published
    left join internal
        on
            {%- for published_column in key_map %}
            {% if not loop.first %}and {% endif %}published.{{ published_column }} = internal.internal_key_{{ loop.index }}
            {%- endfor %}
),

violations as (
    select
        *,
        case
            when not is_matched then 'published cell without internal counts'
            when
                not {{ suppressed }}
                and {{ iclsc.is_primary_suppressed('internal_persons', 'internal_providers') }}
                then 'published cell breaks the primary rule'
            {%- for measure in measures %}
            when {{ suppressed }} and {{ measure }} is not null then 'withheld cell shows {{ measure }}'
            {%- if measure in undefined_when_zero %}
            when not {{ suppressed }} and ({{ measure }} is null) != ({{ undefined_when_zero[measure] }} = 0)
                then 'published cell: {{ measure }} must be empty exactly when {{ undefined_when_zero[measure] }} is 0'
            {%- else %}
            when not {{ suppressed }} and {{ measure }} is null then 'published cell lacks {{ measure }}'
            {%- endif %}
            {%- endfor %}
        end as violation
    from joined
)

select * from violations
where violation is not null

{% endtest %}
