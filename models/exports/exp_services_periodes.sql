{#- Published: services rendered by fiscal year x financial period x RSS x RLS of residence x
    programme, closed periods only (a period of the current year appears once every
    establishment has closed it): the period slice (age group, sex and mode Total) of the
    jointly protected services cells. -#}
with

cells as (
    select * from {{ ref('services_protected') }}
    where
        period_code != '{{ var("total_label") }}'
        and age_group = '{{ var("total_label") }}'
        and sex = '{{ var("total_label") }}'
        and mode_code = '{{ var("total_label") }}'
        and installation_rss_code = '{{ var("total_label") }}'
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        period_code as periode,
        residence_rss_code as code_rss,
        residence_rls_code as code_rls,
        programme_code as code_programme,
        is_suppressed as cellule_supprimee,
        case when not is_suppressed then persons end as nb_usagers,
        case when not is_suppressed then interventions end as nb_interventions,
        case when not is_suppressed then hours end as nb_heures
    from cells
)

select * from final
