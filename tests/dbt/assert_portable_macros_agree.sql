{#- The portability macros give the contract's answer on the engine this runs on: texts that
    each engine's own cast reads differently, regular expressions, quotes, date layouts,
    integer division, exact rounding and the discrete percentile. The engine tests run it on
    DuckDB, PostgreSQL and Spark. Fails with each case whose answer is wrong. -#}
{#- A NAM-shaped text, built in SQL: the project's files must hold no NAM-like value. -#}
{%- set nam_like = "concat('ABCD', '12345678')" -%}
{#- rounded_ratio (the catalogue's rates, hours and shares): 201/200 = 1.005 is a tie in
    decimal but just under one as a double; 45 x 1000 / 9000001 = 0.0049999994... is just
    under a tie, which a division kept to 6 decimals would round up to one. -#}
{%- set cases = [
    ('date: not a calendar day', try_parse("'2025-02-30'", 'date') ~ ' is null'),
    ('date: leap day', try_parse("'2024-02-29'", 'date') ~ " = cast('2024-02-29' as date)"),
    ('date: unpadded month', try_parse("'2025-1-5'", 'date') ~ ' is null'),
    ('date: year zero', try_parse("'0000-01-01'", 'date') ~ ' is null'),
    ('integer: decimal text', try_parse("'5.6'", 'integer') ~ ' is null'),
    ('integer: plus sign', try_parse("'+30'", 'integer') ~ ' = 30'),
    ('integer: out of range', try_parse("'2147483648'", 'integer') ~ ' is null'),
    ('integer: lowest', try_parse("'-2147483648'", 'integer') ~ ' = -2147483648'),
    ('bigint: too many digits', try_parse("'1234567890123456789'", 'bigint') ~ ' is null'),
    ('timestamp: with a T', try_parse("'2025-05-28T15:59:14'", 'timestamp')
        ~ " = " ~ try_parse("'2025-05-28 15:59:14'", 'timestamp')),
    ('timestamp: hour 24', try_parse("'2025-05-28T24:00:00'", 'timestamp') ~ ' is null'),
    ('timestamp: time zone', try_parse("'2025-05-28T15:59:14Z'", 'timestamp') ~ ' is null'),
    ('decimal: within scale', try_parse("'12.34'", 'decimal(5,2)') ~ ' = 12.34'),
    ('decimal: beyond scale', try_parse("'12.345'", 'decimal(5,2)') ~ ' is null'),
    ('regex: whole text', regex_full_match(nam_like, '[A-Z]{4}[0-9]{8}')),
    ('regex: not a prefix', 'not ' ~ regex_full_match("concat(" ~ nam_like ~ ", '9')", '[A-Z]{4}[0-9]{8}')),
    ('regex: no final line break', 'not ' ~ regex_full_match("concat(" ~ nam_like ~ ", chr(10))", '[A-Z]{4}[0-9]{8}')),
    ('literal: quote', string_literal("d'un") ~ " = concat('d', chr(39), 'un')"),
    ('literal: backslash', 'length(' ~ string_literal('a\\b') ~ ') = 3'),
    ('format_date: day', format_date("cast('2025-04-01' as date)", 'YYYY-MM-DD') ~ " = '2025-04-01'"),
    ('format_date: month', format_date("cast('2025-04-01' as date)", 'YYYY/MM') ~ " = '2025/04'"),
    ('integer_divide: positive', integer_divide('7', '2') ~ ' = 3'),
    ('integer_divide: negative', integer_divide('-7', '2') ~ ' = -3'),
    ('round_ratio: hours', round_ratio('125', '60', 2) ~ ' = 2.08'),
    ('round_ratio: half up', round_ratio('1', '8', 2) ~ ' = 0.13'),
    ('round_ratio: zero denominator', round_ratio('1', '0', 2) ~ ' is null'),
    ('rounded_ratio: hours', rounded_ratio('125', '60', 1, 2) ~ ' = 2.08'),
    ('rounded_ratio: decimal tie', rounded_ratio('201', '200', 1, 2) ~ ' = 1.01'),
    ('rounded_ratio: just under a tie', rounded_ratio('45', '9000001', 1000, 2) ~ ' = 0.00'),
    ('rounded_ratio: zero denominator', rounded_ratio('1', '0', 1000, 2) ~ ' is null'),
] -%}

with

results as (
    {% for name, condition in cases %}
        select
            {{ string_literal(name) }} as case_name,
            coalesce({{ condition }}, false) as is_right
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

percentiles as (
    select
        'percentile_disc: first value at or above p' as case_name,
        percentile_disc(0.9) within group (order by sample.observed) = 2 as is_right
    from (
        select 0 as observed
        union all
        select 1 as observed
        union all
        select 2 as observed
    ) as sample
),

percentile_macro as (
    {#- the macro the access marts use: the lower middle value of an even count -#}
    select
        'percentile_disc macro: lower middle value' as case_name,
        {{ iclsc.percentile_disc('sample.observed', 0.5) }} = 1 as is_right
    from (
        select 0 as observed
        union all
        select 1 as observed
        union all
        select 2 as observed
        union all
        select 3 as observed
    ) as sample
),

final as (
    select * from results
    union all
    select * from percentiles
    union all
    select * from percentile_macro
)

select * from final
where not is_right
