{# dbt.listagg on Spark, in the order asked. dbt-spark's ignores `order by` (with a warning)
   and joins the values in whatever order the shuffle gives: the fingerprints built with it
   (int_periods_closed, int_partitions) could then change between two runs on the same
   data, and incremental models would rebuild partitions for nothing. Here the values are
   sorted by the order-by expressions, then by the value itself; nulls are skipped, as
   collect_list does.
   - order_by_clause: `order by a, b` (ascending, no nulls clause), or none #}
{% macro spark__listagg(measure, delimiter_text, order_by_clause=none, limit_num=none) -%}
    {%- set keys = [] -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause | trim -%}
        {%- if not modules.re.match('(?i)order\\s+by\\s', clause)
            or modules.re.search('(?i)\\b(asc|desc|nulls)\\b', clause) -%}
            {{ exceptions.raise_compiler_error(
                "listagg on Spark takes `order by a, b` (ascending), not: " ~ order_by_clause) }}
        {%- endif -%}
        {%- set keys = modules.re.sub('(?i)^order\\s+by\\s+', '', clause).split(',') | map('trim') | list -%}
    {%- endif -%}
    {%- set sorted_entries -%}
        array_sort(collect_list(case when ({{ measure }}) is not null then named_struct(
            {%- for key in keys %}'key_{{ loop.index }}', {{ key }}, {% endfor -%}
            'value', {{ measure }}) end))
    {%- endset -%}
    array_join(transform(
        {%- if limit_num %}slice({{ sorted_entries }}, 1, {{ limit_num }}){% else %}{{ sorted_entries }}{% endif -%},
        entry -> entry.value), {{ delimiter_text }})
{%- endmacro %}
