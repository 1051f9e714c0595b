{# The discrete percentile of the SQL standard, as PostgreSQL's percentile_disc computes
   it: the smallest value v such that at least `fraction` of the non-null values are at
   most v (the inverse of the empirical distribution function, Hyndman-Fan type 1), that
   is the value of rank ceil(fraction x n) in ascending order. It is always one of the
   values (a delay of whole days stays whole) and the median of an even count is the lower
   middle value. Nulls are ignored, so `case when ... then x end` selects the values.
   DuckDB's quantile_disc gives the same value (a unit test of access_cells pins it);
   PostgreSQL and Spark (3.3 and later) have percentile_disc ... within group.
   - expression: the values; fraction: a literal between 0 and 1 #}
{% macro percentile_disc(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_disc', 'iclsc')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_disc(expression, fraction) -%}
    percentile_disc({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_disc(expression, fraction) -%}
    quantile_disc({{ expression }}, {{ fraction }})
{%- endmacro %}
