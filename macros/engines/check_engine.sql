{# Run before anything is built (on-run-start): stops the run with a clear message when the
   engine cannot give the same numbers as the others or cannot pseudonymise. DuckDB: the
   iclsc.dbt_plugin refuses a connection without a key, nothing to check here.
   PostgreSQL: text must compare in byte order (collation C, POSIX or C.UTF-8, as DuckDB
   and Spark compare it) with Unicode case mapping (a UTF-8 LC_CTYPE), pgcrypto must be
   installed and the session must carry the key. Spark: the pads view must be registered.
   Returns no SQL. #}
{% macro check_engine() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'seed', 'test', 'snapshot') -%}
        {%- do adapter.dispatch('check_engine', 'iclsc')() -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__check_engine() -%}
{%- endmacro %}

{% macro postgres__check_engine() -%}
    {%- set found = run_query("
        select
            datcollate,
            datctype,
            pg_encoding_to_char(encoding) as encoding_name,
            (select count(*) from pg_extension where extname = 'pgcrypto') as has_pgcrypto,
            current_setting('iclsc.pseudo_key', true) as pseudo_key
        from pg_database
        where datname = current_database()
    ").rows[0] -%}
    {%- set collate, ctype, encoding_name, has_pgcrypto, pseudo_key = found -%}
    {%- if collate not in ('C', 'POSIX', 'C.UTF-8', 'C.utf8') or encoding_name != 'UTF8'
        or ctype in ('C', 'POSIX') -%}
        {{ exceptions.raise_compiler_error(
            "PostgreSQL database " ~ target.dbname ~ " has encoding " ~ encoding_name
            ~ ", LC_COLLATE " ~ collate ~ ", LC_CTYPE " ~ ctype ~ ": the project needs UTF8, "
            ~ "byte-order collation (C.UTF-8) and a UTF-8 LC_CTYPE, so that text sorts and "
            ~ "changes case as on DuckDB and Spark. Create it with: create database ... "
            ~ "template template0 encoding 'UTF8' locale 'C.UTF-8'") }}
    {%- endif -%}
    {%- if has_pgcrypto == 0 -%}
        {{ exceptions.raise_compiler_error(
            "PostgreSQL database " ~ target.dbname ~ " lacks the pgcrypto extension: "
            ~ "python -m iclsc load-raw creates it (create extension pgcrypto)") }}
    {%- endif -%}
    {%- if not pseudo_key or (pseudo_key | length) < 32 -%}
        {{ exceptions.raise_compiler_error(
            "the PostgreSQL session has no pseudonymisation key: run dbt as "
            ~ "`python -m iclsc dbt ...` with ICLSC_PSEUDO_KEY set") }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__check_engine() -%}
    {%- set found = run_query("show tables in global_temp like 'iclsc_hmac_pads'") -%}
    {%- if found.rows | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "the Spark session has no pseudonymisation pads (global_temp.iclsc_hmac_pads): "
            ~ "run dbt as `python -m iclsc dbt ...` with ICLSC_PSEUDO_KEY set") }}
    {%- endif -%}
{%- endmacro %}
