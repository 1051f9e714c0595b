{#- Published: the quality report, one row per active establishment and fiscal period. It
    counts rows of files, classified by the establishment that sent them and nothing about
    any person, so the privacy rule does not apply (see the model description); no cell is
    withheld. -#}
with

report as (
    select * from {{ ref('quality_establishment_periods') }}
),

final as (
    select
        establishment_code as code_etablissement,
        cast(fiscal_year as {{ dbt.type_string() }})
        || '-'
        || cast(fiscal_year + 1 as {{ dbt.type_string() }}) as annee_financiere,
        cast(period as integer) as periode,
        false as cellule_supprimee,
        cast(n_transmissions as bigint) as nb_transmissions,
        is_transmitted as transmission_recue,
        cast(transmission_delay_days as integer) as delai_transmission_jours,
        is_late as transmission_en_retard,
        is_period_closed as periode_fermee,
        cast(rows_read as bigint) as nb_lignes_recues,
        cast(rows_staged as bigint) as nb_lignes_retenues,
        cast(rows_quarantined as bigint) as nb_lignes_quarantaine,
        cast(rows_duplicate as bigint) as nb_lignes_doublons,
        cast(rows_superseded as bigint) as nb_lignes_remplacees
    from report
)

select * from final
