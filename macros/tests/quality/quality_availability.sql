{# Generic test, criterion "availability": data arrive in time and periods get closed. Fails
   with one row per late or still-open row (failed_check, period_end, days); severity warn
   unless configured. The reference date is the latest reception in the model, not today,
   so the same extract always gives the same result.
   - period_end: the column of the period's last day
   - received_at: the column of the reception time
   - max_delay_days: a reception later than this many days after period_end is late
   - is_closed: optional boolean column; with max_open_days, a period still open that
     ended more than max_open_days before the reference date fails
   - where: optional filter of the rows checked #}
{% test quality_availability(model, period_end, received_at, max_delay_days, is_closed=none, max_open_days=none, where=none) %}
{{ config(severity='warn') }}

with

checked as (
    select * from {{ model }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
),

reference_date as (
    select max(cast({{ received_at }} as date)) as as_of_date from checked
),

violations as (
    select
        'transmission en retard' as failed_check,
        checked.{{ period_end }} as period_end,
        {{ dbt.datediff('checked.' ~ period_end, 'cast(checked.' ~ received_at ~ ' as date)', 'day') }} as days
    from checked
    where
        {{ dbt.datediff('checked.' ~ period_end, 'cast(checked.' ~ received_at ~ ' as date)', 'day') }}
        > {{ max_delay_days }}
    {%- if is_closed and max_open_days is not none %}
    union all
    select
        'periode non fermee' as failed_check,
        checked.{{ period_end }} as period_end,
        {{ dbt.datediff('checked.' ~ period_end, 'reference_date.as_of_date', 'day') }} as days
    from checked
    cross join reference_date
    where
        not checked.{{ is_closed }}
        and {{ dbt.datediff('checked.' ~ period_end, 'reference_date.as_of_date', 'day') }}
        > {{ max_open_days }}
    {%- endif %}
)

select * from violations

{% endtest %}
