{# The transmission folder name in a raw file path `transmissions/<id>/<file>.csv`; an
   empty string when the path has no such folder (as regexp_extract gives it). #}
{% macro transmission_id_from_path(path_expression) -%}
    {{ return(adapter.dispatch('transmission_id_from_path', 'iclsc')(path_expression)) }}
{%- endmacro %}

{% macro default__transmission_id_from_path(path_expression) -%}
    regexp_extract({{ path_expression }}, 'transmissions/([^/]+)/[^/]+$', 1)
{%- endmacro %}

{% macro postgres__transmission_id_from_path(path_expression) -%}
    coalesce(substring({{ path_expression }} from 'transmissions/([^/]+)/[^/]+$'), '')
{%- endmacro %}
