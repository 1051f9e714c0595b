{#- The quality report: one row per active establishment (one that runs an installation) and
    fiscal period of the extract's window, whether or not it transmitted. What arrived, when,
    and what staging did with the rows of its transmissions (usagers, demandes and
    interventions files together, superseded transmissions included). Rows of a folder that
    transmissions.csv does not list name no establishment and period: they are counted in
    stg_iclsc__quarantine only. -#}
{% set bases = ['base_iclsc__usagers', 'base_iclsc__demandes', 'base_iclsc__interventions'] %}

with

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

transmissions as (
    select * from {{ ref('stg_iclsc__transmissions') }}
),

fiscal_periods as (
    select * from {{ ref('ref_fiscal_periods') }}
),

usagers as (
    select * from {{ ref('stg_iclsc__usagers') }}
),

raw_rows as (
    {% for base in bases %}
        select
            establishment_code,
            fiscal_year,
            period,
            row_status
        from {{ ref(base) }}
        where establishment_code is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

establishments as (
    select distinct establishment_code from installations
),

window_bounds as (
    select
        min(fiscal_year * 100 + period) as first_key,
        max(fiscal_year * 100 + period) as last_key,
        max(cast(transmitted_at as date)) as as_of_date
    from transmissions
),

expected as (
    select
        establishments.establishment_code,
        fiscal_periods.fiscal_year,
        fiscal_periods.period,
        fiscal_periods.start_date as period_start_date,
        fiscal_periods.end_date as period_end_date,
        window_bounds.as_of_date
    from establishments
    cross join fiscal_periods
    cross join window_bounds
    where
        fiscal_periods.fiscal_year * 100 + fiscal_periods.period
        between window_bounds.first_key and window_bounds.last_key
),

received as (
    select
        establishment_code,
        fiscal_year,
        period,
        count(*) as n_transmissions,
        min(transmitted_at) as first_transmitted_at,
        max(transmitted_at) as latest_transmitted_at,
        max(case when is_latest and is_period_closed then 1 else 0 end) = 1 as is_period_closed
    from transmissions
    group by establishment_code, fiscal_year, period
),

row_counts as (
    select
        establishment_code,
        fiscal_year,
        period,
        count(*) as rows_read,
        count(case when row_status = 'valid' then 1 end) as rows_staged,
        count(case when row_status = 'quarantined' then 1 end) as rows_quarantined,
        count(case when row_status = 'duplicate' then 1 end) as rows_duplicate,
        count(case when row_status = 'superseded' then 1 end) as rows_superseded
    from raw_rows
    group by establishment_code, fiscal_year, period
),

nam as (
    select
        establishment_code,
        fiscal_year,
        period,
        count(*) as n_user_files,
        count(case when not is_nam_linked then 1 end) as n_without_nam
    from usagers
    group by establishment_code, fiscal_year, period
),

final as (
    select
        expected.establishment_code,
        expected.fiscal_year,
        expected.period,
        expected.period_start_date,
        expected.period_end_date,
        coalesce(received.n_transmissions, 0) as n_transmissions,
        received.n_transmissions is not null as is_transmitted,
        received.first_transmitted_at,
        received.latest_transmitted_at,
        {{ dbt.datediff(
            'expected.period_end_date',
            'coalesce(cast(received.first_transmitted_at as date), expected.as_of_date)',
            'day'
        ) }} as transmission_delay_days,
        coalesce(
            {{ dbt.datediff(
                'expected.period_end_date',
                'cast(received.first_transmitted_at as date)',
                'day'
            ) }} > {{ var('max_transmission_delay_days') }},
            {{ dbt.datediff('expected.period_end_date', 'expected.as_of_date', 'day') }}
            > {{ var('max_transmission_delay_days') }}
        ) as is_late,
        coalesce(received.is_period_closed, false) as is_period_closed,
        coalesce(row_counts.rows_read, 0) as rows_read,
        coalesce(row_counts.rows_staged, 0) as rows_staged,
        coalesce(row_counts.rows_quarantined, 0) as rows_quarantined,
        coalesce(row_counts.rows_duplicate, 0) as rows_duplicate,
        coalesce(row_counts.rows_superseded, 0) as rows_superseded,
        cast(nam.n_without_nam as {{ iclsc.type_double() }})
        / nullif(nam.n_user_files, 0) as share_user_files_without_nam,
        expected.as_of_date
    from expected
    left join received
        on
            expected.establishment_code = received.establishment_code
            and expected.fiscal_year = received.fiscal_year
            and expected.period = received.period
    left join row_counts
        on
            expected.establishment_code = row_counts.establishment_code
            and expected.fiscal_year = row_counts.fiscal_year
            and expected.period = row_counts.period
    left join nam
        on
            expected.establishment_code = nam.establishment_code
            and expected.fiscal_year = nam.fiscal_year
            and expected.period = nam.period
)

select * from final
