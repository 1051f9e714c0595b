{# Generic test: every column of the grain is filled on every row. #}
{% test not_null_combination(model, columns) %}

select * from {{ model }}
where
    {% for column in columns %}
        {{ column }} is null{% if not loop.last %} or{% endif %}
    {% endfor %}

{% endtest %}
