{#- Published: services rendered by fiscal year x RSS x RLS x CLSC territory of the
    installation that rendered them x programme, closed fiscal years only: the
    installation slice (residence, age group, sex, period and mode Total) of the jointly
    protected services cells. -#}
with

cells as (
    select * from {{ ref('services_protected') }}
    where
        period_code = '{{ var("total_label") }}'
        and residence_rss_code = '{{ var("total_label") }}'
        and age_group = '{{ var("total_label") }}'
        and sex = '{{ var("total_label") }}'
        and mode_code = '{{ var("total_label") }}'
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        installation_rss_code as code_rss_installation,
        installation_rls_code as code_rls_installation,
        installation_clsc_code as code_clsc_installation,
        programme_code as code_programme,
        is_suppressed as cellule_supprimee,
        case when not is_suppressed then persons end as nb_usagers,
        case when not is_suppressed then interventions end as nb_interventions,
        case when not is_suppressed then hours end as nb_heures
    from cells
)

select * from final
