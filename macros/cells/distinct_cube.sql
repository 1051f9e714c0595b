{# Counts every cell of a table, margins included, directly on the microdata: a margin's
   distinct count is never summed from its members (one person in two programmes counts
   once in the programme total).
   - relation: the microdata (one row per event and person)
   - by: columns every cell is split by, without margins (e.g. the fiscal year)
   - hierarchies: dimension columns, coarse to fine within each hierarchy; margins hold
     var('total_label')
   - row_measures: list of [name, aggregate over rows] (e.g. ['persons',
     'count(distinct person_id)'])
   - distinct_measures: list of [name, aggregate, column] for measures that depend only on
     the distinct values of one column within a cell (e.g. ['persons', 'count(distinct
     person_id)', 'person_id']): each is computed on the distinct (finest cell, column)
     pairs, reduced once for every grouping set, instead of on every row once per set
   - event_id: the event column; events repeated over several rows (a group intervention)
     count once per cell
   - event_columns: list of [name, aggregate of the event's rows, aggregate of that
     value's partial results] (e.g. ['event_minutes', 'max(duration_minutes)',
     'max(event_minutes)'])
   - event_measures: list of [name, aggregate over the cell's events, aggregate adding up
     that measure's partial results] (e.g. ['interventions', 'count(*)',
     'sum(interventions)']): the measure of a set of events must be the roll-up of its
     value on any partition of that set (counts, sums, minima, maxima)
   Events are reduced once to (finest cell, event). An event that lies in one finest cell
   (all but a group intervention whose users differ in some dimension) is in exactly one
   cell of every grouping set, so its measures are rolled up from the finest cells; only
   the events spread over several finest cells are regrouped per set, where they count
   once per cell. Every grouping set thus reads the finest cells, never every row.
   Where the engine would derive those shared reductions again for every grouping set
   (cube_reduces_events false: Spark), each set instead groups the rows by its cell and
   event, then adds up the events (the second element of each list; same cells).
   Without event_id (none), only the row and distinct measures are computed (one row per
   event and person already, e.g. requests).
   Returns a select of by, every dimension column, then the row, distinct and event
   measures. Each part of a cell (rows, each distinct measure, events) has the same cells
   (every row belongs to one), joined on the cell's columns. #}
{% macro distinct_cube(relation, by, hierarchies, row_measures, event_id=none, event_columns=[], event_measures=[], distinct_measures=[]) %}
    {%- set dimensions = hierarchies | sum(start=[]) -%}
    {%- set finest = by + dimensions -%}
    {%- set reduce_events = event_id and iclsc.cube_reduces_events() -%}
    {%- if distinct_measures or reduce_events %}
    with
    {%- for name, aggregate, column in distinct_measures %}
    cube_pairs_{{ loop.index }} as (
        select distinct
            {%- for column_name in finest + [column] %}
            {{ column_name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relation }}
    ){% if reduce_events or not loop.last %},{% endif %}
    {%- endfor %}
    {%- if reduce_events %}
    cube_fine_events as (
        -- Each event once per finest cell it lies in, with its columns.
        {{ iclsc.cube_event_rows(relation, finest, event_id, event_columns) }}
    ),

    cube_spread_events as (
        -- The events that lie in several finest cells (within one value of `by`).
        select
            {%- for column in by %}
            {{ column }},
            {%- endfor %}
            {{ event_id }}
        from cube_fine_events
        group by {{ (by + [event_id]) | join(', ') }}
        having count(*) > 1
    ),

    cube_fine_spread as (
        select cube_fine_events.*
        from cube_fine_events
        inner join cube_spread_events
            on {{ iclsc.same_keys('cube_fine_events', 'cube_spread_events', by + [event_id]) }}
    ),

    cube_fine_cells as (
        -- The measures of the events that lie in one finest cell, per finest cell.
        select
            {%- for column in finest %}
            cube_fine_events.{{ column }},
            {%- endfor %}
            {%- for name, aggregate, rollup in event_measures %}
            {{ aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from cube_fine_events
        left join cube_spread_events
            on {{ iclsc.same_keys('cube_fine_events', 'cube_spread_events', by + [event_id]) }}
        where cube_spread_events.{{ event_id }} is null
        group by {% for column in finest %}cube_fine_events.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    )
    {%- endif %}
    {%- endif %}
    {%- for kept in iclsc.grouping_levels(hierarchies) %}
        {%- set keys = by + kept -%}
        {%- set parts = [] -%}
        {%- if row_measures %}
            {%- do parts.append('cube_rows') -%}
        {%- endif %}
        {%- for measure in distinct_measures %}
            {%- do parts.append('cube_distinct_' ~ loop.index) -%}
        {%- endfor %}
        {%- if event_id %}
            {%- do parts.append('cube_events') -%}
        {%- endif %}
        {%- set first = parts[0] -%}
        {%- set measures = [] -%}
        {%- for name, aggregate in row_measures %}
            {%- do measures.append('cube_rows.' ~ name) -%}
        {%- endfor %}
        {%- for measure in distinct_measures %}
            {%- do measures.append('cube_distinct_' ~ loop.index ~ '.' ~ measure[0]) -%}
        {%- endfor %}
        {%- for measure in event_measures if event_id %}
            {%- do measures.append('cube_events.' ~ measure[0]) -%}
        {%- endfor %}
        select
            {%- for column in by %}
            {{ first }}.{{ column }},
            {%- endfor %}
            {%- for column in dimensions %}
            {% if column in kept %}{{ first }}.{{ column }}{% else %}'{{ var("total_label") }}'{% endif %} as {{ column }},
            {%- endfor %}
            {%- for measure in measures %}
            {{ measure }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from
        {%- if row_measures %}
        (
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
        {%- endif %}
        {%- for name, aggregate, column in distinct_measures %}
        {%- set part = 'cube_distinct_' ~ loop.index %}
        {% if row_measures or not loop.first %}inner join {% endif %}(
            select
                {%- for key in keys %}
                {{ key }},
                {%- endfor %}
                {{ aggregate }} as {{ name }}
            from cube_pairs_{{ loop.index }}
            {%- if keys %}
            group by {{ keys | join(', ') }}
            {%- endif %}
        ) as {{ part }}
        {%- if row_measures or not loop.first %}
            on {% for key in keys %}{{ first }}.{{ key }} = {{ part }}.{{ key }}{% if not loop.last %} and {% endif %}{% else %}1 = 1{% endfor %}
        {%- endif %}
        {%- endfor %}
        {%- if event_id %}
        {% if row_measures or distinct_measures %}inner join {% endif %}(
            select
                {%- for column in keys %}
                {{ column }},
                {%- endfor %}
                {%- for name, aggregate, rollup in event_measures %}
                {{ rollup if reduce_events else aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
                {%- endfor %}
            from (
                {%- if reduce_events %}
                select
                    {%- for column in keys %}
                    {{ column }},
                    {%- endfor %}
                    {%- for name, aggregate, rollup in event_measures %}
                    {{ name }}{% if not loop.last %},{% endif %}
                    {%- endfor %}
                from cube_fine_cells

                union all

                select
                    {%- for column in keys %}
                    {{ column }},
                    {%- endfor %}
                    {%- for name, aggregate, rollup in event_measures %}
                    {{ aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
                    {%- endfor %}
                from (
                    {{ iclsc.cube_event_rows('cube_fine_spread', keys, event_id, event_columns, use='rollup') }}
                ) as cube_spread_rows
                {%- if keys %}
                group by {{ keys | join(', ') }}
                {%- endif %}
                {%- else %}
                {{ iclsc.cube_event_rows(relation, keys, event_id, event_columns) }}
                {%- endif %}
            ) as cube_event_parts
            {%- if keys %}
            group by {{ keys | join(', ') }}
            {%- endif %}
        ) as cube_events
        {%- if row_measures or distinct_measures %}
            on {% for column in keys %}{{ first }}.{{ column }} = cube_events.{{ column }}{% if not loop.last %} and {% endif %}{% else %}1 = 1{% endfor %}
        {%- endif %}
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endmacro %}
