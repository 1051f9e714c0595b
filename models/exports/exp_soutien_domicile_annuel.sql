{#- Published: home support (programme SAPA and the home-support centres d'activités) by
    fiscal year x RSS of residence x place x mode, closed fiscal years only, after primary
    and complementary suppression (soutien-domicile universe). -#}
with

cells as (
    select * from {{ ref('home_support_protected') }}
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        residence_rss_code as code_rss,
        lieu_code as code_lieu,
        mode_code as code_mode,
        is_suppressed as cellule_supprimee,
        case when not is_suppressed then persons end as nb_usagers,
        case when not is_suppressed then interventions end as nb_interventions,
        case when not is_suppressed then hours end as nb_heures
    from cells
)

select * from final
