{#- The microdata of the universe services-residence under the published keys, at the finest
    level of every dimension: one row per intervention and attached user of a closed fiscal
    year. The Python protection recounts distinct persons and providers of unions of cells
    on it, and each provider's own share of small cells (the insider's knowledge). Never
    published; holds pseudonyms only. -#}
with

interventions as (
    select * from {{ ref('int_interventions_classified') }}
),

fiscal_years as (
    select * from {{ ref('int_fiscal_years_closed') }}
    where is_closed
),

final as (
    select
        cast(interventions.fiscal_year as {{ dbt.type_string() }})
        || '-'
        || cast(interventions.fiscal_year + 1 as {{ dbt.type_string() }}) as annee_financiere,
        interventions.residence_rss_code as code_rss,
        interventions.residence_rls_code as code_rls,
        interventions.programme_code as code_programme,
        interventions.age_group as groupe_age,
        interventions.sex as sexe,
        interventions.intervention_id,
        interventions.user_file_id,
        interventions.person_id,
        interventions.provider_id,
        interventions.duration_minutes as minutes
    from interventions
    inner join fiscal_years
        on interventions.fiscal_year = fiscal_years.fiscal_year
)

select * from final
