with

interventions as (
    select * from {{ ref('base_iclsc__interventions') }}
    where row_status = 'valid'
),

age_groups as (
    select * from {{ ref('ref_age_groups') }}
),

single_ages as (
    -- The age group of each distinct age, found by the range condition on a few hundred
    -- rows at most, then joined to the interventions on the age alone: a range join of
    -- every intervention with the groups sorts all of them (a piecewise merge join).
    select
        ages.age_at_event,
        age_groups.age_group
    from (
        select distinct age_at_event
        from interventions
    ) as ages
    inner join age_groups
        on ages.age_at_event between age_groups.min_age and age_groups.max_age
),

final as (
    select
        interventions.intervention_id,
        interventions.user_file_id,
        interventions.transmission_id,
        interventions.establishment_code,
        interventions.fiscal_year,
        interventions.period,
        interventions.person_id,
        interventions.request_id,
        interventions.installation_code,
        interventions.intervention_date,
        interventions.centre_activites_code,
        interventions.programme_code,
        interventions.intervention_type,
        interventions.mode_code,
        interventions.lieu_code,
        interventions.raison_code,
        interventions.acte_code,
        interventions.provider_category_code,
        interventions.provider_id,
        interventions.duration_minutes,
        interventions.age_at_event,
        single_ages.age_group as age_group_at_event,
        interventions.sex,
        interventions.residence_clsc_code
    from interventions
    left join single_ages
        on interventions.age_at_event = single_ages.age_at_event
)

select * from final
