{#- Per raw file: how many rows were read and what became of each. A test checks that
    staged + quarantined + superseded + duplicate = read, so no row is lost silently. -#}
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
            count(*) as rows_read,
            count(case when row_status = 'valid' then 1 end) as rows_staged,
            count(case when row_status = 'quarantined' then 1 end) as rows_quarantined,
            count(case when row_status = 'superseded' then 1 end) as rows_superseded,
            count(case when row_status = 'duplicate' then 1 end) as rows_duplicate
        from {{ ref(base) }}
        group by source_file
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        raw_file,
        source_file,
        rows_read,
        rows_staged,
        rows_quarantined,
        rows_superseded,
        rows_duplicate
    from unioned
)

select * from final
