{#- One row per person and fiscal year, with the attributes that classify the person in
    annual tables: sex, age group and CLSC territory of residence as recorded at the
    person's first intervention of the year (earliest date, then a fixed order). One class
    per person and year makes distinct persons add up along sex, age and territory.
    Incremental by fiscal year: a year is rebuilt only when one of its periods changed. -#}
with

partitions as (
    select
        fiscal_year,
        cumulative_fingerprint as source_fingerprint
    from {{ ref('int_partitions') }}
    where period_code = '{{ var("total_label") }}'
),

stale as (
    {{ stale_partitions('partitions', ['fiscal_year']) }}
),

interventions as (
    select * from {{ ref('stg_iclsc__interventions') }}
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

ordered as (
    select
        interventions.person_id,
        interventions.fiscal_year,
        interventions.sex,
        interventions.age_group_at_event,
        interventions.residence_clsc_code,
        stale.source_fingerprint,
        row_number() over (
            partition by interventions.person_id, interventions.fiscal_year
            order by interventions.intervention_date, interventions.intervention_id, interventions.user_file_id
        ) as service_order
    from interventions
    inner join stale
        on interventions.fiscal_year = stale.fiscal_year
),

final as (
    select
        ordered.person_id,
        ordered.fiscal_year,
        ordered.sex,
        ordered.age_group_at_event as age_group,
        ordered.residence_clsc_code,
        clsc.rls_code as residence_rls_code,
        clsc.rss_code as residence_rss_code,
        ordered.source_fingerprint
    from ordered
    inner join clsc
        on ordered.residence_clsc_code = clsc.clsc_code
    where ordered.service_order = 1
)

select * from final
