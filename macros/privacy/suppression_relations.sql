{# The additivity relations of a table with margins, as membership rows: one relation per
   margin cell and hierarchy, holding that margin (is_total) and the cells one level finer
   in that hierarchy with every other key equal. An attacker who knows the published cells
   can subtract along any of them.
   - cells: relation with the key columns
   - by: columns without margins (each value is a separate table)
   - hierarchies: dimension columns, coarse to fine within each hierarchy
   - additive: the hierarchies along which distinct persons add up (a person is in one
     member only: territory of residence, age, sex); none means all of them
   A margin whose hierarchy has no finer level in the table has no relation, and cells
   whose margin is not in the table form none either (nothing to subtract from: the
   periods of a year whose annual total is not published).
   Returns cell_id, relation_id, is_total, is_additive. #}
{% macro suppression_relations(cells, by, hierarchies, additive=none) %}
    select
        cell_id,
        relation_id,
        is_total,
        is_additive
    from (
        select
            relation_rows.*,
            count(case when not relation_rows.is_total then 1 end)
                over (partition by relation_rows.relation_id)
            as n_members,
            count(case when relation_rows.is_total then 1 end)
                over (partition by relation_rows.relation_id)
            as n_totals
        from (
    {%- set total = var('total_label') -%}
    {%- set keys = by + (hierarchies | sum(start=[])) -%}
    {%- for hierarchy in hierarchies %}
        {%- set hierarchy_index = loop.index %}
        {%- set is_additive = 'true' if additive is none or hierarchy in additive else 'false' %}
        {#- a cell at depth d (its first d columns are detailed) is a member of the relation
            of the cell with column d set to the total -#}
        {%- for depth in range(1, hierarchy | length + 1) %}
            {%- set collapsed = hierarchy[depth - 1] %}
        select
            {{ iclsc.cell_id(keys) }} as cell_id,
            concat_ws('|'{% for column in keys %}, {% if column == collapsed %}'{{ total }}'{% else %}cast({{ column }} as {{ dbt.type_string() }}){% endif %}{% endfor %})
            || '#{{ hierarchy_index }}' as relation_id,
            false as is_total,
            {{ is_additive }} as is_additive
        from {{ cells }}
        where
            {%- for column in hierarchy %}
            {% if not loop.first %}and {% endif %}{{ column }} {% if loop.index <= depth %}!={% else %}={% endif %} '{{ total }}'
            {%- endfor %}
        union all
        {% endfor %}
        {#- every cell not at the finest depth is the total of its own relation -#}
        select
            {{ iclsc.cell_id(keys) }} as cell_id,
            {{ iclsc.cell_id(keys) }} || '#{{ hierarchy_index }}' as relation_id,
            true as is_total,
            {{ is_additive }} as is_additive
        from {{ cells }}
        where {{ hierarchy[-1] }} = '{{ total }}'
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
        ) as relation_rows
    ) as counted_relations
    where n_members > 0 and n_totals > 0
{% endmacro %}
