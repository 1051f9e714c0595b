{#- One row per service request of the latest transmissions, with when it was served by the
    ministry's logic: a request waits until the first intervention on it in the user's
    presence (a mode with is_in_person: not telephone, video, messaging, nor a meeting
    without the user), on or after the reception date. Interventions dated before the
    reception do not serve it. A request without such an intervention is still waiting.
    The territory is that of the installation that received the request. -#}
{% set delay = dbt.datediff('requests.received_date', 'first_visits.intervention_date', 'day') %}

with

requests as (
    select * from {{ ref('stg_iclsc__demandes') }}
),

interventions as (
    select * from {{ ref('stg_iclsc__interventions') }}
),

modes as (
    select * from {{ ref('code_modes') }}
),

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

priorities as (
    select * from {{ ref('ref_priorities') }}
),

in_person_visits as (
    select
        interventions.request_id,
        interventions.intervention_date,
        interventions.intervention_id,
        interventions.provider_id,
        row_number() over (
            partition by interventions.request_id
            order by interventions.intervention_date, interventions.intervention_id, interventions.provider_id
        ) as visit_order
    from interventions
    inner join modes
        on interventions.mode_code = modes.mode_code
    inner join requests
        on interventions.request_id = requests.request_id
    where
        modes.is_in_person
        and interventions.intervention_date >= requests.received_date
),

first_visits as (
    select * from in_person_visits
    where visit_order = 1
),

final as (
    select
        requests.request_id,
        requests.person_id,
        requests.fiscal_year as received_fiscal_year,
        requests.period as received_period,
        requests.received_date,
        requests.installation_code,
        installation_clsc.clsc_code as installation_clsc_code,
        installation_clsc.rls_code as installation_rls_code,
        installation_clsc.rss_code as installation_rss_code,
        requests.centre_activites_code,
        requests.priority_code,
        priorities.target_delay_days,
        first_visits.intervention_date as first_in_person_date,
        first_visits.provider_id as first_in_person_provider_id,
        {{ delay }} as delay_days,
        {{ delay }} <= priorities.target_delay_days as is_within_target
    from requests
    inner join installations
        on requests.installation_code = installations.installation_code
    inner join clsc as installation_clsc
        on installations.clsc_code = installation_clsc.clsc_code
    inner join priorities
        on requests.priority_code = priorities.priority_code
    left join first_visits
        on requests.request_id = first_visits.request_id
)

select * from final
