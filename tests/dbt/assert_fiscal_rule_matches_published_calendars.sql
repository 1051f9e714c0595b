{#- The fiscal period seed, written from the rule in src/iclsc/fiscal.py, must reproduce every
    period of the calendars the MSSS published. Fails with each period that differs. -#}
with

published as (
    select * from {{ ref('ref_published_fiscal_periods') }}
),

rule as (
    select * from {{ ref('ref_fiscal_periods') }}
),

final as (
    select
        published.fiscal_year,
        published.period,
        published.start_date as published_start_date,
        rule.start_date as rule_start_date,
        published.end_date as published_end_date,
        rule.end_date as rule_end_date
    from published
    left join rule
        on
            published.fiscal_year = rule.fiscal_year
            and published.period = rule.period
    where
        rule.fiscal_year is null
        or published.start_date != rule.start_date
        or published.end_date != rule.end_date
)

select * from final
