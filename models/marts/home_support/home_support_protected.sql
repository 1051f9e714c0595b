{#- The publishable cells of the `soutien-domicile` universe (closed fiscal years), after
    the primary rule and complementary suppression along region, place and mode. -#}
{% set keys = ['fiscal_year', 'residence_rss_code', 'lieu_code', 'mode_code'] %}
{#- one region of residence per person and year; two places or modes are possible -#}
{% set persons_add_up = [['residence_rss_code']] %}

{#- The publishable cells with their primary flag, as one statement: complementary
    suppression takes its cells so (on Spark it runs its rounds as separate statements,
    which cannot read this model's CTEs). -#}
{% set flagged_cells %}
    with

    cells as (
        select * from {{ ref('home_support_cells') }}
    ),

    partitions as (
        select * from {{ ref('int_partitions') }}
    ),

    current_cells as (
        {# only cells counted on the current data of a closed year #}
        select cells.*
        from cells
        inner join partitions
            on
                cells.fiscal_year = partitions.fiscal_year
                and cells.period_code = partitions.period_code
                and cells.source_fingerprint = partitions.cumulative_fingerprint
        where partitions.is_closed
    ),

    flagged as (
        select
            *,
            {{ is_primary_suppressed('persons', 'providers') }} as is_primary_suppressed
        from current_cells
    )

    select * from flagged
{% endset %}

with

flagged as (
    {{ flagged_cells | trim }}
),

suppressed as (
    select * from (
        {{ complementary_suppression(
            flagged_cells,
            ['fiscal_year'],
            [['residence_rss_code'], ['lieu_code'], ['mode_code']],
            additive=persons_add_up,
        ) }}
    ) as suppression
),

final as (
    select
        {%- for key in keys %}
            flagged.{{ key }},
        {%- endfor %}
        flagged.persons,
        flagged.providers,
        flagged.interventions,
        flagged.minutes,
        {{ rounded_ratio('flagged.minutes', 60, 1, 2) }} as hours,
        suppressed.is_primary_suppressed,
        suppressed.is_suppressed
    from flagged
    inner join suppressed
        on {{ same_keys('flagged', 'suppressed', keys) }}
)

select * from final
