{# A column type written the portable way (as on DuckDB and PostgreSQL) in Spark's words:
   varchar and text without a length become string, double precision becomes double. #}
{% macro spark_type(data_type) -%}
    {%- set normalized = data_type | lower | trim -%}
    {%- if normalized in ('varchar', 'text', 'character varying') -%}
        {{ return('string') }}
    {%- elif normalized == 'double precision' -%}
        {{ return('double') }}
    {%- else -%}
        {{ return(data_type) }}
    {%- endif -%}
{%- endmacro %}
