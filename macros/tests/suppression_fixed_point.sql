{# Generic test: complementary suppression reached its fixed point. On a published table
   (no persons on withheld rows): no additivity relation (a margin and its members along
   one hierarchy) holds exactly one withheld cell, which subtraction would reveal. With
   `persons` (on a protected mart, which keeps the true counts): a relation whose margin is
   published withholds no member or at least two, where persons add up enough that each
   keeps an upper bound of at least var('min_persons') even if every other is 1 (what
   suppression_round demands implies it), and a withheld margin withholds a member too.
   Fails with each relation left unprotected.
   - by, hierarchies: the key columns, as for suppression_relations
   - suppressed: the boolean column of the withheld status
   - persons: the column of distinct persons, or none for the line rule only
   - additive: the hierarchies along which persons add up, as for suppression_relations #}
{% test suppression_fixed_point(model, by, hierarchies, suppressed='cellule_supprimee', persons=none, additive=none) %}

{%- set keys = by + (hierarchies | sum(start=[])) %}

with

published as (
    select * from {{ model }}
),

membership as (
    {{ iclsc.suppression_relations('published', by, hierarchies, additive) }}
),

cells as (
    select
        {{ iclsc.cell_id(keys) }} as cell_id,
        {{ suppressed }} as is_suppressed,
        {{ persons if persons else 0 }} as persons
    from published
),

relations as (
    select
        membership.relation_id,
        max(case when membership.is_additive then 1 else 0 end) = 1 as is_additive,
        count(*) as n_cells,
        count(case when cells.is_suppressed then 1 end) as n_suppressed,
        count(case when cells.is_suppressed and membership.is_total then 1 end) as n_margins_withheld,
        count(case when cells.is_suppressed and not membership.is_total then 1 end) as n_withheld,
        sum(case when cells.is_suppressed and not membership.is_total then cells.persons else 0 end)
        as withheld_persons
    from membership
    inner join cells
        on membership.cell_id = cells.cell_id
    group by membership.relation_id
),

final as (
    select * from relations
    {%- if persons %}
    where
        (
            n_margins_withheld = 0
            and (
                n_withheld = 1
                or (
                    is_additive
                    and n_withheld >= 2
                    and withheld_persons - (n_withheld - 1) < {{ var('min_persons') | int }}
                )
            )
        )
        or (n_margins_withheld > 0 and n_withheld = 0)
    {%- else %}
    where n_suppressed = 1
    {%- endif %}
)

select * from final

{% endtest %}
