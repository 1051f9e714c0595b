{# Every cell a table publishes, margins included, whether or not anyone was counted in it:
   a true zero is published as 0, so the frame comes from the reference lists, not from
   the data.
   - by_relation: a select of the `by` columns (e.g. the fiscal years to publish)
   - hierarchies: list of [columns coarse to fine, a select of the leaf combinations of
     those columns] (e.g. [['rss_code', 'rls_code'], 'select rss_code, rls_code from ...'])
   Returns a select of the by columns then every dimension column. #}
{% macro cell_frame(by_relation, hierarchies) %}
    select *
    from ({{ by_relation }}) as frame_by
    {%- for columns, members in hierarchies %}
    {%- set hierarchy_index = loop.index %}
    cross join (
        {%- for depth in range(columns | length + 1) %}
        select distinct
            {%- for column in columns %}
            {% if loop.index0 < depth %}{{ column }}{% else %}'{{ var("total_label") }}'{% endif %} as {{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from ({{ members }}) as frame_members_{{ hierarchy_index }}_{{ depth }}
        {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ) as frame_{{ hierarchy_index }}
    {%- endfor %}
{% endmacro %}
