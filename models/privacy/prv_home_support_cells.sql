{#- The true counts of every cell of the `soutien-domicile` universe, under the published
    column names: the internal twin of soutien-domicile-annuel, minutes not hours. Read by
    the joint protection of the release (iclsc.privacy); never published. -#}
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
        persons,
        providers,
        interventions,
        minutes
    from cells
)

select * from final
