{# Settings of the engine's query planner for the transaction that builds a model, as a
   pre-hook. On PostgreSQL, the marts' queries join unindexed intermediate results whose row
   estimates collapse to one row (a fingerprint join, then complementary suppression's
   forty nested rounds); the planner then picks nested loops that rerun each inner round
   for every outer row, and a tiny build never ends. Without nested loops every round is
   computed once, by hash joins. `set local` ends with the model's transaction. Other
   engines plan these queries well: nothing. #}
{% macro planner_settings() -%}
    {{ return(adapter.dispatch('planner_settings', 'iclsc')()) }}
{%- endmacro %}

{% macro default__planner_settings() -%}
{%- endmacro %}

{% macro postgres__planner_settings() -%}
    set local enable_nestloop = off
{%- endmacro %}
