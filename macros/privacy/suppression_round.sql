{# One round of complementary suppression: every cell's status and slack after it, from
   those before it. The slack of a cell is how far its true persons lie above the lower
   bound an attacker proves for it if it is withheld: persons - 1 (a withheld cell holds
   at least 1 person, since a true zero is published), and no more than the slacks of its
   withheld members summed, along every hierarchy where persons add up and it is the
   margin (a margin of published members is their sum: slack 0). A relation (a margin and
   its members along one hierarchy) is protected when
   - its margin is withheld and so is at least one member (else the margin is their sum);
   - its margin is published and it withholds no member, or, where persons add up, at
     least two such that an attacker who subtracts the published cells and the others'
     lower bounds from the margin leaves each of them an upper bound of at least
     var('min_persons') and a width of at least 1 (for a member w: persons(w) + the
     others' slacks >= min_persons, and the others' slacks >= 1); where persons do not
     add up (a person in two programmes), the margin bounds each member from above, but
     the events of the members do add up (interventions): at least two withheld members,
     and, leaving out the largest, persons - 1 of the others at least 1 between them (a
     cell of 1 person and 1 intervention beside another would be pinned at 1).
   An unprotected relation withholds one more cell this round, never a zero (withholding
   a known zero protects nothing): the cheapest member that protects it (cheapest: a
   non-margin before a margin, then fewest persons, then the cell key: cost_rank), else
   the member with the most slack, else the margin. A cell that any relation picks is
   withheld. Cells are only ever added, and for a given pattern slacks only decrease:
   rounds repeated reach a fixed point. Portable SQL (window functions and aggregates, no
   engine function): the same rounds give the same cells on every engine.
   - membership: cell_id, relation_id, is_total, is_additive (suppression_relations)
   - previous: cell_id, is_suppressed, slack (the state before the round)
   - cells: cell_id, persons, is_zero, cost_rank
   Returns cell_id, is_suppressed and slack for every cell in some relation. #}
{% macro suppression_round(membership, previous, cells) %}
    {%- set min_persons = var('min_persons') | int -%}
    select
        cell_id,
        max(case when is_suppressed or is_picked then 1 else 0 end) = 1 as is_suppressed,
        min(
            case
                when is_zero then 0
                when is_total and is_additive and coalesce(withheld_slack, 0) < persons - 1
                    then coalesce(withheld_slack, 0)
                else persons - 1
            end
        ) as slack
    from (
        select
            ranked.cell_id,
            ranked.is_total,
            ranked.is_additive,
            ranked.is_suppressed,
            ranked.is_zero,
            ranked.persons,
            ranked.withheld_slack,
            ranked.is_unprotected
            and not ranked.is_suppressed
            and not ranked.is_zero
            and row_number() over (
                partition by ranked.relation_id
                order by
                    case when ranked.is_suppressed or ranked.is_zero then 1 else 0 end,
                    case when ranked.is_total then 1 else 0 end,
                    case when ranked.is_sufficient then 0 else 1 end,
                    case when ranked.is_sufficient then 0 else -ranked.slack end,
                    ranked.cost_rank
            ) = 1 as is_picked
        from (
            select
                scored.relation_id,
                scored.cell_id,
                scored.is_total,
                scored.is_additive,
                scored.is_suppressed,
                scored.is_zero,
                scored.persons,
                scored.slack,
                scored.cost_rank,
                scored.withheld_slack,
                case
                    when scored.n_margins_withheld > 0 then scored.n_withheld = 0
                    when scored.n_withheld = 0 then false
                    when scored.n_withheld = 1 then true
                    when not scored.is_additive
                        then scored.withheld_excess - scored.withheld_max_excess < 1
                    else
                        scored.withheld_slack - scored.withheld_max_slack < 1
                        or scored.withheld_low + scored.withheld_slack < {{ min_persons }}
                end as is_unprotected,
                {#- the relation with this cell withheld too: protected? -#}
                scored.n_withheld = 0
                or (
                    not scored.is_additive
                    and coalesce(scored.withheld_excess, 0) + scored.persons - 1
                    - case
                        when scored.persons - 1 > coalesce(scored.withheld_max_excess, 0)
                            then scored.persons - 1
                        else coalesce(scored.withheld_max_excess, 0)
                    end >= 1
                )
                or (
                    scored.is_additive
                    and coalesce(scored.withheld_slack, 0) + scored.slack
                    - case
                        when scored.slack > coalesce(scored.withheld_max_slack, 0) then scored.slack
                        else coalesce(scored.withheld_max_slack, 0)
                    end >= 1
                    and case
                        when scored.persons - scored.slack < coalesce(scored.withheld_low, scored.persons)
                            then scored.persons - scored.slack
                        else coalesce(scored.withheld_low, scored.persons)
                    end
                    + coalesce(scored.withheld_slack, 0) + scored.slack >= {{ min_persons }}
                ) as is_sufficient
            from (
                select
                    relation_cells.relation_id,
                    relation_cells.cell_id,
                    relation_cells.is_total,
                    relation_cells.is_additive,
                    before_round.is_suppressed,
                    before_round.slack,
                    cell_costs.is_zero,
                    cell_costs.persons,
                    cell_costs.cost_rank,
                    sum(
                        case when relation_cells.is_total and before_round.is_suppressed then 1 else 0 end
                    ) over (partition by relation_cells.relation_id) as n_margins_withheld,
                    sum(
                        case when not relation_cells.is_total and before_round.is_suppressed then 1 else 0 end
                    ) over (partition by relation_cells.relation_id) as n_withheld,
                    sum(
                        case
                            when not relation_cells.is_total and before_round.is_suppressed
                                then before_round.slack
                        end
                    ) over (partition by relation_cells.relation_id) as withheld_slack,
                    max(
                        case
                            when not relation_cells.is_total and before_round.is_suppressed
                                then before_round.slack
                        end
                    ) over (partition by relation_cells.relation_id) as withheld_max_slack,
                    min(
                        case
                            when not relation_cells.is_total and before_round.is_suppressed
                                then cell_costs.persons - before_round.slack
                        end
                    ) over (partition by relation_cells.relation_id) as withheld_low,
                    sum(
                        case
                            when not relation_cells.is_total and before_round.is_suppressed
                                then cell_costs.persons - 1
                        end
                    ) over (partition by relation_cells.relation_id) as withheld_excess,
                    max(
                        case
                            when not relation_cells.is_total and before_round.is_suppressed
                                then cell_costs.persons - 1
                        end
                    ) over (partition by relation_cells.relation_id) as withheld_max_excess
                from {{ membership }} as relation_cells
                inner join {{ previous }} as before_round
                    on relation_cells.cell_id = before_round.cell_id
                inner join {{ cells }} as cell_costs
                    on relation_cells.cell_id = cell_costs.cell_id
            ) as scored
        ) as ranked
    ) as picked
    group by cell_id
{% endmacro %}
