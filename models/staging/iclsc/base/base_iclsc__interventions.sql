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

ranked as (
    select
        *,
        is_known_transmission
        and is_latest_transmission
        and quarantine_reason is null as is_candidate,
        row_number() over (
            partition by
                establishment_code,
                intervention_number,
                user_file_id,
                is_latest_transmission and quarantine_reason is null
            order by fiscal_year, period, source_file, source_record
        ) as duplicate_rank,
        -- The same partition and order as duplicate_rank, so both share one sort.
        count(*) over (
            partition by
                establishment_code,
                intervention_number,
                user_file_id,
                is_latest_transmission and quarantine_reason is null
            order by fiscal_year, period, source_file, source_record
            rows between unbounded preceding and unbounded following
        ) as key_rows
    from checked
),

exact_ranks as (
    -- A repeated key is an exact copy when an earlier row of its key has the same content.
    -- Only the few keys with several rows need that rank (a lone row is first of its
    -- content), so it is computed on them alone and joined back on the raw record.
    select
        source_file,
        source_record,
        row_number() over (
            partition by
                establishment_code,
                intervention_number,
                user_file_id,
                is_latest_transmission and quarantine_reason is null,
                request_number,
                raison_code,
                acte_code,
                {{ shared_columns | map(attribute=0) | join(', ') }}
            order by fiscal_year, period, source_file, source_record
        ) as exact_rank
    from ranked
    where key_rows > 1
),

group_verdicts as (
    -- Among the rows that would be staged (candidates, first of their key), the rows of one
    -- intervention number must agree on the intervention's own columns, and an individual
    -- intervention has one user. Otherwise no row of the number is trusted. An aggregate on
    -- these few columns, keeping only the numbers that fail: far cheaper than windows that
    -- carry every column of every row, and joined back on the number.
    select
        establishment_code,
        intervention_number,
        case
            {% for column, raw_column in shared_columns %}
                when min({{ column }}) != max({{ column }}) then '{{ raw_column }}'
            {% endfor %}
            else 'code_type'
        end as group_column,
        case
            {% for column, raw_column in shared_columns %}
                when min({{ column }}) != max({{ column }})
                    then 'intervention repetee dont les lignes different ({{ raw_column }})'
            {% endfor %}
            else 'intervention individuelle repetee pour plusieurs usagers'
        end as group_reason
    from ranked
    where is_candidate and duplicate_rank = 1
    group by establishment_code, intervention_number
    having
        (min(intervention_type) = 'I' and count(*) > 1)
        {% for column, raw_column in shared_columns %}
            or min({{ column }}) != max({{ column }})
        {% endfor %}
),

group_checked as (
    select
        ranked.*,
        coalesce(exact_ranks.exact_rank, 1) as exact_rank,
        case
            when not ranked.is_candidate or ranked.duplicate_rank > 1 then ranked.quarantine_column
            else coalesce(group_verdicts.group_column, ranked.quarantine_column)
        end as failed_column,
        case
            when not ranked.is_candidate or ranked.duplicate_rank > 1 then ranked.quarantine_reason
            else coalesce(group_verdicts.group_reason, ranked.quarantine_reason)
        end as failed_reason
    from ranked
    left join group_verdicts
        on
            ranked.establishment_code = group_verdicts.establishment_code
            and ranked.intervention_number = group_verdicts.intervention_number
    left join exact_ranks
        on
            ranked.source_file = exact_ranks.source_file
            and ranked.source_record = exact_ranks.source_record
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
