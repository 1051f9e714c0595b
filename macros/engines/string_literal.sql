{# A SQL string literal holding exactly `value` on every engine. DuckDB and PostgreSQL
   double a quote; Spark reads a backslash as an escape and glues adjacent literals
   ('d''un' is 'dun' there), so it escapes both with a backslash. #}
{% macro string_literal(value) -%}
    {{ return(adapter.dispatch('string_literal', 'iclsc')(value)) }}
{%- endmacro %}

{% macro default__string_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
