{# Keyed pseudonym of a text expression: HMAC-SHA256 (RFC 2104), lowercase hex.
   The key never appears in SQL: each engine receives it out of band (on DuckDB the
   iclsc.dbt_plugin sets the HMAC pads as session variables). A null input gives null. #}
{% macro pseudonymize(expression) -%}
    {{ return(adapter.dispatch('pseudonymize', 'iclsc')(expression)) }}
{%- endmacro %}

{% macro default__pseudonymize(expression) -%}
    {{ exceptions.raise_compiler_error(
        "pseudonymize is not implemented for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__pseudonymize macro") }}
{%- endmacro %}

{% macro duckdb__pseudonymize(expression) -%}
    sha256(
        getvariable('iclsc_hmac_opad')
        || unhex(sha256(getvariable('iclsc_hmac_ipad') || encode({{ expression }})))
    )
{%- endmacro %}
