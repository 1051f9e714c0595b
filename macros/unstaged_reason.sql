{# Why a raw row is not staged, as one field (`column` or `reason`), in the order row_status
   decides its fate: a failed check of a row whose transmission is unknown, a superseded
   transmission, a failed check, then a repeated key (exact copy or conflicting content;
   the first record is kept either way). Null on a valid row, so every row that staging
   does not keep carries its reason into stg_iclsc__quarantine.
   - failed_column, failed_reason: the first failed check (quarantine_check)
   - duplicate_rank: the row's rank among the rows of its key; exact_rank: among the rows of
     its key with the same content
   - key_label: the raw key columns, named in the `column` field of a duplicate #}
{% macro unstaged_reason(field, is_known_transmission, is_latest_transmission, failed_column, failed_reason, duplicate_rank, exact_rank, key_label) -%}
    case
        when not {{ is_known_transmission }}
            then {{ failed_column if field == 'column' else failed_reason }}
        when not {{ is_latest_transmission }}
            then {{ iclsc.string_literal('id_transmission' if field == 'column' else 'transmission remplacee par une transmission plus recente') }}
        when {{ failed_reason }} is not null
            then {{ failed_column if field == 'column' else failed_reason }}
        when {{ duplicate_rank }} > 1 and {{ exact_rank }} > 1
            then {{ iclsc.string_literal(key_label if field == 'column' else "doublon exact d'un enregistrement retenu") }}
        when {{ duplicate_rank }} > 1
            then {{ iclsc.string_literal(key_label if field == 'column' else 'doublon de cle au contenu different (le premier enregistrement est retenu)') }}
    end
{%- endmacro %}
