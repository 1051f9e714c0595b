{# Whether distinct_cube reduces the events once to (finest cell, event) in CTEs that every
   grouping set reads (true), or groups the rows by cell and event in each set (false). Both
   give the same cells; the choice is only how the engine plans them. DuckDB and PostgreSQL
   compute a CTE read several times once. Spark inlines every CTE at each reference: the
   shared reductions were derived again, four times per grouping set (services_residence_cells
   on tiny: 1,712 shuffles instead of 518, 167 s instead of 44 s), so there each set reads
   the rows once instead. #}
{% macro cube_reduces_events() -%}
    {{ return(adapter.dispatch('cube_reduces_events', 'iclsc')()) }}
{%- endmacro %}

{% macro default__cube_reduces_events() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__cube_reduces_events() -%}
    {{ return(false) }}
{%- endmacro %}
