{# A text key of a cell: its key column values joined by '|'. Codes never hold '|'. #}
{% macro cell_id(columns, prefix='') -%}
    concat_ws('|'{% for column in columns %}, cast({{ prefix }}{{ column }} as {{ dbt.type_string() }}){% endfor %})
{%- endmacro %}
