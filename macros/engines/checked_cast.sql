{# The engine's cast of a text that try_parse has already checked, so it cannot fail when
   it runs: try_cast where the engine has it (Spark may evaluate a branch before its
   condition, where a plain cast could fail under ANSI rules); on PostgreSQL (no try_cast)
   a cast of concat(text): PostgreSQL folds a cast of a constant while planning, even in a
   CASE branch never taken, and concat, being stable rather than immutable, is not folded.
   Use try_parse, not this. #}
{% macro checked_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('checked_cast', 'iclsc')(expression, data_type)) }}
{%- endmacro %}

{% macro default__checked_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro postgres__checked_cast(expression, data_type) -%}
    cast(concat({{ expression }}) as {{ data_type }})
{%- endmacro %}
