{#- Services rendered, by territory of the installation that rendered them: every cell of
    the `services-installation` universe (fiscal year x RSS x RLS x CLSC territory of the
    installation x programme), margins included ('Total'), counted on the microdata, for
    closed fiscal years. Where services are given, whoever comes: the supply side, where a
    user served in two territories counts in each. Every cell of the frame is present, a
    true zero holds 0. Incremental by fiscal year. -#}
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
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

programmes as (
    select * from {{ ref('ref_programmes') }}
    where programme_category = 'programme-services'
),

annual_rows as (
    select
        -- Only what the cube reads: the rows are held once for its several passes.
        interventions.fiscal_year,
        interventions.installation_rss_code,
        interventions.installation_rls_code,
        interventions.installation_clsc_code,
        interventions.programme_code,
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
        hierarchies=[['installation_rss_code', 'installation_rls_code', 'installation_clsc_code'], ['programme_code']],
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
            [
                ['installation_rss_code', 'installation_rls_code', 'installation_clsc_code'],
                'select rss_code as installation_rss_code, rls_code as installation_rls_code,'
                ~ ' clsc_code as installation_clsc_code from clsc',
            ],
            [['programme_code'], 'select programme_code from programmes'],
        ],
    ) }}
),

framed as (
    select
        coalesce(frame.fiscal_year, counted.fiscal_year) as fiscal_year,
        coalesce(frame.cube_period_code, counted.cube_period_code) as period_code,
        coalesce(frame.installation_rss_code, counted.installation_rss_code) as installation_rss_code,
        coalesce(frame.installation_rls_code, counted.installation_rls_code) as installation_rls_code,
        coalesce(frame.installation_clsc_code, counted.installation_clsc_code) as installation_clsc_code,
        coalesce(frame.programme_code, counted.programme_code) as programme_code,
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
            and frame.installation_rss_code = counted.installation_rss_code
            and frame.installation_rls_code = counted.installation_rls_code
            and frame.installation_clsc_code = counted.installation_clsc_code
            and frame.programme_code = counted.programme_code
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
