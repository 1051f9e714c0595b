{#- Access to services, by the ministry's logic: every cell of the `acces` universe (fiscal
    year x period x RSS x RLS of the installation that received the request x centre
    d'activités x priority), margins included ('Total'), counted on the requests:
    - annual cells (period 'Total') by RSS/RLS, centre d'activités and priority, for
      closed fiscal years;
    - period cells (centre d'activités and RLS 'Total') by RSS and priority, for every
      period present, open ones included (never published while open). A period by RLS
      is too fine for the rule: on the sample most of its cells are withheld, and the
      protection's integer programs grow with them (docs/privacy.md, "Coarsening").
    For the window of a cell (its period, or its year): requests received in it; requests
    served in it (first intervention in the user's presence in the window) with the
    median and 90th percentile of their delay and how many met the priority's target;
    persons still waiting at the window's end (received by then, not yet served). Persons
    are those of every request the cell counts; providers are those who served them.
    Incremental by (fiscal year, period), on the history fingerprint: a request crosses
    years, so a cell depends on every earlier period. -#}
{% set total = var('total_label') %}
{% set measures = [
    ['persons', 'count(distinct person_id)'],
    ['providers', 'count(distinct case when is_served then first_in_person_provider_id end)'],
    ['served_persons', 'count(distinct case when is_served then person_id end)'],
    ['waiting_persons', 'count(distinct case when is_waiting then person_id end)'],
    ['requests_received', 'count(case when is_received then 1 end)'],
    ['requests_served', 'count(case when is_served then 1 end)'],
    ['served_within_target', 'count(case when is_served and is_within_target then 1 end)'],
    ['delay_median_days', percentile_disc('case when is_served then delay_days end', 0.5)],
    ['delay_p90_days', percentile_disc('case when is_served then delay_days end', 0.9)],
] %}

with

partitions as (
    select
        fiscal_year,
        period_code,
        start_date,
        end_date,
        history_fingerprint as source_fingerprint
    from {{ ref('int_partitions') }}
    where period_code != '{{ total }}' or is_closed
),

stale as (
    {{ stale_partitions('partitions', ['fiscal_year', 'period_code']) }}
),

requests as (
    select * from {{ ref('int_requests') }}
),

rls as (
    select * from {{ ref('ref_rls') }}
),

centres as (
    select * from {{ ref('ref_centres_activites') }}
),

priorities as (
    select * from {{ ref('ref_priorities') }}
),

request_rows as (
    {# every request a window counts: received by its end and not served before its start #}
    select
        stale.fiscal_year,
        stale.period_code as cube_period_code,
        requests.person_id,
        requests.installation_rss_code,
        requests.installation_rls_code,
        requests.centre_activites_code,
        requests.priority_code,
        requests.first_in_person_provider_id,
        requests.delay_days,
        requests.is_within_target,
        requests.received_date >= stale.start_date as is_received,
        requests.first_in_person_date <= stale.end_date as is_served,
        requests.first_in_person_date is null or requests.first_in_person_date > stale.end_date as is_waiting
    from requests
    inner join stale
        on
            requests.received_date <= stale.end_date
            and (requests.first_in_person_date is null or requests.first_in_person_date >= stale.start_date)
),

annual_rows as (
    select * from request_rows
    where cube_period_code = '{{ total }}'
),

period_rows as (
    select * from request_rows
    where cube_period_code != '{{ total }}'
),

annual_counted as (
    {{ distinct_cube(
        'annual_rows',
        by=['fiscal_year', 'cube_period_code'],
        hierarchies=[['installation_rss_code', 'installation_rls_code'], ['centre_activites_code'], ['priority_code']],
        row_measures=measures,
    ) }}
),

period_counted as (
    {{ distinct_cube(
        'period_rows',
        by=['fiscal_year', 'cube_period_code'],
        hierarchies=[['installation_rss_code'], ['priority_code']],
        row_measures=measures,
    ) }}
),

counted as (
    select
        fiscal_year,
        cube_period_code as period_code,
        installation_rss_code,
        installation_rls_code,
        centre_activites_code,
        priority_code,
        {%- for name, aggregate in measures %}
            {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from annual_counted

    union all

    select
        fiscal_year,
        cube_period_code as period_code,
        installation_rss_code,
        '{{ total }}' as installation_rls_code,
        '{{ total }}' as centre_activites_code,
        priority_code,
        {%- for name, aggregate in measures %}
            {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from period_counted
),

annual_frame as (
    {{ cell_frame(
        "select fiscal_year, period_code from stale where period_code = '" ~ total ~ "'",
        [
            [
                ['installation_rss_code', 'installation_rls_code'],
                'select rss_code as installation_rss_code, rls_code as installation_rls_code from rls',
            ],
            [['centre_activites_code'], 'select centre_activites_code from centres'],
            [['priority_code'], 'select priority_code from priorities'],
        ],
    ) }}
),

period_frame as (
    {{ cell_frame(
        "select fiscal_year, period_code from stale where period_code != '" ~ total ~ "'",
        [
            [['installation_rss_code'], 'select distinct rss_code as installation_rss_code from rls'],
            [['priority_code'], 'select priority_code from priorities'],
        ],
    ) }}
),

frame as (
    select
        fiscal_year,
        period_code,
        installation_rss_code,
        installation_rls_code,
        centre_activites_code,
        priority_code
    from annual_frame

    union all

    select
        fiscal_year,
        period_code,
        installation_rss_code,
        '{{ total }}' as installation_rls_code,
        '{{ total }}' as centre_activites_code,
        priority_code
    from period_frame
),

framed as (
    select
        coalesce(frame.fiscal_year, counted.fiscal_year) as fiscal_year,
        coalesce(frame.period_code, counted.period_code) as period_code,
        coalesce(frame.installation_rss_code, counted.installation_rss_code) as installation_rss_code,
        coalesce(frame.installation_rls_code, counted.installation_rls_code) as installation_rls_code,
        coalesce(frame.centre_activites_code, counted.centre_activites_code) as centre_activites_code,
        coalesce(frame.priority_code, counted.priority_code) as priority_code,
        cast(coalesce(counted.persons, 0) as bigint) as persons,
        cast(coalesce(counted.providers, 0) as bigint) as providers,
        cast(coalesce(counted.served_persons, 0) as bigint) as served_persons,
        cast(coalesce(counted.waiting_persons, 0) as bigint) as waiting_persons,
        cast(coalesce(counted.requests_received, 0) as bigint) as requests_received,
        cast(coalesce(counted.requests_served, 0) as bigint) as requests_served,
        cast(coalesce(counted.served_within_target, 0) as bigint) as served_within_target,
        cast(counted.delay_median_days as bigint) as delay_median_days,
        cast(counted.delay_p90_days as bigint) as delay_p90_days,
        frame.fiscal_year is not null as is_in_frame
    from frame
    full outer join counted
        on
            frame.fiscal_year = counted.fiscal_year
            and frame.period_code = counted.period_code
            and frame.installation_rss_code = counted.installation_rss_code
            and frame.installation_rls_code = counted.installation_rls_code
            and frame.centre_activites_code = counted.centre_activites_code
            and frame.priority_code = counted.priority_code
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
