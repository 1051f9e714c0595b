{# The published label of a fiscal year: its start year (an integer) as 'YYYY-YYYY', the
   year it starts and the year it ends (2025 gives '2025-2026'). #}
{% macro fiscal_year_label(fiscal_year) -%}
    cast({{ fiscal_year }} as {{ dbt.type_string() }}) || '-' || cast({{ fiscal_year }} + 1 as {{ dbt.type_string() }})
{%- endmacro %}
