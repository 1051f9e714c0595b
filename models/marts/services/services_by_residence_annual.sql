{#- Services rendered, by fiscal year x region (RSS) x RLS of residence x programme x age
    group x sex, with every margin (totals and subtotals as rows, marked 'Total'). Every
    cell, margins included, counts distinct persons and providers on the microdata. Every
    cell of the frame is present: a cell with no service holds zeros. -#}
{% set hierarchies = [
    ['residence_rss_code', 'residence_rls_code'],
    ['programme_code'],
    ['age_group'],
    ['sex'],
] %}

with

interventions as (
    select * from {{ ref('int_interventions_classified') }}
),

fiscal_years as (
    select * from {{ ref('int_fiscal_years_closed') }}
),

rls as (
    select * from {{ ref('ref_rls') }}
),

programmes as (
    select * from {{ ref('ref_programmes') }}
    where programme_category = 'programme-services'
),

age_groups as (
    select * from {{ ref('ref_age_groups') }}
),

sexes as (
    select * from {{ ref('ref_sexes') }}
),

counted as (
    {{ distinct_cube(
        'interventions',
        by=['fiscal_year'],
        hierarchies=hierarchies,
        row_measures=[
            ['persons', 'count(distinct person_id)'],
            ['providers', 'count(distinct provider_id)'],
        ],
        event_id='intervention_id',
        event_columns=[['event_minutes', 'max(duration_minutes)']],
        event_measures=[
            ['interventions', 'count(*)'],
            ['minutes', 'sum(event_minutes)'],
        ],
    ) }}
),

frame as (
    {{ cell_frame(
        'select fiscal_year from fiscal_years',
        [
            [['residence_rss_code', 'residence_rls_code'], 'select rss_code as residence_rss_code, rls_code as residence_rls_code from rls'],
            [['programme_code'], 'select programme_code from programmes'],
            [['age_group'], 'select age_group from age_groups'],
            [['sex'], 'select sex_code as sex from sexes'],
        ],
    ) }}
),

framed as (
    select
        coalesce(frame.fiscal_year, counted.fiscal_year) as fiscal_year,
        coalesce(frame.residence_rss_code, counted.residence_rss_code) as residence_rss_code,
        coalesce(frame.residence_rls_code, counted.residence_rls_code) as residence_rls_code,
        coalesce(frame.programme_code, counted.programme_code) as programme_code,
        coalesce(frame.age_group, counted.age_group) as age_group,
        coalesce(frame.sex, counted.sex) as sex,
        cast(coalesce(counted.persons, 0) as bigint) as persons,
        cast(coalesce(counted.providers, 0) as bigint) as providers,
        cast(coalesce(counted.interventions, 0) as bigint) as interventions,
        cast(coalesce(counted.minutes, 0) as bigint) as minutes,
        frame.fiscal_year is not null as is_in_frame
    from frame
    full outer join counted
        on
            frame.fiscal_year = counted.fiscal_year
            and frame.residence_rss_code = counted.residence_rss_code
            and frame.residence_rls_code = counted.residence_rls_code
            and frame.programme_code = counted.programme_code
            and frame.age_group = counted.age_group
            and frame.sex = counted.sex
),

final as (
    select
        framed.*,
        (
            framed.residence_rss_code = '{{ var("total_label") }}'
            or framed.residence_rls_code = '{{ var("total_label") }}'
            or framed.programme_code = '{{ var("total_label") }}'
            or framed.age_group = '{{ var("total_label") }}'
            or framed.sex = '{{ var("total_label") }}'
        ) as is_margin,
        fiscal_years.is_closed as is_fiscal_year_closed
    from framed
    inner join fiscal_years
        on framed.fiscal_year = fiscal_years.fiscal_year
)

select * from final
