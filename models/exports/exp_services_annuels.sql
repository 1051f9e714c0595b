{#- Published: services rendered by fiscal year x RSS x RLS of residence x programme x age
    group x sex, closed fiscal years only: the annual slice (period and mode Total) of the
    jointly protected services cells. A withheld row keeps its dimensions and
    empties its measures. -#}
with

cells as (
    select * from {{ ref('services_protected') }}
    where
        period_code = '{{ var("total_label") }}'
        and mode_code = '{{ var("total_label") }}'
        and installation_rss_code = '{{ var("total_label") }}'
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        residence_rss_code as code_rss,
        residence_rls_code as code_rls,
        programme_code as code_programme,
        age_group as groupe_age,
        sex as sexe,
        is_suppressed as cellule_supprimee,
        case when not is_suppressed then persons end as nb_usagers,
        case when not is_suppressed then interventions end as nb_interventions,
        case when not is_suppressed then hours end as nb_heures
    from cells
)

select * from final
