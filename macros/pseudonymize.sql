{# Keyed pseudonym of a text expression: HMAC-SHA256 (RFC 2104) of its UTF-8 bytes,
   lowercase hex, the same on every engine. The key never appears in SQL: each engine
   receives it out of band. DuckDB: the iclsc.dbt_plugin sets the HMAC pads as session
   variables. PostgreSQL: the session setting iclsc.pseudo_key (hex), sent by libpq from
   PGOPTIONS (iclsc.engines.postgres), for pgcrypto's hmac(). Spark: the pads in the
   global temporary view iclsc_hmac_pads (iclsc.engines.spark). A null input gives null. #}
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

{% macro postgres__pseudonymize(expression) -%}
    encode(
        hmac(
            convert_to({{ expression }}, 'UTF8'),
            decode(current_setting('iclsc.pseudo_key'), 'hex'),
            'sha256'
        ),
        'hex'
    )
{%- endmacro %}

{% macro spark__pseudonymize(expression) -%}
    sha2(
        concat(
            (select iclsc_pads.opad from global_temp.iclsc_hmac_pads as iclsc_pads),
            unhex(sha2(
                concat(
                    (select iclsc_pads.ipad from global_temp.iclsc_hmac_pads as iclsc_pads),
                    encode({{ expression }}, 'UTF-8')
                ),
                256
            ))
        ),
        256
    )
{%- endmacro %}
