{#- The internal twin of exp_services_annuels: the same rows under the same published keys,
    with the true counts in integer units (minutes, not hours). The Python protection
    (iclsc.privacy.protect) reads it to choose complementary suppressions; it is never
    published. -#}
with

cells as (
    select * from {{ ref('services_by_residence_annual') }}
    where is_fiscal_year_closed
),

final as (
    select
        cast(fiscal_year as {{ dbt.type_string() }})
        || '-'
        || cast(fiscal_year + 1 as {{ dbt.type_string() }}) as annee_financiere,
        residence_rss_code as code_rss,
        residence_rls_code as code_rls,
        programme_code as code_programme,
        age_group as groupe_age,
        sex as sexe,
        persons,
        providers,
        interventions,
        minutes
    from cells
)

select * from final
