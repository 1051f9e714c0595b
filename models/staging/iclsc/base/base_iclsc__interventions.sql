{#- Every raw intervention row, typed and checked, with its fate (row_status). The
    provider number leaves this model only as a keyed pseudonym. -#}
{% set checks = [
    {'when': "transmissions.transmission_id is null", 'column': 'filename', 'reason': 'transmission absente de transmissions.csv'},
    {'when': "intervention_number is null", 'column': 'no_intervention', 'reason': "numero d'intervention manquant"},
    {'when': "file_number is null", 'column': 'no_dossier', 'reason': 'numero de dossier manquant'},
    {'when': "intervention_date is null", 'column': 'date_intervention', 'reason': 'date manquante ou invalide'},
    {'when': "intervention_date not between transmissions.period_start_date and transmissions.period_end_date", 'column': 'date_intervention', 'reason': 'date hors de la periode de la transmission'},
    {'when': "installations.installation_code is null", 'column': 'code_installation', 'reason': 'installation inconnue'},
    {'when': "installations.establishment_code != transmissions.establishment_code", 'column': 'code_installation', 'reason': "installation d'un autre etablissement"},
    {'when': "centres.centre_activites_code is null", 'column': 'code_centre_activites', 'reason': "centre d'activites inconnu"},
    {'when': "programmes.programme_code is null", 'column': 'code_programme', 'reason': 'programme-services inconnu'},
    {'when': "coalesce(intervention_type, '') not in ('I', 'F', 'G')", 'column': 'code_type', 'reason': 'type autre que I, F ou G'},
    {'when': "modes.mode_code is null", 'column': 'code_mode', 'reason': 'mode inconnu'},
    {'when': "lieux.lieu_code is null", 'column': 'code_lieu', 'reason': 'lieu inconnu'},
    {'when': "raisons.code is null", 'column': 'code_raison', 'reason': 'raison inconnue'},
    {'when': "actes.code is null", 'column': 'code_acte', 'reason': 'acte inconnu'},
    {'when': "categories.code is null", 'column': 'code_categorie_intervenant', 'reason': "categorie d'intervenant inconnue"},
    {'when': "provider_number is null", 'column': 'no_intervenant', 'reason': "numero d'intervenant manquant"},
    {'when': "duration_minutes is null or duration_minutes <= 0", 'column': 'duree_minutes', 'reason': 'duree non entiere ou non positive'},
    {'when': "usagers.user_file_id is null", 'column': 'no_dossier', 'reason': 'usager absent de usagers.csv de la transmission'},
    {'when': "intervention_date < usagers.birth_date", 'column': 'date_intervention', 'reason': "date anterieure a la naissance de l'usager"},
    {'when': "intervention_date > cast(transmissions.transmitted_at as date)", 'column': 'date_intervention', 'reason': 'date posterieure a la reception de la transmission'},
    {'when': "request_number is not null and demandes.request_id is null", 'column': 'no_demande', 'reason': "demande absente des demandes retenues de l'etablissement"},
    {'when': "intervention_date < demandes.received_date", 'column': 'date_intervention', 'reason': 'date anterieure a la reception de la demande'},
] %}
{#- A couple, family or group intervention repeats its number once per user: these columns
    describe the intervention itself and must agree on every row of the number. -#}
{% set shared_columns = [
    ('installation_code', 'code_installation'),
    ('intervention_date', 'date_intervention'),
    ('provider_number', 'no_intervenant'),
    ('provider_category_code', 'code_categorie_intervenant'),
    ('duration_minutes', 'duree_minutes'),
    ('centre_activites_code', 'code_centre_activites'),
    ('programme_code', 'code_programme'),
    ('intervention_type', 'code_type'),
    ('mode_code', 'code_mode'),
    ('lieu_code', 'code_lieu'),
] %}

with

source as (
    {{ raw_records(source('iclsc', 'interventions')) }}
),

transmissions as (
    select * from {{ ref('stg_iclsc__transmissions') }}
),

usagers as (
    select * from {{ ref('stg_iclsc__usagers') }}
),

demandes as (
    select * from {{ ref('stg_iclsc__demandes') }}
),

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

centres as (
    select * from {{ ref('ref_centres_activites') }}
),

programmes as (
    select * from {{ ref('ref_programmes') }}
    where programme_category = 'programme-services'
),

modes as (
    select * from {{ ref('code_modes') }}
),

lieux as (
    select * from {{ ref('code_lieux') }}
),

raisons as (
    select * from {{ ref('code_raisons') }}
),

actes as (
    select * from {{ ref('code_actes') }}
),

categories as (
    select * from {{ ref('code_categories_intervenants') }}
),

typed as (
    select
        {{ transmission_id_from_path('source_file') }} as transmission_id,
        nullif(trim(no_intervention), '') as intervention_number,
        nullif(trim(no_dossier), '') as file_number,
        nullif(trim(no_demande), '') as request_number,
        nullif(trim(code_installation), '') as installation_code,
        {{ try_parse('trim(date_intervention)', 'date') }} as intervention_date,
        nullif(trim(code_centre_activites), '') as centre_activites_code,
        nullif(trim(code_programme), '') as programme_code,
        upper(trim(code_type)) as intervention_type,
        nullif(trim(code_mode), '') as mode_code,
        nullif(trim(code_lieu), '') as lieu_code,
        nullif(trim(code_raison), '') as raison_code,
        nullif(trim(code_acte), '') as acte_code,
        nullif(trim(code_categorie_intervenant), '') as provider_category_code,
        nullif(trim(no_intervenant), '') as provider_number,
        {{ try_parse('trim(duree_minutes)', 'integer') }} as duration_minutes,
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
        {{ age_in_years('usagers.birth_date', 'keyed.intervention_date') }} as age_at_event,
        {{ quarantine_check(checks, 'column') }} as quarantine_column,
        {{ quarantine_check(checks, 'reason') }} as quarantine_reason
    from keyed
    left join transmissions
        on keyed.transmission_id = transmissions.transmission_id
    left join usagers
        on
            keyed.transmission_id = usagers.transmission_id
            and keyed.user_file_id = usagers.user_file_id
    left join demandes
        on keyed.establishment_code || ':' || keyed.request_number = demandes.request_id
    left join installations
        on keyed.installation_code = installations.installation_code
    left join centres
        on keyed.centre_activites_code = centres.centre_activites_code
    left join programmes
        on keyed.programme_code = programmes.programme_code
    left join modes
        on keyed.mode_code = modes.mode_code
    left join lieux
        on keyed.lieu_code = lieux.lieu_code
    left join raisons
        on keyed.raison_code = raisons.code
    left join actes
        on keyed.acte_code = actes.code
    left join categories
        on keyed.provider_category_code = categories.code
),

candidates as (
    -- The rows that can be staged: of the latest transmission of a known period, with no
    -- failed check. Only among them do the rank of a key and the agreement of a group
    -- intervention decide anything (row_status and unstaged_reason look at the rank only
    -- after the transmission and the checks).
    select *
    from checked
    where is_known_transmission and is_latest_transmission and quarantine_reason is null
),

repeated_keys as (
    -- A key is (establishment, intervention number, user file): almost every key has one
    -- row, first of its key and of its content. Only the repeated keys need ranks.
    select
        establishment_code,
        intervention_number,
        user_file_id
    from candidates
    group by establishment_code, intervention_number, user_file_id
    having count(*) > 1
),

repeated_ranks as (
    -- The ranks of the rows of repeated keys, on these rows alone and on the columns the
    -- ranks read (a window over every row would sort every column of every row), joined
    -- back on the raw record. A later row of a key is an exact copy when an earlier row of
    -- its key has the same content.
    select
        candidates.source_file,
        candidates.source_record,
        row_number() over (
            partition by
                candidates.establishment_code,
                candidates.intervention_number,
                candidates.user_file_id
            order by
                candidates.fiscal_year,
                candidates.period,
                candidates.source_file,
                candidates.source_record
        ) as duplicate_rank,
        row_number() over (
            partition by
                candidates.establishment_code,
                candidates.intervention_number,
                candidates.user_file_id,
                candidates.request_number,
                candidates.raison_code,
                candidates.acte_code,
                {% for column, raw_column in shared_columns -%}
                    candidates.{{ column }}{% if not loop.last %},{% endif %}
                {% endfor %}
            order by
                candidates.fiscal_year,
                candidates.period,
                candidates.source_file,
                candidates.source_record
        ) as exact_rank
    from candidates
    inner join repeated_keys
        on
            candidates.establishment_code = repeated_keys.establishment_code
            and candidates.intervention_number = repeated_keys.intervention_number
            and candidates.user_file_id = repeated_keys.user_file_id
),

repeated_numbers as (
    -- Intervention numbers with several candidate rows: only they can fail the group
    -- check below (a lone row agrees with itself).
    select
        establishment_code,
        intervention_number
    from candidates
    group by establishment_code, intervention_number
    having count(*) > 1
),

group_verdicts as (
    -- Among the rows that would be staged (candidates, first of their key), the rows of one
    -- intervention number must agree on the intervention's own columns, and an individual
    -- intervention has one user. Otherwise no row of the number is trusted. An aggregate on
    -- these few columns of the repeated numbers' rows, keeping only the numbers that fail,
    -- joined back on the number.
    select
        candidates.establishment_code,
        candidates.intervention_number,
        case
            {% for column, raw_column in shared_columns %}
                when min(candidates.{{ column }}) != max(candidates.{{ column }}) then '{{ raw_column }}'
            {% endfor %}
            else 'code_type'
        end as group_column,
        case
            {% for column, raw_column in shared_columns %}
                when min(candidates.{{ column }}) != max(candidates.{{ column }})
                    then 'intervention repetee dont les lignes different ({{ raw_column }})'
            {% endfor %}
            else 'intervention individuelle repetee pour plusieurs usagers'
        end as group_reason
    from candidates
    inner join repeated_numbers
        on
            candidates.establishment_code = repeated_numbers.establishment_code
            and candidates.intervention_number = repeated_numbers.intervention_number
    left join repeated_ranks
        on
            candidates.source_file = repeated_ranks.source_file
            and candidates.source_record = repeated_ranks.source_record
    where coalesce(repeated_ranks.duplicate_rank, 1) = 1
    group by candidates.establishment_code, candidates.intervention_number
    having
        (min(candidates.intervention_type) = 'I' and count(*) > 1)
        {% for column, raw_column in shared_columns %}
            or min(candidates.{{ column }}) != max(candidates.{{ column }})
        {% endfor %}
),

group_checked as (
    select
        checked.*,
        coalesce(repeated_ranks.duplicate_rank, 1) as duplicate_rank,
        coalesce(repeated_ranks.exact_rank, 1) as exact_rank,
        case
            when coalesce(repeated_ranks.duplicate_rank, 1) > 1 then checked.quarantine_column
            else coalesce(group_verdicts.group_column, checked.quarantine_column)
        end as failed_column,
        case
            when coalesce(repeated_ranks.duplicate_rank, 1) > 1 then checked.quarantine_reason
            else coalesce(group_verdicts.group_reason, checked.quarantine_reason)
        end as failed_reason
    from checked
    left join group_verdicts
        on
            checked.is_known_transmission
            and checked.is_latest_transmission
            and checked.quarantine_reason is null
            and checked.establishment_code = group_verdicts.establishment_code
            and checked.intervention_number = group_verdicts.intervention_number
    left join repeated_ranks
        on
            checked.source_file = repeated_ranks.source_file
            and checked.source_record = repeated_ranks.source_record
),

providers as (
    -- One HMAC per distinct provider of an establishment, not per row (see user_files).
    select
        provider_numbers.establishment_code,
        provider_numbers.provider_number,
        {{ pseudonymize(
            "'intervenant:' || provider_numbers.establishment_code || ':' || provider_numbers.provider_number"
        ) }} as provider_id
    from (
        select distinct
            establishment_code,
            provider_number
        from established
        where establishment_code is not null and provider_number is not null
    ) as provider_numbers
),

with_providers as (
    select
        group_checked.*,
        providers.provider_id
    from group_checked
    left join providers
        on
            group_checked.establishment_code = providers.establishment_code
            and group_checked.provider_number = providers.provider_number
),

final as (
    select
        transmission_id,
        establishment_code,
        fiscal_year,
        period,
        establishment_code || ':' || intervention_number as intervention_id,
        user_file_id,
        person_id,
        establishment_code || ':' || request_number as request_id,
        installation_code,
        intervention_date,
        centre_activites_code,
        programme_code,
        intervention_type,
        mode_code,
        lieu_code,
        raison_code,
        acte_code,
        provider_category_code,
        provider_id,
        duration_minutes,
        age_at_event,
        sex,
        residence_clsc_code,
        source_file,
        source_record,
        {{ row_status(
            'is_known_transmission', 'is_latest_transmission', 'failed_reason', 'duplicate_rank'
        ) }} as row_status,
        {{ unstaged_reason(
            'column', 'is_known_transmission', 'is_latest_transmission', 'failed_column',
            'failed_reason', 'duplicate_rank', 'exact_rank', 'no_intervention, no_dossier'
        ) }} as quarantine_column,
        {{ unstaged_reason(
            'reason', 'is_known_transmission', 'is_latest_transmission', 'failed_column',
            'failed_reason', 'duplicate_rank', 'exact_rank', 'no_intervention, no_dossier'
        ) }} as quarantine_reason
    from with_providers
)

select * from final
