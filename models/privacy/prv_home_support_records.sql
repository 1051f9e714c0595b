{#- The microdata of the `soutien-domicile` universe under the published column names:
    one row per home-support intervention and attached user of a closed fiscal year. The
    joint protection recounts unions of cells and insiders' shares on it. A view: never
    copied, never published; pseudonyms only. -#}
with

interventions as (
    select * from {{ ref('int_interventions_classified') }}
    where is_home_support
),

fiscal_years as (
    select * from {{ ref('int_partitions') }}
    where period_code = '{{ var("total_label") }}' and is_closed
),

final as (
    select
        {{ fiscal_year_label('interventions.fiscal_year') }} as annee_financiere,
        interventions.residence_rss_code as code_rss,
        interventions.lieu_code as code_lieu,
        interventions.mode_code as code_mode,
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
