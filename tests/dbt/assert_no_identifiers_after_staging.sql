{#- Staging is the identifier boundary. Fails when any model after staging holds a column
    named like a direct identifier, or a value that looks like a NAM (4 letters and 8
    digits), a Canadian postal code, or a birth date (a date before the earliest event the
    project handles, var('earliest_event_date')). A NAM or postal code must stand alone
    (not inside a longer run of letters and digits), so hex pseudonyms do not match by
    chance. Inspects every column of every model outside the staging folder, as built.
    It reads the relations the warehouse holds when it runs, so it must run after every
    model: it depends on every model outside staging that no other model reads (each other
    one is upstream of these), and tests/python/test_project_conventions.py fails when one
    is missing. Without them, dbt ran it first: on a fresh warehouse it found no relation
    and checked nothing; on a rebuild it read the previous build. -#}
-- depends_on: {{ ref('exp_acces_delais_annuels') }}
-- depends_on: {{ ref('exp_acces_delais_periodes') }}
-- depends_on: {{ ref('exp_modes_intervention_periodes') }}
-- depends_on: {{ ref('exp_qualite_transmissions') }}
-- depends_on: {{ ref('exp_services_annuels') }}
-- depends_on: {{ ref('exp_services_installations_annuels') }}
-- depends_on: {{ ref('exp_services_periodes') }}
-- depends_on: {{ ref('exp_soutien_domicile_annuel') }}
-- depends_on: {{ ref('exp_taux_usagers_annuels') }}
-- depends_on: {{ ref('prv_access_cells') }}
-- depends_on: {{ ref('prv_access_records') }}
-- depends_on: {{ ref('prv_home_support_cells') }}
-- depends_on: {{ ref('prv_home_support_records') }}
-- depends_on: {{ ref('prv_services_cells') }}
-- depends_on: {{ ref('prv_services_records') }}
{% set alone_before = '(.*[^A-Za-z0-9])?' -%}
{%- set alone_after = '([^A-Za-z0-9].*)?' -%}
{%- set nam_pattern = alone_before ~ '[A-Za-z]{4}[0-9]{8}' ~ alone_after -%}
{%- set postal_letter = '[ABCEGHJ-NPRSTVXYabceghj-nprstvxy]' -%}
{%- set postal_pattern = alone_before ~ postal_letter ~ '[0-9][A-Za-z] ?[0-9][A-Za-z][0-9]' ~ alone_after -%}
{%- set name_pattern = '^(nam|nom|prenom|code_postal|postal_code|date_naissance|birth_date|dob'
    ~ '|no_dossier|no_intervenant)$' -%}
{%- set checks = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() -%}
        {%- set is_after_staging = node.resource_type == 'model' and node.fqn[1] != 'staging' -%}
        {%- if is_after_staging and node.package_name == project_name -%}
            {%- set relation = adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.alias
            ) -%}
            {%- if relation is not none -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- set column_name = column.name | lower -%}
                    {%- if modules.re.search(name_pattern, column_name) -%}
                        {%- do checks.append("select '" ~ node.name ~ "' as model_name, '" ~ column.name ~ "' as column_name, 'column named like an identifier' as problem") -%}
                    {%- endif -%}
                    {%- set quoted = adapter.quote(column.name) -%}
                    {%- if column.is_string() -%}
                        {%- do checks.append(
                            "select '" ~ node.name ~ "' as model_name, '" ~ column.name ~ "' as column_name, 'value looks like a NAM or a postal code' as problem"
                            ~ " from (select 1 as found from " ~ relation ~ " where "
                            ~ iclsc.regex_full_match(quoted, nam_pattern) ~ " or " ~ iclsc.regex_full_match(quoted, postal_pattern)
                            ~ " limit 1) as hit"
                        ) -%}
                    {%- elif 'date' in column.dtype | lower or 'timestamp' in column.dtype | lower -%}
                        {%- do checks.append(
                            "select '" ~ node.name ~ "' as model_name, '" ~ column.name ~ "' as column_name, 'date before the earliest event: looks like a birth date' as problem"
                            ~ " from (select 1 as found from " ~ relation ~ " where "
                            ~ quoted ~ " < cast('" ~ var('earliest_event_date') ~ "' as date) limit 1) as hit"
                        ) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

findings as (
    {% for check in checks %}
        {{ check }}
        union all
    {% endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as problem
    where 1 = 0
)

select * from findings
