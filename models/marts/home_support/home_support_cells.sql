{#- Home support: every cell of the `soutien-domicile` universe (fiscal year x RSS of
    residence x place x mode), margins included ('Total'), counted on the microdata of the
    home-support interventions (programme SAPA, or a home-support centre d'activités),
    for closed fiscal years. Every cell of the frame is present, a true zero holds 0.
    Incremental by fiscal year. -#}
{% set total = var('total_label') %}

with

partitions as (
    select
        fiscal_year,
        period_code,
        cumulative_fingerprint as source_fingerprint
    from {{ ref('int_partitions') }}
    where period_code = '{{ total }}' and is_closed
),

stale as (
    {{ stale_partitions('partitions', ['fiscal_year', 'period_code']) }}
),

interventions as (
    select * from {{ ref('int_interventions_classified') }}
    where is_home_support
),

rss as (
    select * from {{ ref('ref_rss') }}
),

lieux as (
    select * from {{ ref('code_lieux') }}
),

modes as (
    select * from {{ ref('code_modes') }}
),

annual_rows as (
    select
        -- Only what the cube reads: the rows are held once for its several passes.
        interventions.fiscal_year,
        interventions.residence_rss_code,
        interventions.lieu_code,
        interventions.mode_code,
        interventions.intervention_id,
        interventions.person_id,
        interventions.provider_id,
        interventions.duration_minutes,
        stale.period_code as cube_period_code
    from interventions
    inner join stale
        on interventions.fiscal_year = stale.fiscal_year
),

counted as (
    {{ distinct_cube(
        'annual_rows',
        by=['fiscal_year', 'cube_period_code'],
        hierarchies=[['residence_rss_code'], ['lieu_code'], ['mode_code']],
        row_measures=[],
        distinct_measures=[
            ['persons', 'count(distinct person_id)', 'person_id'],
            ['providers', 'count(distinct provider_id)', 'provider_id'],
        ],
        event_id='intervention_id',
        event_columns=[['event_minutes', 'max(duration_minutes)', 'max(event_minutes)']],
        event_measures=[
            ['interventions', 'count(*)', 'sum(interventions)'],
            ['minutes', 'sum(event_minutes)', 'sum(minutes)'],
        ],
    ) }}
),

frame as (
    {{ cell_frame(
        'select fiscal_year, period_code as cube_period_code from stale',
        [
            [['residence_rss_code'], 'select rss_code as residence_rss_code from rss'],
            [['lieu_code'], 'select lieu_code from lieux'],
            [['mode_code'], 'select mode_code from modes'],
        ],
    ) }}
),

framed as (
    select
        coalesce(frame.fiscal_year, counted.fiscal_year) as fiscal_year,
        coalesce(frame.cube_period_code, counted.cube_period_code) as period_code,
        coalesce(frame.residence_rss_code, counted.residence_rss_code) as residence_rss_code,
        coalesce(frame.lieu_code, counted.lieu_code) as lieu_code,
        coalesce(frame.mode_code, counted.mode_code) as mode_code,
        cast(coalesce(counted.persons, 0) as bigint) as persons,
        cast(coalesce(counted.providers, 0) as bigint) as providers,
        cast(coalesce(counted.interventions, 0) as bigint) as interventions,
        cast(coalesce(counted.minutes, 0) as bigint) as minutes,
        frame.fiscal_year is not null as is_in_frame
    from frame
    full outer join counted
        on
            frame.fiscal_year = counted.fiscal_year
            and frame.cube_period_code = counted.cube_period_code
            and frame.residence_rss_code = counted.residence_rss_code
            and frame.lieu_code = counted.lieu_code
            and frame.mode_code = counted.mode_code
),

final as (
    select
        framed.*,
        stale.source_fingerprint
    from framed
    inner join stale
        on
            framed.fiscal_year = stale.fiscal_year
            and framed.period_code = stale.period_code
)

select * from final
