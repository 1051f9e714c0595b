{#- Every raw transmission row, typed and checked, with its fate (row_status). -#}
{% set checks = [
    {'when': "transmission_id is null", 'column': 'id_transmission', 'reason': 'identifiant manquant'},
    {'when': "not " ~ regex_full_match('transmission_id', '[A-Za-z0-9._-]+'), 'column': 'id_transmission', 'reason': 'identifiant invalide (nom de dossier)'},
    {'when': "establishment_code is null or not " ~ regex_full_match('establishment_code', '[0-9]{8}'), 'column': 'code_etablissement', 'reason': 'code invalide (8 chiffres attendus)'},
    {'when': "fiscal_year is null", 'column': 'annee_financiere', 'reason': 'annee invalide'},
    {'when': "period is null or period not between 1 and 13", 'column': 'periode', 'reason': 'periode hors de 1 a 13'},
    {'when': "fiscal_year_start is null", 'column': 'annee_financiere', 'reason': 'annee hors du calendrier des periodes'},
    {'when': "transmitted_at is null", 'column': 'date_transmission', 'reason': 'horodatage invalide'},
    {'when': "transmitted_at < period_start_date", 'column': 'date_transmission', 'reason': 'transmission recue avant le debut de sa periode'},
    {'when': "establishments.known_establishment_code is null", 'column': 'code_etablissement', 'reason': "etablissement sans installation dans installations.csv"},
    {'when': "closed_flag is null or closed_flag not in ('O', 'N')", 'column': 'periode_fermee', 'reason': 'valeur autre que O ou N'},
] %}

with

source as (
    {{ raw_records(source('iclsc', 'transmissions')) }}
),

fiscal_periods as (
    select * from {{ ref('ref_fiscal_periods') }}
),

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

establishments as (
    select distinct establishment_code as known_establishment_code from installations
),

typed as (
    select
        nullif(trim(id_transmission), '') as transmission_id,
        nullif(trim(code_etablissement), '') as establishment_code,
        {{ try_parse('trim(annee_financiere)', 'integer') }} as fiscal_year,
        {{ try_parse('trim(periode)', 'integer') }} as period,
        {{ try_parse('trim(date_transmission)', 'timestamp') }} as transmitted_at,
        upper(trim(periode_fermee)) as closed_flag,
        source_file,
        source_record
    from source
),

with_calendar as (
    select
        typed.*,
        fiscal_periods.start_date as period_start_date,
        fiscal_periods.end_date as period_end_date,
        fiscal_periods.fiscal_year as fiscal_year_start
    from typed
    left join fiscal_periods
        on
            typed.fiscal_year = fiscal_periods.fiscal_year
            and typed.period = fiscal_periods.period
),

checked as (
    select
        with_calendar.*,
        {{ quarantine_check(checks, 'column') }} as quarantine_column,
        {{ quarantine_check(checks, 'reason') }} as quarantine_reason
    from with_calendar
    left join establishments
        on with_calendar.establishment_code = establishments.known_establishment_code
),

ranked as (
    select
        *,
        row_number() over (
            partition by transmission_id, quarantine_reason is null
            order by source_record
        ) as duplicate_rank,
        row_number() over (
            partition by
                transmission_id,
                quarantine_reason is null,
                establishment_code,
                fiscal_year,
                period,
                transmitted_at,
                closed_flag
            order by source_record
        ) as exact_rank
    from checked
),

final as (
    select
        transmission_id,
        establishment_code,
        fiscal_year,
        period,
        period_start_date,
        period_end_date,
        transmitted_at,
        closed_flag = 'O' as is_period_closed,
        source_file,
        source_record,
        {{ row_status('true', 'true', 'quarantine_reason', 'duplicate_rank') }} as row_status,
        {{ unstaged_reason(
            'column', 'true', 'true', 'quarantine_column', 'quarantine_reason',
            'duplicate_rank', 'exact_rank', 'id_transmission'
        ) }} as quarantine_column,
        {{ unstaged_reason(
            'reason', 'true', 'true', 'quarantine_column', 'quarantine_reason',
            'duplicate_rank', 'exact_rank', 'id_transmission'
        ) }} as quarantine_reason
    from ranked
)

select * from final
