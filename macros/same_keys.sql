{# The join condition of two relations on every key column (each key equal on both sides),
   so that a join on a long key cannot forget one of its columns. #}
{% macro same_keys(left, right, keys) -%}
    {%- for key in keys -%}
        {{ left }}.{{ key }} = {{ right }}.{{ key }}{% if not loop.last %}
            and {% endif %}
    {%- endfor -%}
{%- endmacro %}
