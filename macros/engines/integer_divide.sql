{# Integer quotient of two integers, truncated toward zero, on every engine. `/` is not:
   it divides exactly on DuckDB and Spark (a double) but truncates on PostgreSQL. #}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide', 'iclsc')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    {{ exceptions.raise_compiler_error("integer_divide is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro postgres__integer_divide(numerator, denominator) -%}
    (cast({{ numerator }} as bigint) / cast({{ denominator }} as bigint))
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}
