{# numerator x multiplier / denominator, rounded half up to `scale` decimals, the same
   digits on every engine: the rounding is done on integers (one exact division, then
   floor), never by an engine's round() on a binary float, whose ties differ between
   DuckDB, PostgreSQL and Spark. Null when the denominator is 0 or null. For non-negative
   counts (a few hundred billion at most, exact in a double).
   Returns a decimal(18, scale). #}
{% macro rounded_ratio(numerator, denominator, multiplier=1, scale=2) -%}
    case
        when {{ denominator }} > 0
            then cast(
                floor(
                    (2 * {{ multiplier * 10 ** scale }} * cast({{ numerator }} as bigint) + {{ denominator }})
                    / (2.0 * {{ denominator }})
                )
                / {{ 10 ** scale }}.0
                as decimal(18, {{ scale }})
            )
    end
{%- endmacro %}
