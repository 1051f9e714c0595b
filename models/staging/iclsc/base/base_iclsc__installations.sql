{#- Every raw installation row, typed and checked, with its fate (row_status). -#}
{% set checks = [
    {'when': "installation_code is null or length(installation_code) != 8", 'column': 'code_installation', 'reason': 'code invalide (8 caracteres attendus)'},
    {'when': "establishment_code is null or not " ~ regex_full_match('establishment_code', '[0-9]{8}'), 'column': 'code_etablissement', 'reason': 'code invalide (8 chiffres attendus)'},
    {'when': "known_clsc.clsc_code is null", 'column': 'code_clsc', 'reason': 'territoire CLSC inconnu'},
] %}

with

source as (
    {{ raw_records(source('iclsc', 'installations')) }}
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

typed as (
    select
        nullif(trim(code_installation), '') as installation_code,
        nullif(trim(nom_installation), '') as installation_name,
        nullif(trim(code_etablissement), '') as establishment_code,
        nullif(trim(nom_etablissement), '') as establishment_name,
        nullif(trim(code_clsc), '') as clsc_code,
        source_file,
        source_record
    from source
),

checked as (
    select
        typed.*,
        {{ quarantine_check(checks, 'column') }} as quarantine_column,
        {{ quarantine_check(checks, 'reason') }} as quarantine_reason
    from typed
    left join clsc as known_clsc
        on typed.clsc_code = known_clsc.clsc_code
),

ranked as (
    select
        *,
        row_number() over (
            partition by installation_code, quarantine_reason is null
            order by source_record
        ) as duplicate_rank,
        row_number() over (
            partition by
                installation_code,
                quarantine_reason is null,
                installation_name,
                establishment_code,
                establishment_name,
                clsc_code
            order by source_record
        ) as exact_rank
    from checked
),

final as (
    select
        installation_code,
        installation_name,
        establishment_code,
        establishment_name,
        clsc_code,
        source_file,
        source_record,
        {{ row_status('true', 'true', 'quarantine_reason', 'duplicate_rank') }} as row_status,
        {{ unstaged_reason(
            'column', 'true', 'true', 'quarantine_column', 'quarantine_reason',
            'duplicate_rank', 'exact_rank', 'code_installation'
        ) }} as quarantine_column,
        {{ unstaged_reason(
            'reason', 'true', 'true', 'quarantine_column', 'quarantine_reason',
            'duplicate_rank', 'exact_rank', 'code_installation'
        ) }} as quarantine_reason
    from ranked
)

select * from final
