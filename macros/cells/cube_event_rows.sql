{# One row per (cell, event) of a cube: the select that groups `relation` by the cell's
   columns and the event, with the event's columns (distinct_cube's event_columns); `use`
   picks the aggregate of each: 'aggregate' over the event's rows, 'rollup' over partial
   results already reduced. The same grouping serves the finest cells, the events spread
   over several of them, and Spark's per-set form, so they cannot disagree. #}
{% macro cube_event_rows(relation, keys, event_id, event_columns, use='aggregate') -%}
    select
        {%- for column in keys %}
        {{ column }},
        {%- endfor %}
        {{ event_id }},
        {%- for name, aggregate, rollup in event_columns %}
        {{ rollup if use == 'rollup' else aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    group by {{ (keys + [event_id]) | join(', ') }}
{%- endmacro %}
