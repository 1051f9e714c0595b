{# A date (or timestamp) as text in a fixed layout, the same on every engine. `layout` uses
   the tokens YYYY, MM and DD (e.g. 'YYYY-MM-DD', 'YYYY-MM'); other characters are copied.
   Each engine spells layouts differently (strftime, to_char, date_format), and a plain
   cast to text follows the session's DateStyle on PostgreSQL. #}
{% macro format_date(expression, layout) -%}
    {{ return(adapter.dispatch('format_date', 'iclsc')(expression, layout)) }}
{%- endmacro %}

{% macro default__format_date(expression, layout) -%}
    {{ exceptions.raise_compiler_error("format_date is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__format_date(expression, layout) -%}
    strftime({{ expression }}, {{ iclsc.string_literal(
        layout | replace('%', '%%') | replace('YYYY', '%Y') | replace('MM', '%m') | replace('DD', '%d')
    ) }})
{%- endmacro %}

{% macro postgres__format_date(expression, layout) -%}
    {#- to_char copies text between double quotes as it is -#}
    {%- set parts = modules.re.split('(YYYY|MM|DD)', layout) -%}
    {%- set ns = namespace(pattern='') -%}
    {%- for part in parts -%}
        {%- if part in ('YYYY', 'MM', 'DD') -%}
            {%- set ns.pattern = ns.pattern ~ part -%}
        {%- elif part -%}
            {%- set ns.pattern = ns.pattern ~ '"' ~ part ~ '"' -%}
        {%- endif -%}
    {%- endfor -%}
    to_char({{ expression }}, {{ iclsc.string_literal(ns.pattern) }})
{%- endmacro %}

{% macro spark__format_date(expression, layout) -%}
    {#- date_format copies text between single quotes as it is -#}
    {%- set parts = modules.re.split('(YYYY|MM|DD)', layout) -%}
    {%- set ns = namespace(pattern='') -%}
    {%- for part in parts -%}
        {%- if part in ('YYYY', 'MM', 'DD') -%}
            {%- set ns.pattern = ns.pattern ~ {'YYYY': 'yyyy', 'MM': 'MM', 'DD': 'dd'}[part] -%}
        {%- elif part -%}
            {%- set ns.pattern = ns.pattern ~ "'" ~ part | replace("'", "''") ~ "'" -%}
        {%- endif -%}
    {%- endfor -%}
    date_format({{ expression }}, {{ iclsc.string_literal(ns.pattern) }})
{%- endmacro %}
