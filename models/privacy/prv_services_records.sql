{#- The microdata of the `services` universe under the published column names, at the
    finest level of every dimension: one row per intervention and attached user of a
    closed period (a closed year is its 13 closed periods). A cell of the universe is
    every row whose columns equal its codes where it is not at 'Total'. The joint
    protection recounts on it the distinct persons and providers of a union of cells
    (cells must not protect each other) and each provider's own share of a small cell
    (what an insider knows). A view: never copied, never published; pseudonyms only. -#}
with

interventions as (
    select * from {{ ref('int_interventions_classified') }}
),

partitions as (
    select * from {{ ref('int_partitions') }}
    where period_code != '{{ var("total_label") }}' and is_closed
),

final as (
    select
        {{ fiscal_year_label('interventions.fiscal_year') }} as annee_financiere,
        interventions.period_code as periode,
        interventions.residence_rss_code as code_rss,
        interventions.residence_rls_code as code_rls,
        interventions.installation_rss_code as code_rss_installation,
        interventions.installation_rls_code as code_rls_installation,
        interventions.installation_clsc_code as code_clsc_installation,
        interventions.programme_code as code_programme,
        interventions.age_group as groupe_age,
        interventions.sex as sexe,
        interventions.mode_code as code_mode,
        interventions.intervention_id,
        interventions.user_file_id,
        interventions.person_id,
        interventions.provider_id,
        interventions.duration_minutes as minutes
    from interventions
    inner join partitions
        on
            interventions.fiscal_year = partitions.fiscal_year
            and interventions.period_code = partitions.period_code
)

select * from final
