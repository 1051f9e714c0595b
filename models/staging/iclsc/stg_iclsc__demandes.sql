with

demandes as (
    select * from {{ ref('base_iclsc__demandes') }}
    where row_status = 'valid'
),

age_groups as (
    select * from {{ ref('ref_age_groups') }}
),

final as (
    select
        demandes.request_id,
        demandes.transmission_id,
        demandes.establishment_code,
        demandes.fiscal_year,
        demandes.period,
        demandes.user_file_id,
        demandes.person_id,
        demandes.installation_code,
        demandes.received_date,
        demandes.centre_activites_code,
        demandes.priority_code,
        demandes.age_at_reception,
        age_groups.age_group as age_group_at_reception,
        demandes.sex,
        demandes.residence_clsc_code
    from demandes
    left join age_groups
        on demandes.age_at_reception between age_groups.min_age and age_groups.max_age
)

select * from final
