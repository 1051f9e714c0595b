{#- One row per fiscal year present in the data: an annual table may be published only
    when all 13 periods of the year are closed for every establishment. -#}
with

periods as (
    select * from {{ ref('int_periods_closed') }}
),

final as (
    select
        fiscal_year,
        count(*) as n_periods_present,
        count(case when is_closed then 1 end) as n_periods_closed,
        count(case when is_closed then 1 end) = 13 as is_closed
    from periods
    group by fiscal_year
)

select * from final
