{# Cast that yields null instead of failing when the text does not convert; staging uses it
   so that one bad value sends its row to quarantine instead of stopping the run. #}
{% macro safe_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('safe_cast', 'iclsc')(expression, data_type)) }}
{%- endmacro %}

{% macro default__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}
