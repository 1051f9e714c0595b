{#- Every raw row that staging did not keep, with the file and record that carried it, its
    fate (quarantined: a check failed; duplicate: a repeated key, resolved by keeping the
    first record; superseded: a later transmission replaced its transmission) and the
    reason. It holds no value of the row, so no identifier. Together with the staged rows
    it accounts for every raw row (stg_iclsc__row_reconciliation). -#}
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
            row_status,
            quarantine_column,
            quarantine_reason
        from {{ ref(base) }}
        where row_status != 'valid'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        raw_file,
        source_file,
        source_record,
        row_status,
        quarantine_column,
        quarantine_reason
    from unioned
)

select * from final
