{# Complementary suppression of a universe whose cells span closed and open fiscal years,
   as one statement: a closed year is protected as a whole, its periods one more hierarchy
   (they add up to the year); in a year still open the annual total is not published, so
   each closed period is protected on its own. The two passes never share a cell, so their
   union is the pattern of the universe.
   - flagged_cells: a select statement of the cells with is_fiscal_year_closed (see
     complementary_suppression for the rest), not a CTE name (Spark runs the rounds as
     separate statements)
   - keys: the cells' key columns, in the order the result lists them
   - closed_hierarchies, open_hierarchies: the hierarchies of each pass (period_code among
     the first, never in the second)
   - additive: as in complementary_suppression
   Returns keys, is_primary_suppressed and is_suppressed. #}
{% macro suppression_by_year_state(flagged_cells, keys, closed_hierarchies, open_hierarchies, additive) %}
    {%- set passes = [
        ['closed_suppression', '', ['fiscal_year'], closed_hierarchies],
        ['open_suppression', 'not ', ['fiscal_year', 'period_code'], open_hierarchies],
    ] -%}
    {#- union by name: the two passes list their key columns in different orders -#}
    {%- for alias, negation, by, hierarchies in passes %}
    select
        {%- for key in keys %}
            {{ key }},
        {%- endfor %}
        is_primary_suppressed,
        is_suppressed
    from (
        {{ iclsc.complementary_suppression(
            'select * from (' ~ flagged_cells | trim ~ ') as flagged where ' ~ negation ~ 'is_fiscal_year_closed',
            by,
            hierarchies,
            additive=additive,
        ) }}
    ) as {{ alias }}
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
{% endmacro %}
