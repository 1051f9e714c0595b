{# Complementary suppression, deterministic, iterated to a fixed point.
   A withheld cell can be recomputed by subtraction when it is the only withheld cell of an
   additivity relation (see suppression_relations). Each round, every relation with exactly
   one withheld cell withholds one more: its cheapest publishable cell, never a zero (a
   published zero is known, so withholding it protects nothing); cheapest means a non-margin
   before a margin, then fewest persons, then the cell key. A margin is a cell that is the
   total of a relation: in a union of tables (a universe), a dimension a table lacks stands
   at its total without making its cells margins. Rounds repeat until no
   relation has exactly one withheld cell; the test `suppression_fixed_point` fails the
   build if var('suppression_max_rounds') rounds were not enough.
   - cells: relation with the key columns, `persons` and `is_primary_suppressed`
   Returns every key column, is_primary_suppressed and is_suppressed. #}
{% macro complementary_suppression(cells, by, hierarchies, max_rounds=none) %}
    {%- set rounds = max_rounds if max_rounds is not none else var('suppression_max_rounds') -%}
    {%- set keys = by + (hierarchies | sum(start=[])) -%}
    with

    suppression_keys as (
        select
            {{ iclsc.cell_id(keys) }} as cell_id,
            {%- for column in keys %}
            {{ column }},
            {%- endfor %}
            is_primary_suppressed,
            persons
        from {{ cells }}
    ),

    suppression_membership as (
        {{ iclsc.suppression_relations('suppression_keys', by, hierarchies) }}
    ),

    suppression_margins as (
        select distinct cell_id from suppression_membership
        where is_total
    ),

    suppression_cells as (
        select
            suppression_keys.cell_id,
            suppression_keys.is_primary_suppressed,
            suppression_keys.persons = 0 as is_zero,
            row_number() over (
                order by
                    case when suppression_margins.cell_id is not null then 1 else 0 end,
                    suppression_keys.persons,
                    suppression_keys.cell_id
            ) as cost_rank
        from suppression_keys
        left join suppression_margins
            on suppression_keys.cell_id = suppression_margins.cell_id
    ),

    suppression_round_0 as (
        select
            cell_id,
            is_primary_suppressed as is_suppressed
        from suppression_cells
    ),

    {% for round in range(1, rounds + 1) %}
    suppression_round_{{ round }} as (
        select
            cell_id,
            max(case when is_suppressed or is_picked then 1 else 0 end) = 1 as is_suppressed
        from (
            select
                scored.cell_id,
                scored.is_suppressed,
                scored.n_suppressed = 1
                and not scored.is_suppressed
                and not scored.is_zero
                and row_number() over (
                    partition by scored.relation_id
                    order by
                        case when scored.is_suppressed or scored.is_zero then 1 else 0 end,
                        scored.cost_rank
                ) = 1 as is_picked
            from (
                select
                    suppression_membership.relation_id,
                    suppression_membership.cell_id,
                    previous.is_suppressed,
                    suppression_cells.is_zero,
                    suppression_cells.cost_rank,
                    sum(case when previous.is_suppressed then 1 else 0 end)
                        over (partition by suppression_membership.relation_id)
                    as n_suppressed
                from suppression_membership
                inner join suppression_round_{{ round - 1 }} as previous
                    on suppression_membership.cell_id = previous.cell_id
                inner join suppression_cells
                    on suppression_membership.cell_id = suppression_cells.cell_id
            ) as scored
        ) as picked
        group by cell_id
    ),
    {% endfor %}

    suppression_final as (
        select
            {%- for column in keys %}
            suppression_keys.{{ column }},
            {%- endfor %}
            suppression_keys.is_primary_suppressed,
            {#- a cell in no relation (a table without margins) keeps its primary flag -#}
            coalesce(
                suppression_round_{{ rounds }}.is_suppressed,
                suppression_keys.is_primary_suppressed
            ) as is_suppressed
        from suppression_keys
        left join suppression_round_{{ rounds }}
            on suppression_keys.cell_id = suppression_round_{{ rounds }}.cell_id
    )

    select * from suppression_final
{% endmacro %}
