{# numerator / denominator rounded half up to `scale` decimals, as decimal(18, scale),
   computed in exact integer arithmetic so that every engine gives the same digits (a
   division through a double, as DuckDB and Spark do with `/`, can round a half the other
   way). For counts and sums of counts: both non-negative integers; null when the
   denominator is 0 or null. E.g. hours = round_ratio('minutes', 60, 2). #}
{% macro round_ratio(numerator, denominator, scale) -%}
    {%- set factor = 10 ** (scale | int) -%}
    {%- set denominator_once = 'nullif(cast(' ~ denominator ~ ' as bigint), 0)' -%}
    cast(
        cast(
            {{ iclsc.integer_divide(
                'cast(' ~ numerator ~ ' as bigint) * ' ~ (2 * factor) ~ ' + ' ~ denominator_once,
                '2 * ' ~ denominator_once
            ) }}
            as decimal(18, 0)
        ){% if scale | int > 0 %} * cast('0.{{ '0' * (scale | int - 1) }}1' as decimal(18, {{ scale }})){% endif %}
        as decimal(18, {{ scale }})
    )
{%- endmacro %}
