{#- One row per person and fiscal year, with the attributes that classify the person in
    annual tables: sex, age group and CLSC territory of residence as recorded at the
    person's first intervention of the year (earliest date, then a fixed order). One class
    per person and year makes distinct persons add up along sex, age and territory. -#}
with

interventions as (
    select * from {{ ref('stg_iclsc__interventions') }}
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

ordered as (
    select
        person_id,
        fiscal_year,
        sex,
        age_group_at_event,
        residence_clsc_code,
        row_number() over (
            partition by person_id, fiscal_year
            order by intervention_date, intervention_id, user_file_id
        ) as service_order
    from interventions
),

final as (
    select
        ordered.person_id,
        ordered.fiscal_year,
        ordered.sex,
        ordered.age_group_at_event as age_group,
        ordered.residence_clsc_code,
        clsc.rls_code as residence_rls_code,
        clsc.rss_code as residence_rss_code
    from ordered
    inner join clsc
        on ordered.residence_clsc_code = clsc.clsc_code
    where ordered.service_order = 1
)

select * from final
