{#- The publishable cells of the `services` universe (closed periods and closed fiscal
    years only), protected jointly: one primary rule and one complementary suppression over
    the union of every table of the universe (annual services by residence, services by
    period, rates, modes by period, annual services by installation), so that a cell
    published in two tables is withheld in both, and no withheld cell of one table is a
    subtraction away from cells of another. The territory of residence and the territory
    of the installation are two dimensions of one cube of interventions: a residence table
    stands at the installation total and the other way round, and the cells where both are
    at Québec are one and the same. In a closed year the 13 periods add up to the year
    (interventions and hours do), so the period is one more hierarchy; in a year still open
    the annual total is not published and each closed period is protected on its own.
    Also carries the denominators of the rates (annual cells of both sexes). -#}
{% set total = var('total_label') %}
{% set residence = ['residence_rss_code', 'residence_rls_code'] %}
{% set installation = ['installation_rss_code', 'installation_rls_code', 'installation_clsc_code'] %}
{#- a person has one territory of residence, one age group and one sex in a year; they can
    be served in two installations, two programmes, two periods and two modes -#}
{% set persons_add_up = [residence, ['age_group'], ['sex']] %}
{% set keys = [
    'fiscal_year', 'period_code', 'residence_rss_code', 'residence_rls_code',
    'installation_rss_code', 'installation_rls_code', 'installation_clsc_code',
    'programme_code', 'age_group', 'sex', 'mode_code',
] %}

{#- The publishable cells with their primary flag, as one statement: complementary
    suppression takes its cells so (on Spark it runs its rounds as separate statements,
    which cannot read this model's CTEs). -#}
{% set flagged_cells %}
    with

    residence_cells as (
        select * from {{ ref('services_residence_cells') }}
    ),

    installation_cells as (
        select * from {{ ref('services_installation_cells') }}
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

    cells as (
        select
            fiscal_year,
            period_code,
            residence_rss_code,
            residence_rls_code,
            '{{ total }}' as installation_rss_code,
            '{{ total }}' as installation_rls_code,
            '{{ total }}' as installation_clsc_code,
            programme_code,
            age_group,
            sex,
            mode_code,
            persons,
            providers,
            interventions,
            minutes,
            source_fingerprint
        from residence_cells

        union all

        {# the cells at the Québec total of the installation are those of the residence mart
           (a test checks they count the same) #}
        select
            fiscal_year,
            period_code,
            '{{ total }}' as residence_rss_code,
            '{{ total }}' as residence_rls_code,
            installation_rss_code,
            installation_rls_code,
            installation_clsc_code,
            programme_code,
            '{{ total }}' as age_group,
            '{{ total }}' as sex,
            '{{ total }}' as mode_code,
            persons,
            providers,
            interventions,
            minutes,
            source_fingerprint
        from installation_cells
        where installation_rss_code != '{{ total }}'
    ),

    current_cells as (
        {# only cells counted on the current data of a closed partition: a partition reopened
           by a later transmission, or not yet recounted, never gets through #}
        select
            cells.*,
            fiscal_years.is_fiscal_year_closed
        from cells
        inner join partitions
            on
                cells.fiscal_year = partitions.fiscal_year
                and cells.period_code = partitions.period_code
                and cells.source_fingerprint = partitions.cumulative_fingerprint
        inner join fiscal_years
            on cells.fiscal_year = fiscal_years.fiscal_year
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

partitions as (
    select * from {{ ref('int_partitions') }}
),

population as (
    select * from {{ ref('int_population_cells') }}
),

fiscal_years as (
    select
        fiscal_year,
        is_closed as is_fiscal_year_closed
    from partitions
    where period_code = '{{ total }}'
),

suppressed as (
    {{ suppression_by_year_state(
        flagged_cells,
        keys,
        closed_hierarchies=[residence, installation, ['programme_code'], ['age_group'], ['sex'], ['period_code'], ['mode_code']],
        open_hierarchies=[residence, installation, ['programme_code'], ['age_group'], ['sex'], ['mode_code']],
        additive=persons_add_up,
    ) }}
),

population_years as (
    select distinct population_year from population
),

denominator_years as (
    {# the reference year nearest the start of the fiscal year (the later one on a tie) #}
    select
        fiscal_year,
        population_year
    from (
        select
            fiscal_years.fiscal_year,
            population_years.population_year,
            row_number() over (
                partition by fiscal_years.fiscal_year
                order by
                    abs(population_years.population_year - fiscal_years.fiscal_year),
                    population_years.population_year desc
            ) as nearness
        from fiscal_years
        cross join population_years
    ) as ranked
    where nearness = 1
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
        flagged.is_fiscal_year_closed,
        suppressed.is_primary_suppressed,
        suppressed.is_suppressed,
        denominator_years.population_year,
        population.population,
        {{ rounded_ratio('flagged.persons', 'population.population', 1000, 2) }} as persons_per_1000
    from flagged
    inner join suppressed
        on {{ same_keys('flagged', 'suppressed', keys) }}
    left join denominator_years
        on
            flagged.fiscal_year = denominator_years.fiscal_year
            and flagged.period_code = '{{ total }}'
            and flagged.mode_code = '{{ total }}'
            and flagged.sex = '{{ total }}'
            and flagged.installation_rss_code = '{{ total }}'
    left join population
        on
            denominator_years.population_year = population.population_year
            and flagged.residence_rss_code = population.rss_code
            and flagged.residence_rls_code = population.rls_code
            and flagged.age_group = population.age_group
            and population.sex = '{{ total }}'
)

select * from final
