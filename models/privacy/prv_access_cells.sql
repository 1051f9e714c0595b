{#- The true counts of every cell of the `acces` universe, under the published column
    names: the internal twin of acces-delais-annuels and acces-delais-periodes. Read by the
    joint protection of the release (iclsc.privacy); never published. -#}
with

cells as (
    select * from {{ ref('access_protected') }}
),

final as (
    select
        {{ fiscal_year_label('fiscal_year') }} as annee_financiere,
        period_code as periode,
        installation_rss_code as code_rss_installation,
        installation_rls_code as code_rls_installation,
        centre_activites_code as code_centre_activites,
        priority_code as code_priorite,
        persons,
        providers,
        served_persons,
        waiting_persons,
        requests_received,
        requests_served
    from cells
)

select * from final
