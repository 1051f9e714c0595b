{#- Every raw row that staging refused, with the file and record that carried it and the
    first reason found. It holds no value of the row, so no identifier. Rows of superseded
    transmissions and resolved duplicates are not here: they are counted in
    stg_iclsc__row_reconciliation. -#}
{% set bases = [
    ('installations', 'base_iclsc__installations'),
    ('transmissions', 'base_iclsc__transmissions'),
    ('usagers', 'base_iclsc__usagers'),
    ('demandes', 'base_iclsc__demandes'),
    ('interventions', 'base_iclsc__interventions'),
] %}

with

unioned as (
    {% for raw_file, base in bases %}
        select
            '{{ raw_file }}' as raw_file,
            source_file,
            source_record,
            quarantine_column,
            quarantine_reason
        from {{ ref(base) }}
        where row_status = 'quarantined'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        raw_file,
        source_file,
        source_record,
        quarantine_column,
        quarantine_reason
    from unioned
)

select * from final
