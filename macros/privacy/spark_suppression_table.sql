{# A work table of Spark's complementary suppression, written from a statement: replaced if
   it exists. A table, not a cached view: what reads it next starts from its rows, not from
   the plan that made them, so the rounds' plans do not nest. #}
{% macro spark_suppression_table(name, statement) %}
    {%- do run_query('drop table if exists ' ~ name) -%}
    {%- do run_query('create table ' ~ name ~ ' as ' ~ statement) -%}
{% endmacro %}
