{#- Published: the quality report, one row per active establishment and fiscal period. It
    counts rows of files, classified by the establishment that sent them and nothing about
    any person, so the privacy rule does not apply (see the model description); no cell is
    withheld. Like every published table it holds closed periods only: the row counts of a
    period still open are partial activity, kept internal in the mart. -#}
with

report as (
    select * from {{ ref('quality_establishment_periods') }}
),

closed_periods as (
    select * from {{ ref('int_periods_closed') }}
    where is_closed
),

final as (
    select
        report.establishment_code as code_etablissement,
        cast(report.fiscal_year as {{ dbt.type_string() }})
        || '-'
        || cast(report.fiscal_year + 1 as {{ dbt.type_string() }}) as annee_financiere,
        cast(report.period as integer) as periode,
        false as cellule_supprimee,
        cast(report.n_transmissions as bigint) as nb_transmissions,
        report.is_transmitted as transmission_recue,
        cast(report.transmission_delay_days as integer) as delai_transmission_jours,
        report.is_late as transmission_en_retard,
        report.is_period_closed as periode_fermee,
        cast(report.rows_read as bigint) as nb_lignes_recues,
        cast(report.rows_staged as bigint) as nb_lignes_retenues,
        cast(report.rows_quarantined as bigint) as nb_lignes_quarantaine,
        cast(report.rows_duplicate as bigint) as nb_lignes_doublons,
        cast(report.rows_superseded as bigint) as nb_lignes_remplacees
    from report
    inner join closed_periods
        on
            report.fiscal_year = closed_periods.fiscal_year
            and report.period = closed_periods.period
)

select * from final
