{# Generic test: no two rows share the same values in `columns` (the grain). Fails with one
   row per repeated combination. Pair it with not_null tests on the same columns. #}
{% test unique_combination(model, columns) %}

with

grouped as (
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
)

select * from grouped
where n_rows > 1

{% endtest %}
