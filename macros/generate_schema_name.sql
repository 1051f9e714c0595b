{# Custom schemas are used as named (staging, marts, exports...), not prefixed with the
   target schema, so that every engine holds the same relation names. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
