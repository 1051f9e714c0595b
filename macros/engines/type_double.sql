{# The 8-byte floating point type's name: `double` on DuckDB and Spark, `double precision`
   on PostgreSQL. dbt.type_float() is not it: `float` is 4 bytes on DuckDB and Spark. #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'iclsc')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
