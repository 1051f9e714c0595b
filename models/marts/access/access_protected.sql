{#- The publishable cells of the `acces` universe (closed periods and closed fiscal
    years), after the primary rule and one complementary suppression over both tables
    (annual and by period). A cell is withheld when its persons, the persons served (on
    whom the delay percentiles are computed) or the persons still waiting number 1 to 4,
    or when fewer than 3 providers served its requests: a percentile on fewer than 5
    persons is withheld like a count. In a closed year the periods add up to the year
    (requests received and served do), so the period is one more hierarchy. -#}
{% set total = var('total_label') %}
{% set territory = ['installation_rss_code', 'installation_rls_code'] %}
{#- persons do not add up along any hierarchy here: a person can ask at two installations,
    in two centres d'activités, with two priorities, in two periods; each margin bounds its
    members from above, and two withheld members per relation are enough -#}
{% set keys = [
    'fiscal_year', 'period_code', 'installation_rss_code', 'installation_rls_code',
    'centre_activites_code', 'priority_code',
] %}
{% set within_target_percent = rounded_ratio('flagged.served_within_target', 'flagged.requests_served', 100, 1) %}

{#- The publishable cells with their primary flag, as one statement: complementary
    suppression takes its cells so (on Spark it runs its rounds as separate statements,
    which cannot read this model's CTEs). -#}
{% set flagged_cells %}
    with

    cells as (
        select * from {{ ref('access_cells') }}
    ),

    partitions as (
        select * from {{ ref('int_partitions') }}
    ),

    fiscal_years as (
        select
            fiscal_year,
            is_closed as is_fiscal_year_closed
        from partitions
        where period_code = '{{ total }}'
    ),

    current_cells as (
        {# only cells counted on the current data of a closed partition #}
        select
            cells.*,
            fiscal_years.is_fiscal_year_closed
        from cells
        inner join partitions
            on
                cells.fiscal_year = partitions.fiscal_year
                and cells.period_code = partitions.period_code
                and cells.source_fingerprint = partitions.history_fingerprint
        inner join fiscal_years
            on cells.fiscal_year = fiscal_years.fiscal_year
        where partitions.is_closed
    ),

    flagged as (
        select
            *,
            (
                {{ is_primary_suppressed('persons', 'providers') }}
                or {{ is_primary_suppressed('served_persons', 'providers') }}
                or {{ is_primary_suppressed('waiting_persons', 'providers') }}
            ) as is_primary_suppressed
        from current_cells
    )

    select * from flagged
{% endset %}

with

flagged as (
    {{ flagged_cells | trim }}
),

suppressed as (
    {{ suppression_by_year_state(
        flagged_cells,
        keys,
        closed_hierarchies=[territory, ['centre_activites_code'], ['priority_code'], ['period_code']],
        open_hierarchies=[territory, ['centre_activites_code'], ['priority_code']],
        additive=[],
    ) }}
),

final as (
    select
        {%- for key in keys %}
            flagged.{{ key }},
        {%- endfor %}
        flagged.persons,
        flagged.providers,
        flagged.served_persons,
        flagged.waiting_persons,
        flagged.requests_received,
        flagged.requests_served,
        flagged.served_within_target,
        flagged.delay_median_days,
        flagged.delay_p90_days,
        {{ within_target_percent }} as served_within_target_percent,
        flagged.is_fiscal_year_closed,
        suppressed.is_primary_suppressed,
        suppressed.is_suppressed
    from flagged
    inner join suppressed
        on {{ same_keys('flagged', 'suppressed', keys) }}
)

select * from final
