{#- Intervention rows (one per intervention and attached user) with everything the
    published tables classify by: the person's annual class (int_person_years), the
    installation's territory, the fiscal period, and the flags of the mode, place and
    centre d'activités. Incremental by fiscal period: a period is rebuilt when it or an
    earlier period of its year changed (the annual class of a person comes from their
    first intervention of the year). -#}
with

partitions as (
    select
        fiscal_year,
        period,
        cumulative_fingerprint as source_fingerprint
    from {{ ref('int_partitions') }}
    where period is not null
),

stale as (
    {{ stale_partitions('partitions', ['fiscal_year', 'period']) }}
),

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

modes as (
    select * from {{ ref('code_modes') }}
),

lieux as (
    select * from {{ ref('code_lieux') }}
),

centres as (
    select * from {{ ref('ref_centres_activites') }}
),

final as (
    select
        interventions.intervention_id,
        interventions.user_file_id,
        interventions.person_id,
        interventions.provider_id,
        interventions.fiscal_year,
        interventions.period,
        'P' || lpad(cast(interventions.period as {{ dbt.type_string() }}), 2, '0') as period_code,
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
        modes.is_in_person,
        interventions.lieu_code,
        lieux.is_home,
        interventions.programme_code = 'SAPA' or centres.is_home_support as is_home_support,
        interventions.provider_category_code,
        interventions.duration_minutes,
        interventions.request_id,
        person_years.sex,
        person_years.age_group,
        person_years.residence_clsc_code,
        person_years.residence_rls_code,
        person_years.residence_rss_code,
        stale.source_fingerprint
    from interventions
    inner join stale
        on
            interventions.fiscal_year = stale.fiscal_year
            and interventions.period = stale.period
    inner join person_years
        on
            interventions.person_id = person_years.person_id
            and interventions.fiscal_year = person_years.fiscal_year
    inner join installations
        on interventions.installation_code = installations.installation_code
    inner join clsc as installation_clsc
        on installations.clsc_code = installation_clsc.clsc_code
    inner join modes
        on interventions.mode_code = modes.mode_code
    inner join lieux
        on interventions.lieu_code = lieux.lieu_code
    inner join centres
        on interventions.centre_activites_code = centres.centre_activites_code
)

select * from final
