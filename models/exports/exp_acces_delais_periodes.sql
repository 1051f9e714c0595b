{#- Published: access to services by fiscal year x financial period x RSS of the
    installation that received the request x priority, closed periods only: the period
    slice (centre d'activités and RLS Total) of the jointly protected acces cells. -#}
with

cells as (
    select * from {{ ref('access_protected') }}
    where period_code != '{{ var("total_label") }}'
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        period_code as periode,
        installation_rss_code as code_rss_installation,
        priority_code as code_priorite,
        is_suppressed as cellule_supprimee,
        case when not is_suppressed then requests_received end as nb_demandes_recues,
        case when not is_suppressed then requests_served end as nb_demandes_servies,
        case when not is_suppressed then delay_median_days end as delai_median_jours,
        case when not is_suppressed then delay_p90_days end as delai_p90_jours,
        case when not is_suppressed then served_within_target_percent end as pct_servies_dans_delai,
        case when not is_suppressed then waiting_persons end as nb_usagers_en_attente
    from cells
)

select * from final
