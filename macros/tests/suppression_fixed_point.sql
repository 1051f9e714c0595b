{# Generic test on a published table: complementary suppression reached its fixed point, so
   no additivity relation (a margin and its members along one hierarchy) holds exactly one
   withheld cell, which subtraction would reveal. Fails with each such relation.
   - by, hierarchies: the published key columns, as for suppression_relations
   - suppressed: the published boolean column #}
{% test suppression_fixed_point(model, by, hierarchies, suppressed='cellule_supprimee') %}

{%- set keys = by + (hierarchies | sum(start=[])) %}

with

published as (
    select * from {{ model }}
),

membership as (
    {{ iclsc.suppression_relations('published', by, hierarchies) }}
),

cells as (
    select
        {{ iclsc.cell_id(keys) }} as cell_id,
        {{ suppressed }} as is_suppressed
    from published
),

relations as (
    select
        membership.relation_id,
        count(*) as n_cells,
        count(case when cells.is_suppressed then 1 end) as n_suppressed
    from membership
    inner join cells
        on membership.cell_id = cells.cell_id
    group by membership.relation_id
)

select * from relations
where n_suppressed = 1

{% endtest %}
