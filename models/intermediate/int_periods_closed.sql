{#- One row per fiscal period present in the data: is it closed for every establishment?
    A period is closed for an establishment when its latest transmission says so; it is
    closed when every establishment that runs an installation closed it. A run for a past
    period (var publish_through: {fiscal_year, period}) publishes what was closed as of that
    period: a later period counts as not closed, so it reaches no release. -#}
{%- set publish_through = var('publish_through') -%}
{%- if publish_through is not none -%}
    {%- set through_year = publish_through.get('fiscal_year') | int(-1) -%}
    {%- set through_period = publish_through.get('period') | int(-1) -%}
    {%- if through_year < 2000 or through_period < 1 or through_period > 13 -%}
        {{ exceptions.raise_compiler_error(
            "var publish_through must be {fiscal_year: <start year>, period: <1-13>}, got "
            ~ publish_through
        ) }}
    {%- endif -%}
{%- endif %}
with

transmissions as (
    select * from {{ ref('stg_iclsc__transmissions') }}
    where is_latest
),

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

fiscal_periods as (
    select * from {{ ref('ref_fiscal_periods') }}
),

establishments as (
    select distinct establishment_code from installations
),

periods_seen as (
    select distinct
        fiscal_year,
        period
    from transmissions
),

expected as (
    select
        periods_seen.fiscal_year,
        periods_seen.period,
        establishments.establishment_code
    from periods_seen
    cross join establishments
),

status as (
    select
        expected.fiscal_year,
        expected.period,
        count(*) as n_establishments,
        count(transmissions.transmission_id) as n_transmitted,
        count(case when transmissions.is_period_closed then 1 end) as n_closed,
        {#- which transmissions the period's rows come from: a resubmission changes it, so
            incremental models know which partitions to rebuild -#}
        {{ dbt.hash(dbt.listagg(
            "expected.establishment_code || '=' || coalesce(transmissions.transmission_id, '')",
            "','",
            "order by expected.establishment_code",
        )) }} as transmissions_fingerprint
    from expected
    left join transmissions
        on
            expected.fiscal_year = transmissions.fiscal_year
            and expected.period = transmissions.period
            and expected.establishment_code = transmissions.establishment_code
    group by expected.fiscal_year, expected.period
),

final as (
    select
        status.fiscal_year,
        status.period,
        fiscal_periods.start_date as period_start_date,
        fiscal_periods.end_date as period_end_date,
        status.n_establishments,
        status.n_transmitted,
        status.n_closed,
        status.n_closed = status.n_establishments
        {%- if publish_through is not none %}
            and (
                status.fiscal_year < {{ through_year }}
                or (status.fiscal_year = {{ through_year }} and status.period <= {{ through_period }})
            )
        {%- endif %} as is_closed,
        status.transmissions_fingerprint
    from status
    inner join fiscal_periods
        on
            status.fiscal_year = fiscal_periods.fiscal_year
            and status.period = fiscal_periods.period
)

select * from final
