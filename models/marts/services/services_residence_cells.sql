{#- Services rendered, by territory of residence of the user: every cell of the
    `services-residence` universe, margins included ('Total'), counted on the microdata.
    Two slices of one cube (fiscal year x period x RSS x RLS x programme x age group x
    sex x mode):
    - annual cells (period 'Total', mode 'Total'), by RSS/RLS, programme, age group and
      sex, for closed fiscal years only (a year's cube is the costly part, and only closed
      years are published);
    - period cells (age group and sex 'Total'), for every period present, open ones
      included (they stay visible here, never in a release): by RSS/RLS and programme
      (mode 'Total'), and by RSS, programme and mode (RLS 'Total').
    Distinct persons and providers are counted for every cell, margins included; an
    intervention attended by several users counts once per cell; minutes are those of the
    distinct interventions. Every cell of the frame is present, a true zero holds 0.
    Incremental by partition (fiscal year, period): only partitions whose fingerprint
    changed are recounted. -#}
{% set total = var('total_label') %}
{#- what the cube reads, and only that: its rows are held once for its several passes -#}
{% set cube_columns = [
    'fiscal_year', 'residence_rss_code', 'residence_rls_code', 'programme_code', 'age_group',
    'sex', 'mode_code', 'intervention_id', 'person_id', 'provider_id', 'duration_minutes',
] %}

with

partitions as (
    select
        fiscal_year,
        period_code,
        cumulative_fingerprint as source_fingerprint
    from {{ ref('int_partitions') }}
    where period_code != '{{ total }}' or is_closed
),

stale as (
    {{ stale_partitions('partitions', ['fiscal_year', 'period_code']) }}
),

interventions as (
    select * from {{ ref('int_interventions_classified') }}
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

modes as (
    select * from {{ ref('code_modes') }}
),

annual_rows as (
    select
        {%- for column in cube_columns %}
            interventions.{{ column }},
        {%- endfor %}
        stale.period_code as cube_period_code
    from interventions
    inner join stale
        on interventions.fiscal_year = stale.fiscal_year
    where stale.period_code = '{{ total }}'
),

period_rows as (
    select
        {%- for column in cube_columns %}
            interventions.{{ column }},
        {%- endfor %}
        stale.period_code as cube_period_code
    from interventions
    inner join stale
        on
            interventions.fiscal_year = stale.fiscal_year
            and interventions.period_code = stale.period_code
),

annual_counted as (
    {{ distinct_cube(
        'annual_rows',
        by=['fiscal_year', 'cube_period_code'],
        hierarchies=[['residence_rss_code', 'residence_rls_code'], ['programme_code'], ['age_group'], ['sex']],
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

period_counted as (
    {{ distinct_cube(
        'period_rows',
        by=['fiscal_year', 'cube_period_code'],
        hierarchies=[['residence_rss_code', 'residence_rls_code'], ['programme_code'], ['mode_code']],
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

counted as (
    select
        fiscal_year,
        cube_period_code as period_code,
        residence_rss_code,
        residence_rls_code,
        programme_code,
        age_group,
        sex,
        '{{ total }}' as mode_code,
        persons,
        providers,
        interventions,
        minutes
    from annual_counted

    union all

    select
        fiscal_year,
        cube_period_code as period_code,
        residence_rss_code,
        residence_rls_code,
        programme_code,
        '{{ total }}' as age_group,
        '{{ total }}' as sex,
        mode_code,
        persons,
        providers,
        interventions,
        minutes
    from period_counted
    where mode_code = '{{ total }}' or residence_rls_code = '{{ total }}'
),

annual_frame as (
    {{ cell_frame(
        "select fiscal_year, period_code from stale where period_code = '" ~ total ~ "'",
        [
            [
                ['residence_rss_code', 'residence_rls_code'],
                'select rss_code as residence_rss_code, rls_code as residence_rls_code from rls',
            ],
            [['programme_code'], 'select programme_code from programmes'],
            [['age_group'], 'select age_group from age_groups'],
            [['sex'], 'select sex_code as sex from sexes'],
        ],
    ) }}
),

period_frame as (
    {{ cell_frame(
        "select fiscal_year, period_code from stale where period_code != '" ~ total ~ "'",
        [
            [
                ['residence_rss_code', 'residence_rls_code'],
                'select rss_code as residence_rss_code, rls_code as residence_rls_code from rls',
            ],
            [['programme_code'], 'select programme_code from programmes'],
            [['mode_code'], 'select mode_code from modes'],
        ],
    ) }}
),

frame as (
    select
        fiscal_year,
        period_code,
        residence_rss_code,
        residence_rls_code,
        programme_code,
        age_group,
        sex,
        '{{ total }}' as mode_code
    from annual_frame

    union all

    select
        fiscal_year,
        period_code,
        residence_rss_code,
        residence_rls_code,
        programme_code,
        '{{ total }}' as age_group,
        '{{ total }}' as sex,
        mode_code
    from period_frame
    where mode_code = '{{ total }}' or residence_rls_code = '{{ total }}'
),

framed as (
    select
        coalesce(frame.fiscal_year, counted.fiscal_year) as fiscal_year,
        coalesce(frame.period_code, counted.period_code) as period_code,
        coalesce(frame.residence_rss_code, counted.residence_rss_code) as residence_rss_code,
        coalesce(frame.residence_rls_code, counted.residence_rls_code) as residence_rls_code,
        coalesce(frame.programme_code, counted.programme_code) as programme_code,
        coalesce(frame.age_group, counted.age_group) as age_group,
        coalesce(frame.sex, counted.sex) as sex,
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
            and frame.period_code = counted.period_code
            and frame.residence_rss_code = counted.residence_rss_code
            and frame.residence_rls_code = counted.residence_rls_code
            and frame.programme_code = counted.programme_code
            and frame.age_group = counted.age_group
            and frame.sex = counted.sex
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
