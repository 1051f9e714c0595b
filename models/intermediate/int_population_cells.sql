{#- Population by reference year x RSS x RLS x age group x sex (F, M), with every margin
    ('Total'): the denominators of the published rates, on the same territories and age
    groups as the services tables. Sums of the public reference (MSSS/ISQ estimates and
    projections); the source has no third sex category, so the sex total is F + M. -#}
with

population as (
    select * from {{ ref('ref_population_rls') }}
),

rls as (
    select * from {{ ref('ref_rls') }}
),

with_region as (
    select
        population.population_year,
        rls.rss_code,
        population.rls_code,
        population.age_group,
        population.sex,
        population.population
    from population
    inner join rls
        on population.rls_code = rls.rls_code
),

summed as (
    {{ distinct_cube(
        'with_region',
        by=['population_year'],
        hierarchies=[['rss_code', 'rls_code'], ['age_group'], ['sex']],
        row_measures=[['population', 'sum(population)']],
    ) }}
),

final as (
    select
        population_year,
        rss_code,
        rls_code,
        age_group,
        sex,
        cast(population as bigint) as population
    from summed
)

select * from final
