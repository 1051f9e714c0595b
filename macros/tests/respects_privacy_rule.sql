{# Generic test on a published table: every published cell passes the primary rule when
   recounted from its internal cells (distinct persons and providers on the microdata), a
   withheld row has every measure empty and a published row has them all. Fails with the
   offending rows.
   - cells: the internal relation with the true counts
   - key_map: {published column: expression over the internal cells} for every key column
   - measures: the published measure columns
   - suppressed: the published boolean column #}
{% test respects_privacy_rule(model, cells, key_map, measures, suppressed='cellule_supprimee', persons='persons', providers='providers') %}

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
            when not {{ suppressed }} and {{ measure }} is null then 'published cell lacks {{ measure }}'
            {%- endfor %}
        end as violation
    from joined
)

select * from violations
where violation is not null

{% endtest %}
