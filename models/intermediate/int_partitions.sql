{#- One row per partition of the published cubes: each fiscal period present in the data
    (period_code 'P01' to 'P13') and each fiscal year (period_code 'Total'), with whether
    it is closed and the fingerprints that incremental models compare with what they hold.

    A fingerprint changes exactly when the data a partition depends on may have changed:
    - period_fingerprint: the latest transmissions of the period, and the reference data
      that classifies rows (installations, territories, age groups, centres, modes, places,
      priorities). A resubmission or a changed reference list changes it.
    - cumulative_fingerprint: the periods of the same year up to this one. A person's
      annual class comes from their first intervention of the year, so a period's cells
      depend on every earlier period of the year, never on a later one. For a year, all
      its periods.
    - history_fingerprint: every period of every year up to this one; access delays
      follow requests across years. -#}
{% set reference_hash = dbt.hash(dbt.listagg(
    "list_name || '=' || coalesce(list_text, '')", "'|'", "order by list_name"
)) %}
{% set period_hash = dbt.hash("reference_fingerprint.fingerprint || '|' || periods.transmissions_fingerprint") %}
{% set cumulative_hash = dbt.hash(dbt.listagg(
    "earlier.period_code || '=' || earlier.period_fingerprint", "','", "order by earlier.period"
)) %}
{% set history_hash = dbt.hash(dbt.listagg(
    "cast(earlier.fiscal_year as " ~ dbt.type_string() ~ ")"
    ~ " || earlier.period_code || '=' || earlier.period_fingerprint",
    "','",
    "order by earlier.fiscal_year, earlier.period",
)) %}

with

periods as (
    select * from {{ ref('int_periods_closed') }}
),

fiscal_years as (
    select * from {{ ref('int_fiscal_years_closed') }}
),

fiscal_periods as (
    select * from {{ ref('ref_fiscal_periods') }}
),

installations as (
    select * from {{ ref('stg_iclsc__installations') }}
),

clsc as (
    select * from {{ ref('ref_clsc') }}
),

age_groups as (
    select * from {{ ref('ref_age_groups') }}
),

centres as (
    select * from {{ ref('ref_centres_activites') }}
),

modes as (
    select * from {{ ref('code_modes') }}
),

lieux as (
    select * from {{ ref('code_lieux') }}
),

priorities as (
    select * from {{ ref('ref_priorities') }}
),

programmes as (
    select * from {{ ref('ref_programmes') }}
),

reference_lists as (
    select 'installations' as list_name, {{ dbt.listagg(
        "installation_code || ':' || establishment_code || ':' || clsc_code", "','", "order by installation_code"
    ) }} as list_text
    from installations
    union all
    select 'clsc' as list_name, {{ dbt.listagg(
        "clsc_code || ':' || rls_code || ':' || rss_code", "','", "order by clsc_code"
    ) }} as list_text
    from clsc
    union all
    select 'age_groups' as list_name, {{ dbt.listagg(
        "age_group || ':' || cast(min_age as " ~ dbt.type_string() ~ ")"
        ~ " || ':' || cast(max_age as " ~ dbt.type_string() ~ ")",
        "','",
        "order by age_group",
    ) }} as list_text
    from age_groups
    union all
    select 'centres' as list_name, {{ dbt.listagg(
        "centre_activites_code || ':' || case when is_home_support then 'O' else 'N' end",
        "','",
        "order by centre_activites_code",
    ) }} as list_text
    from centres
    union all
    select 'modes' as list_name, {{ dbt.listagg(
        "mode_code || ':' || case when is_in_person then 'O' else 'N' end", "','", "order by mode_code"
    ) }} as list_text
    from modes
    union all
    select 'lieux' as list_name, {{ dbt.listagg(
        "lieu_code || ':' || case when is_home then 'O' else 'N' end", "','", "order by lieu_code"
    ) }} as list_text
    from lieux
    union all
    select 'priorities' as list_name, {{ dbt.listagg(
        "priority_code || ':' || cast(target_delay_days as " ~ dbt.type_string() ~ ")",
        "','",
        "order by priority_code",
    ) }} as list_text
    from priorities
    union all
    select 'programmes' as list_name, {{ dbt.listagg(
        "programme_code || ':' || programme_category", "','", "order by programme_code"
    ) }} as list_text
    from programmes
),

reference_fingerprint as (
    select {{ reference_hash }} as fingerprint
    from reference_lists
),

period_rows as (
    select
        periods.fiscal_year,
        periods.period,
        'P' || lpad(cast(periods.period as {{ dbt.type_string() }}), 2, '0') as period_code,
        periods.period_start_date,
        periods.period_end_date,
        periods.is_closed,
        {{ period_hash }} as period_fingerprint
    from periods
    cross join reference_fingerprint
),

cumulative as (
    select
        later.fiscal_year,
        later.period,
        {{ cumulative_hash }} as cumulative_fingerprint
    from period_rows as later
    inner join period_rows as earlier
        on
            later.fiscal_year = earlier.fiscal_year
            and later.period >= earlier.period
    group by later.fiscal_year, later.period
),

history as (
    select
        later.fiscal_year,
        later.period,
        {{ history_hash }} as history_fingerprint
    from period_rows as later
    inner join period_rows as earlier
        on
            later.fiscal_year > earlier.fiscal_year
            or (later.fiscal_year = earlier.fiscal_year and later.period >= earlier.period)
    group by later.fiscal_year, later.period
),

year_bounds as (
    select
        fiscal_year,
        min(start_date) as year_start_date,
        max(end_date) as year_end_date
    from fiscal_periods
    group by fiscal_year
),

last_periods as (
    select
        fiscal_year,
        max(period) as last_period
    from period_rows
    group by fiscal_year
),

final as (
    select
        period_rows.fiscal_year,
        period_rows.period_code,
        period_rows.period,
        period_rows.period_start_date as start_date,
        period_rows.period_end_date as end_date,
        period_rows.is_closed,
        period_rows.period_fingerprint,
        cumulative.cumulative_fingerprint,
        history.history_fingerprint
    from period_rows
    inner join cumulative
        on
            period_rows.fiscal_year = cumulative.fiscal_year
            and period_rows.period = cumulative.period
    inner join history
        on
            period_rows.fiscal_year = history.fiscal_year
            and period_rows.period = history.period

    union all

    {# a year: its cells depend on all its periods present, and on every earlier year
       for access delays; it is closed when all 13 periods are #}
    select
        fiscal_years.fiscal_year,
        '{{ var("total_label") }}' as period_code,
        cast(null as integer) as period,
        year_bounds.year_start_date as start_date,
        year_bounds.year_end_date as end_date,
        fiscal_years.is_closed,
        cumulative.cumulative_fingerprint as period_fingerprint,
        cumulative.cumulative_fingerprint,
        history.history_fingerprint
    from fiscal_years
    inner join year_bounds
        on fiscal_years.fiscal_year = year_bounds.fiscal_year
    inner join last_periods
        on fiscal_years.fiscal_year = last_periods.fiscal_year
    inner join cumulative
        on
            last_periods.fiscal_year = cumulative.fiscal_year
            and last_periods.last_period = cumulative.period
    inner join history
        on
            last_periods.fiscal_year = history.fiscal_year
            and last_periods.last_period = history.period
)

select * from final
