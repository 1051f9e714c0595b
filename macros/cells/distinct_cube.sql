{# Counts every cell of a table, margins included, directly on the microdata: a margin's
   distinct count is never summed from its members (one person in two programmes counts
   once in the programme total).
   - relation: the microdata (one row per event and person)
   - by: columns every cell is split by, without margins (e.g. the fiscal year)
   - hierarchies: dimension columns, coarse to fine within each hierarchy; margins hold
     var('total_label')
   - row_measures: list of [name, aggregate over rows] (e.g. ['persons',
     'count(distinct person_id)'])
   - event_id: the event column; events repeated over several rows (a group intervention)
     count once per cell
   - event_columns: list of [name, aggregate of the event's rows] (e.g. ['event_minutes',
     'max(duration_minutes)'])
   - event_measures: list of [name, aggregate over the cell's events]
   Without event_id (none), only the row measures are computed (one row per event and
   person already, e.g. requests).
   Returns a select of by, every dimension column, then the measures. #}
{% macro distinct_cube(relation, by, hierarchies, row_measures, event_id=none, event_columns=[], event_measures=[]) %}
    {%- set dimensions = hierarchies | sum(start=[]) -%}
    {%- for kept in iclsc.grouping_levels(hierarchies) %}
        {%- set keys = by + kept -%}
        select
            {%- for column in by %}
            cube_rows.{{ column }},
            {%- endfor %}
            {%- for column in dimensions %}
            {% if column in kept %}cube_rows.{{ column }}{% else %}'{{ var("total_label") }}'{% endif %} as {{ column }},
            {%- endfor %}
            {%- for name, aggregate in row_measures %}
            cube_rows.{{ name }}{% if event_id or not loop.last %},{% endif %}
            {%- endfor %}
            {%- for name, aggregate in event_measures if event_id %}
            cube_events.{{ name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from (
            select
                {%- for column in keys %}
                {{ column }},
                {%- endfor %}
                {%- for name, aggregate in row_measures %}
                {{ aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
                {%- endfor %}
            from {{ relation }}
            {%- if keys %}
            group by {{ keys | join(', ') }}
            {%- endif %}
        ) as cube_rows
        {%- if event_id %}
        inner join (
            select
                {%- for column in keys %}
                {{ column }},
                {%- endfor %}
                {%- for name, aggregate in event_measures %}
                {{ aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
                {%- endfor %}
            from (
                select
                    {%- for column in keys %}
                    {{ column }},
                    {%- endfor %}
                    {{ event_id }},
                    {%- for name, aggregate in event_columns %}
                    {{ aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
                    {%- endfor %}
                from {{ relation }}
                group by {{ (keys + [event_id]) | join(', ') }}
            ) as cube_event_rows
            {%- if keys %}
            group by {{ keys | join(', ') }}
            {%- endif %}
        ) as cube_events
            on {% for column in keys %}cube_rows.{{ column }} = cube_events.{{ column }}{% if not loop.last %} and {% endif %}{% else %}1 = 1{% endfor %}
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endmacro %}
