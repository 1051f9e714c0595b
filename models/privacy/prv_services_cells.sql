{#- The true counts of every cell of the `services` universe, under the published column
    names (a dimension a table lacks is at its total, 'Total'): the internal twin of the
    five services exports, which are slices of it. Minutes, not hours, so that every
    measure is an integer. The joint protection of the release (iclsc.privacy) reads it
    to choose complementary suppressions; never published. -#}
with

cells as (
    select * from {{ ref('services_protected') }}
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        period_code as periode,
        residence_rss_code as code_rss,
        residence_rls_code as code_rls,
        installation_rss_code as code_rss_installation,
        installation_rls_code as code_rls_installation,
        installation_clsc_code as code_clsc_installation,
        programme_code as code_programme,
        age_group as groupe_age,
        sex as sexe,
        mode_code as code_mode,
        persons,
        providers,
        interventions,
        minutes
    from cells
)

select * from final
