{# Completed years of age on a date: the birthday must have been reached. Portable SQL; an
   integer on every engine (extract gives numeric on PostgreSQL). #}
{% macro age_in_years(birth_date, on_date) -%}
    cast(
        extract(year from {{ on_date }}) - extract(year from {{ birth_date }})
        - case
            when extract(month from {{ on_date }}) * 100 + extract(day from {{ on_date }})
                < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                then 1
            else 0
        end
        as integer
    )
{%- endmacro %}
