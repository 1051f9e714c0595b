{#- Every raw request row, typed and checked, with its fate (row_status). -#}
{% set checks = [
    {'when': "transmissions.transmission_id is null", 'column': 'filename', 'reason': 'transmission absente de transmissions.csv'},
    {'when': "request_number is null", 'column': 'no_demande', 'reason': 'numero de demande manquant'},
    {'when': "file_number is null", 'column': 'no_dossier', 'reason': 'numero de dossier manquant'},
    {'when': "received_date is null", 'column': 'date_reception', 'reason': 'date manquante ou invalide'},
    {'when': "received_date not between transmissions.period_start_date and transmissions.period_end_date", 'column': 'date_reception', 'reason': 'date hors de la periode de la transmission'},
    {'when': "received_date > cast(transmissions.transmitted_at as date)", 'column': 'date_reception', 'reason': 'date posterieure a la reception de la transmission'},
    {'when': "installations.installation_code is null", 'column': 'code_installation', 'reason': 'installation inconnue'},
    {'when': "installations.establishment_code != transmissions.establishment_code", 'column': 'code_installation', 'reason': "installation d'un autre etablissement"},
    {'when': "centres.centre_activites_code is null", 'column': 'code_centre_activites', 'reason': "centre d'activites inconnu"},
    {'when': "priorities.priority_code is null", 'column': 'code_priorite', 'reason': 'priorite autre que P1 a P4'},
    {'when': "usagers.user_file_id is null", 'column': 'no_dossier', 'reason': 'usager absent de usagers.csv de la transmission'},
    {'when': "received_date < usagers.birth_date", 'column': 'date_reception', 'reason': "date anterieure a la naissance de l'usager"},
] %}

with

source as (
    {{ raw_records(source('iclsc', 'demandes')) }}
),

transmissions as (
    select * from {{ ref('stg_iclsc__transmissions') }}
),

usagers as (
    select * from {{ ref('stg_iclsc__usagers') }}
),

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

centres as (
    select * from {{ ref('ref_centres_activites') }}
),

priorities as (
    select * from {{ ref('ref_priorities') }}
),

typed as (
    select
        {{ transmission_id_from_path('source_file') }} as transmission_id,
        nullif(trim(no_demande), '') as request_number,
        nullif(trim(no_dossier), '') as file_number,
        nullif(trim(code_installation), '') as installation_code,
        {{ try_parse('trim(date_reception)', 'date') }} as received_date,
        nullif(trim(code_centre_activites), '') as centre_activites_code,
        upper(trim(code_priorite)) as priority_code,
        source_file,
        source_record
    from source
),

established as (
    select
        typed.*,
        transmissions.establishment_code
    from typed
    left join transmissions
        on typed.transmission_id = transmissions.transmission_id
),

user_files as (
    -- One HMAC per distinct file of an establishment, not per row: a file recurs in many
    -- rows and HMAC-SHA256 costs more than the join (a null part gives no pseudonym, as
    -- pseudonymize gives null on null input).
    select
        file_numbers.establishment_code,
        file_numbers.file_number,
        {{ pseudonymize("file_numbers.establishment_code || ':' || file_numbers.file_number") }}
            as user_file_id
    from (
        select distinct
            establishment_code,
            file_number
        from established
        where establishment_code is not null and file_number is not null
    ) as file_numbers
),

keyed as (
    select
        established.*,
        user_files.user_file_id
    from established
    left join user_files
        on
            established.establishment_code = user_files.establishment_code
            and established.file_number = user_files.file_number
),

checked as (
    select
        keyed.*,
        transmissions.fiscal_year,
        transmissions.period,
        transmissions.transmission_id is not null as is_known_transmission,
        coalesce(transmissions.is_latest, false) as is_latest_transmission,
        usagers.person_id,
        usagers.sex,
        usagers.residence_clsc_code,
        {{ age_in_years('usagers.birth_date', 'keyed.received_date') }} as age_at_reception,
        {{ quarantine_check(checks, 'column') }} as quarantine_column,
        {{ quarantine_check(checks, 'reason') }} as quarantine_reason
    from keyed
    left join transmissions
        on keyed.transmission_id = transmissions.transmission_id
    left join usagers
        on
            keyed.transmission_id = usagers.transmission_id
            and keyed.user_file_id = usagers.user_file_id
    left join installations
        on keyed.installation_code = installations.installation_code
    left join centres
        on keyed.centre_activites_code = centres.centre_activites_code
    left join priorities
        on keyed.priority_code = priorities.priority_code
),

ranked as (
    select
        *,
        row_number() over (
            partition by
                establishment_code,
                request_number,
                is_latest_transmission and quarantine_reason is null
            order by fiscal_year, period, source_file, source_record
        ) as duplicate_rank,
        row_number() over (
            partition by
                establishment_code,
                request_number,
                is_latest_transmission and quarantine_reason is null,
                file_number,
                installation_code,
                received_date,
                centre_activites_code,
                priority_code
            order by fiscal_year, period, source_file, source_record
        ) as exact_rank
    from checked
),

final as (
    select
        transmission_id,
        establishment_code,
        fiscal_year,
        period,
        establishment_code || ':' || request_number as request_id,
        user_file_id,
        person_id,
        installation_code,
        received_date,
        centre_activites_code,
        priority_code,
        age_at_reception,
        sex,
        residence_clsc_code,
        source_file,
        source_record,
        {{ row_status(
            'is_known_transmission', 'is_latest_transmission', 'quarantine_reason', 'duplicate_rank'
        ) }} as row_status,
        {{ unstaged_reason(
            'column', 'is_known_transmission', 'is_latest_transmission', 'quarantine_column',
            'quarantine_reason', 'duplicate_rank', 'exact_rank', 'no_demande'
        ) }} as quarantine_column,
        {{ unstaged_reason(
            'reason', 'is_known_transmission', 'is_latest_transmission', 'quarantine_column',
            'quarantine_reason', 'duplicate_rank', 'exact_rank', 'no_demande'
        ) }} as quarantine_reason
    from ranked
)

select * from final
