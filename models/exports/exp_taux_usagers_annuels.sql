{#- Published: users per 1,000 population by fiscal year x RSS x RLS of residence x
    programme x age group (both sexes), closed fiscal years only: the annual cells of
    both sexes of the jointly protected services cells, with the population of
    the reference year nearest the fiscal year. A rate whose count is withheld is
    withheld: the row is withheld as a whole. -#}
with

cells as (
    select * from {{ ref('services_protected') }}
    where
        period_code = '{{ var("total_label") }}'
        and mode_code = '{{ var("total_label") }}'
        and sex = '{{ var("total_label") }}'
        and installation_rss_code = '{{ var("total_label") }}'
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        residence_rss_code as code_rss,
        residence_rls_code as code_rls,
        programme_code as code_programme,
        age_group as groupe_age,
        is_suppressed as cellule_supprimee,
        case when not is_suppressed then persons end as nb_usagers,
        case when not is_suppressed then population end as population,
        case when not is_suppressed then persons_per_1000 end as taux_usagers_1000
    from cells
)

select * from final
