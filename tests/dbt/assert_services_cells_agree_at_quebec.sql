{#- The residence cells and the installation cells of the services universe share their
    Québec totals (both territories at Total): the same interventions, the same counts.
    services_protected takes them from the residence mart; this fails with any year and
    programme where the two marts count differently. -#}
with

residence_cells as (
    select * from {{ ref('services_residence_cells') }}
    where
        period_code = '{{ var("total_label") }}'
        and residence_rss_code = '{{ var("total_label") }}'
        and age_group = '{{ var("total_label") }}'
        and sex = '{{ var("total_label") }}'
        and mode_code = '{{ var("total_label") }}'
),

installation_cells as (
    select * from {{ ref('services_installation_cells') }}
    where installation_rss_code = '{{ var("total_label") }}'
),

final as (
    select
        installation_cells.fiscal_year,
        installation_cells.programme_code,
        installation_cells.persons as installation_persons,
        residence_cells.persons as residence_persons
    from installation_cells
    left join residence_cells
        on
            installation_cells.fiscal_year = residence_cells.fiscal_year
            and installation_cells.programme_code = residence_cells.programme_code
    where
        residence_cells.persons is null
        or installation_cells.persons != residence_cells.persons
        or installation_cells.providers != residence_cells.providers
        or installation_cells.interventions != residence_cells.interventions
        or installation_cells.minutes != residence_cells.minutes
)

select * from final
