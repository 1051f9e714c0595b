{#- Published: services by mode of intervention (in person, telephone, video, ...) by fiscal
    year x financial period x RSS of residence x programme, closed periods only: the modes
    slice (RLS, age group and sex Total) of the jointly protected services-residence
    cells. Its mode totals are the cells of services-periodes at RLS Total. -#}
with

cells as (
    select * from {{ ref('services_protected') }}
    where
        period_code != '{{ var("total_label") }}'
        and residence_rls_code = '{{ var("total_label") }}'
        and age_group = '{{ var("total_label") }}'
        and sex = '{{ var("total_label") }}'
        and installation_rss_code = '{{ var("total_label") }}'
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        period_code as periode,
        residence_rss_code as code_rss,
        programme_code as code_programme,
        mode_code as code_mode,
        is_suppressed as cellule_supprimee,
        case when not is_suppressed then persons end as nb_usagers,
        case when not is_suppressed then interventions end as nb_interventions,
        case when not is_suppressed then hours end as nb_heures
    from cells
)

select * from final
