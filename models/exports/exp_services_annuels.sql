{#- Published: services rendered by fiscal year x RSS x RLS of residence x programme x age
    group x sex, closed fiscal years only, after primary and complementary suppression.
    A withheld row keeps its dimensions and empties its measures. -#}
{% set hierarchies = [
    ['residence_rss_code', 'residence_rls_code'],
    ['programme_code'],
    ['age_group'],
    ['sex'],
] %}

{#- The cells with their primary flag, as a statement: complementary suppression takes it so
    (on Spark it runs its rounds as separate statements). -#}
{% set flagged_cells %}
    select
        cells.*,
        {{ is_primary_suppressed('cells.persons', 'cells.providers') }} as is_primary_suppressed
    from {{ ref('services_by_residence_annual') }} as cells
    where cells.is_fiscal_year_closed
{% endset %}

with

flagged as (
    {{ flagged_cells }}
),

suppressed as (
    select * from (
        {{ complementary_suppression(flagged_cells, ['fiscal_year'], hierarchies) }}
    ) as suppression
),

final as (
    select
        cast(flagged.fiscal_year as {{ dbt.type_string() }})
        || '-'
        || cast(flagged.fiscal_year + 1 as {{ dbt.type_string() }}) as annee_financiere,
        flagged.residence_rss_code as code_rss,
        flagged.residence_rls_code as code_rls,
        flagged.programme_code as code_programme,
        flagged.age_group as groupe_age,
        flagged.sex as sexe,
        suppressed.is_suppressed as cellule_supprimee,
        case when not suppressed.is_suppressed then flagged.persons end as nb_usagers,
        case when not suppressed.is_suppressed then flagged.interventions end as nb_interventions,
        case
            when not suppressed.is_suppressed
                then cast(round(flagged.minutes / 60.0, 2) as decimal(18, 2))
        end as nb_heures
    from flagged
    inner join suppressed
        on
            flagged.fiscal_year = suppressed.fiscal_year
            and flagged.residence_rss_code = suppressed.residence_rss_code
            and flagged.residence_rls_code = suppressed.residence_rls_code
            and flagged.programme_code = suppressed.programme_code
            and flagged.age_group = suppressed.age_group
            and flagged.sex = suppressed.sex
)

select * from final
