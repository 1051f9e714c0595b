with

transmissions as (
    select * from {{ ref('base_iclsc__transmissions') }}
    where row_status = 'valid'
),

ranked as (
    select
        *,
        row_number() over (
            partition by establishment_code, fiscal_year, period
            order by transmitted_at desc, transmission_id desc
        ) as recency_rank
    from transmissions
),

final as (
    select
        transmission_id,
        establishment_code,
        fiscal_year,
        period,
        period_start_date,
        period_end_date,
        transmitted_at,
        is_period_closed,
        recency_rank,
        recency_rank = 1 as is_latest
    from ranked
)

select * from final
