{# Generic test: the model has as many rows as another relation (no row lost or added by a join). #}
{% test same_row_count(model, other) %}

with

counts as (
    select
        (select count(*) from {{ model }}) as model_rows,
        (select count(*) from {{ other }}) as other_rows
)

select * from counts
where model_rows != other_rows

{% endtest %}
