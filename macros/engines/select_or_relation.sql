{# What a macro that takes "a relation or a select statement" puts after `from`: the
   relation (or CTE) name as it is, or the statement as a subquery named `alias`. #}
{% macro select_or_relation(relation_or_select, alias) -%}
    {%- if modules.re.match('\\s*(with|select)\\b', relation_or_select | string, modules.re.IGNORECASE) -%}
        ({{ relation_or_select }}) as {{ alias }}
    {%- else -%}
        {{ relation_or_select }}
    {%- endif -%}
{%- endmacro %}
