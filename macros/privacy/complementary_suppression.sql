{# Complementary suppression, deterministic, iterated to a fixed point, aware of the
   protection each withheld cell needs. Along every additivity relation (see
   suppression_relations) an attacker subtracts the published cells from the margin and
   the lower bounds of the other withheld members (at least 1 person each, since a true
   zero is published; a withheld margin at least what its withheld members' own bounds
   add up to). Each round (suppression_round) every relation left unprotected withholds
   one more cell: a withheld margin needs a withheld member; a published margin needs
   none or two withheld members, and where persons add up, enough between them that each
   keeps an upper bound of at least var('min_persons') and a width of at least 1. The
   complement is the cheapest member that protects the relation, else the largest, else
   the margin; never a zero (a published zero is known, so withholding it protects
   nothing); cheapest means a non-margin before a margin, then fewest persons, then the
   cell key. A margin is a cell that is the total of a relation: in a union of tables (a
   universe), a dimension a table lacks stands at its total without making its cells
   margins. Rounds repeat to a fixed point; the test `suppression_fixed_point` fails the
   build if var('suppression_max_rounds') rounds were not enough. What one relation at a
   time cannot see (bounds carried through chains of withheld margins, three-way tables
   that integers pin, an insider) is left to the joint protection of the release
   (src/iclsc/privacy, docs/privacy.md), which only adds to this pattern.
   - cells: a select statement giving the key columns, `persons` and
     `is_primary_suppressed` (a relation or CTE name works on DuckDB and PostgreSQL only)
   - additive: the hierarchies along which distinct persons add up (territory of
     residence, age, sex); none (the default) treats every hierarchy so, which withholds
     more where a person can be in two members
   Returns every key column, is_primary_suppressed and is_suppressed.
   DuckDB and PostgreSQL run every round in one query. Spark cannot plan that query in
   reasonable time (its analyzer works through the nested rounds one level per pass), so
   there the rounds run one by one, each written to a work table beside the model
   (spark_suppression_table), stopping at the fixed point: the same rounds (one macro), the
   same result. Cached views would not do: each keeps the plan it was made from, so round
   twenty would carry the nineteen before it (Spark ran out of memory on the services
   universe). The work tables stay until the model's next build replaces them. #}
{% macro complementary_suppression(cells, by, hierarchies, max_rounds=none, additive=none) %}
    {{ return(adapter.dispatch('complementary_suppression', 'iclsc')(cells, by, hierarchies, max_rounds, additive)) }}
{% endmacro %}

{% macro default__complementary_suppression(cells, by, hierarchies, max_rounds=none, additive=none) %}
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
        from {{ iclsc.select_or_relation(cells, 'suppression_input') }}
    ),

    suppression_membership as (
        {{ iclsc.suppression_relations('suppression_keys', by, hierarchies, additive) }}
    ),

    suppression_margins as (
        select distinct cell_id from suppression_membership
        where is_total
    ),

    suppression_cells as (
        select
            suppression_keys.cell_id,
            suppression_keys.is_primary_suppressed,
            suppression_keys.persons,
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
            is_primary_suppressed as is_suppressed,
            case when is_zero then 0 else persons - 1 end as slack
        from suppression_cells
    ),

    {% for round in range(1, rounds + 1) %}
    suppression_round_{{ round }} as (
        {{ iclsc.suppression_round(
            'suppression_membership',
            'suppression_round_' ~ (round - 1),
            'suppression_cells',
        ) | indent(8) }}
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

{% macro spark__complementary_suppression(cells, by, hierarchies, max_rounds=none, additive=none) %}
    {%- set rounds = max_rounds if max_rounds is not none else var('suppression_max_rounds') -%}
    {%- set keys = by + (hierarchies | sum(start=[])) -%}
    {%- if not modules.re.match('\\s*(with|select)\\b', cells, modules.re.IGNORECASE) -%}
        {{ exceptions.raise_compiler_error(
            "complementary_suppression on Spark needs the cells as a select statement, not "
            ~ cells ~ ": it runs its rounds as separate statements") }}
    {%- endif -%}
    {#- Work tables beside the model; the name keeps two suppressions of one model (a
        closed and an open year) apart. -#}
    {%- set prefix = this.schema ~ '.' ~ this.identifier ~ '__suppression_' ~ local_md5(cells)[:8] -%}
    {%- set ns = namespace(last=0, suppressed=none, done=false) -%}
    {#- The rounds run when the model is built; compiling it (dbt compile, docs generate)
        only shows the final select. -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- do iclsc.spark_suppression_table(prefix ~ '_input',
            'select * from (' ~ cells ~ ') as suppression_input'
        ) -%}
        {%- do iclsc.spark_suppression_table(prefix ~ '_keys',
            'select ' ~ iclsc.cell_id(keys) ~ ' as cell_id, '
            ~ keys | join(', ') ~ ', is_primary_suppressed, persons '
            ~ 'from ' ~ prefix ~ '_input'
        ) -%}
        {%- do iclsc.spark_suppression_table(prefix ~ '_membership',
            iclsc.suppression_relations(prefix ~ '_keys', by, hierarchies, additive)
        ) -%}
        {%- do iclsc.spark_suppression_table(prefix ~ '_cells',
            'select keys.cell_id, '
            ~ 'keys.is_primary_suppressed, keys.persons, keys.persons = 0 as is_zero, '
            ~ 'row_number() over (order by case when margins.cell_id is not null then 1 '
            ~ 'else 0 end, keys.persons, keys.cell_id) as cost_rank '
            ~ 'from ' ~ prefix ~ '_keys as keys left join (select distinct cell_id from '
            ~ prefix ~ '_membership where is_total) as margins on keys.cell_id = margins.cell_id'
        ) -%}
        {%- do iclsc.spark_suppression_table(prefix ~ '_round_0',
            'select cell_id, is_primary_suppressed as '
            ~ 'is_suppressed, case when is_zero then 0 else persons - 1 end as slack from '
            ~ prefix ~ '_cells'
        ) -%}
        {%- set state = run_query(
            'select count(case when is_suppressed then 1 end), sum(slack) from ' ~ prefix ~ '_round_0'
        ) -%}
        {%- set ns.suppressed = [state.columns[0].values()[0], state.columns[1].values()[0]] -%}
        {%- for round in range(1, rounds + 1) if not ns.done -%}
            {%- set round_sql = iclsc.suppression_round(
                prefix ~ '_membership', prefix ~ '_round_' ~ (round - 1), prefix ~ '_cells'
            ) -%}
            {%- do iclsc.spark_suppression_table(prefix ~ '_round_' ~ round, round_sql) -%}
            {#- Only the last round is read again: the one before goes. -#}
            {%- do run_query('drop table if exists ' ~ prefix ~ '_round_' ~ (round - 1)) -%}
            {#- Cells are only added, and for a given pattern slacks only decrease: the
                same count and the same total slack mean the same state. -#}
            {%- set state = run_query(
                'select count(case when is_suppressed then 1 end), sum(slack) from '
                ~ prefix ~ '_round_' ~ round
            ) -%}
            {%- set counted = [state.columns[0].values()[0], state.columns[1].values()[0]] -%}
            {%- set ns.last = round -%}
            {%- set ns.done = counted == ns.suppressed -%}
            {%- set ns.suppressed = counted -%}
        {%- endfor -%}
    {%- endif -%}
    select
        {%- for column in keys %}
        suppression_cells.{{ column }},
        {%- endfor %}
        suppression_cells.is_primary_suppressed,
        coalesce(
            suppression_rounds.is_suppressed,
            suppression_cells.is_primary_suppressed
        ) as is_suppressed
    from {{ prefix }}_keys as suppression_cells
    left join {{ prefix }}_round_{{ ns.last }} as suppression_rounds
        on suppression_cells.cell_id = suppression_rounds.cell_id
{% endmacro %}
