{#- Every raw user row, typed and checked, with its fate (row_status). The NAM and the file
    number leave this model only as keyed pseudonyms; names and postal codes are never
    read. The birth date stays in staging: later layers receive an age. -#}
{% set checks = [
    {'when': "transmissions.transmission_id is null", 'column': 'filename', 'reason': 'transmission absente de transmissions.csv'},
    {'when': "file_number is null", 'column': 'no_dossier', 'reason': 'numero de dossier manquant'},
    {'when': "birth_date is null", 'column': 'date_naissance', 'reason': 'date manquante ou invalide'},
    {'when': "birth_date > transmissions.period_end_date", 'column': 'date_naissance', 'reason': 'date posterieure a la periode'},
    {'when': age_in_years('birth_date', 'transmissions.period_start_date') ~ " > 120", 'column': 'date_naissance', 'reason': 'age de plus de 120 ans'},
    {'when': "sexes.sex_code is null", 'column': 'sexe', 'reason': 'code de sexe inconnu'},
    {'when': "residence.clsc_code is null", 'column': 'code_clsc_residence', 'reason': 'territoire CLSC inconnu'},
] %}

with

source as (
    {{ raw_records(source('iclsc', 'usagers')) }}
),

transmissions as (
    select * from {{ ref('stg_iclsc__transmissions') }}
),

sexes as (
    select * from {{ ref('ref_sexes') }}
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

typed as (
    select
        {{ transmission_id_from_path('source_file') }} as transmission_id,
        nullif(trim(no_dossier), '') as file_number,
        upper(replace(trim(nam), ' ', '')) as nam,
        {{ try_parse('trim(date_naissance)', 'date') }} as birth_date,
        upper(trim(sexe)) as sex,
        nullif(trim(code_clsc_residence), '') as residence_clsc_code,
        source_file,
        source_record
    from source
),

checked as (
    select
        typed.*,
        transmissions.establishment_code,
        transmissions.fiscal_year,
        transmissions.period,
        transmissions.transmission_id is not null as is_known_transmission,
        coalesce(transmissions.is_latest, false) as is_latest_transmission,
        {{ quarantine_check(checks, 'column') }} as quarantine_column,
        {{ quarantine_check(checks, 'reason') }} as quarantine_reason
    from typed
    left join transmissions
        on typed.transmission_id = transmissions.transmission_id
    left join sexes
        on typed.sex = sexes.sex_code
    left join clsc as residence
        on typed.residence_clsc_code = residence.clsc_code
),

ranked as (
    select
        *,
        row_number() over (
            partition by
                transmission_id,
                file_number,
                is_latest_transmission and quarantine_reason is null
            order by source_record
        ) as duplicate_rank,
        row_number() over (
            partition by
                transmission_id,
                file_number,
                is_latest_transmission and quarantine_reason is null,
                nam,
                birth_date,
                sex,
                residence_clsc_code
            order by source_record
        ) as exact_rank
    from checked
),

user_files as (
    -- One HMAC per distinct file of an establishment and per distinct NAM, not per row: a
    -- user recurs in every period's file and HMAC-SHA256 costs more than the join (a null
    -- part gives no pseudonym, as pseudonymize gives null on null input).
    select
        file_numbers.establishment_code,
        file_numbers.file_number,
        {{ pseudonymize("file_numbers.establishment_code || ':' || file_numbers.file_number") }}
            as user_file_id,
        {{ pseudonymize("'dossier:' || file_numbers.establishment_code || ':' || file_numbers.file_number") }}
            as file_person_id
    from (
        select distinct
            establishment_code,
            file_number
        from checked
        where establishment_code is not null and file_number is not null
    ) as file_numbers
),

nams as (
    select
        distinct_nams.nam,
        {{ pseudonymize('distinct_nams.nam') }} as nam_person_id
    from (
        select distinct nam
        from checked
        where {{ regex_full_match('nam', '[A-Z]{4}[0-9]{8}') }}
    ) as distinct_nams
),

pseudonymized as (
    select
        ranked.*,
        user_files.user_file_id,
        user_files.file_person_id,
        nams.nam_person_id
    from ranked
    left join user_files
        on
            ranked.establishment_code = user_files.establishment_code
            and ranked.file_number = user_files.file_number
    left join nams
        on ranked.nam = nams.nam
),

final as (
    select
        transmission_id,
        establishment_code,
        fiscal_year,
        period,
        user_file_id,
        case
            when {{ regex_full_match('nam', '[A-Z]{4}[0-9]{8}') }}
                then nam_person_id
            else file_person_id
        end as person_id,
        coalesce({{ regex_full_match('nam', '[A-Z]{4}[0-9]{8}') }}, false) as is_nam_linked,
        birth_date,
        sex,
        residence_clsc_code,
        source_file,
        source_record,
        {{ row_status(
            'is_known_transmission', 'is_latest_transmission', 'quarantine_reason', 'duplicate_rank'
        ) }} as row_status,
        {{ unstaged_reason(
            'column', 'is_known_transmission', 'is_latest_transmission', 'quarantine_column',
            'quarantine_reason', 'duplicate_rank', 'exact_rank', 'no_dossier'
        ) }} as quarantine_column,
        {{ unstaged_reason(
            'reason', 'is_known_transmission', 'is_latest_transmission', 'quarantine_column',
            'quarantine_reason', 'duplicate_rank', 'exact_rank', 'no_dossier'
        ) }} as quarantine_reason
    from pseudonymized
)

select * from final
