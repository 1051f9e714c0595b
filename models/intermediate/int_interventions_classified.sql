{#- Intervention rows (one per intervention and attached user) with everything the
    published tables classify by: the person's annual class (int_person_years), the
    installation's territory and the fiscal period. -#}
with

interventions as (
    select * from {{ ref('stg_iclsc__interventions') }}
),

person_years as (
    select * from {{ ref('int_person_years') }}
),

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

final as (
    select
        interventions.intervention_id,
        interventions.user_file_id,
        interventions.person_id,
        interventions.provider_id,
        interventions.fiscal_year,
        interventions.period,
        interventions.intervention_date,
        interventions.establishment_code,
        interventions.installation_code,
        installation_clsc.clsc_code as installation_clsc_code,
        installation_clsc.rls_code as installation_rls_code,
        installation_clsc.rss_code as installation_rss_code,
        interventions.programme_code,
        interventions.centre_activites_code,
        interventions.intervention_type,
        interventions.mode_code,
        interventions.lieu_code,
        interventions.provider_category_code,
        interventions.duration_minutes,
        interventions.request_id,
        person_years.sex,
        person_years.age_group,
        person_years.residence_clsc_code,
        person_years.residence_rls_code,
        person_years.residence_rss_code
    from interventions
    inner join person_years
        on
            interventions.person_id = person_years.person_id
            and interventions.fiscal_year = person_years.fiscal_year
    inner join installations
        on interventions.installation_code = installations.installation_code
    inner join clsc as installation_clsc
        on installations.clsc_code = installation_clsc.clsc_code
)

select * from final
