{# Generic test, criterion "integrity": the rows of a model hold together. Fails with one
   row per broken check (failed_check, failing_rows); severity error unless configured.
   - key: columns of the grain: every combination filled and unique
   - references: list of {column or columns, to (a model or seed name), field or fields,
     condition (optional SQL over `checked` and `reference`)}: every filled value has its
     row in `to` (a relationship, or a code that must exist in a seed)
   - ranges: list of SQL conditions every row satisfies (e.g. "duration_minutes > 0")
   - where: optional filter of the rows checked #}
{% test quality_integrity(model, key=[], references=[], ranges=[], where=none) %}
{{ config(severity='error') }}
{%- set parts = [] %}
{%- if key %}
    {%- do parts.append(
        "select 'cle repetee (" ~ key | join(', ') ~ ")' as failed_check, count(*) as failing_rows"
        ~ " from (select " ~ key | join(', ') ~ " from checked group by " ~ key | join(', ')
        ~ " having count(*) > 1) as repeated"
    ) %}
    {%- do parts.append(
        "select 'cle incomplete (" ~ key | join(', ') ~ ")' as failed_check, count(*) as failing_rows"
        ~ " from checked where " ~ (key | join(' is null or ')) ~ " is null"
    ) %}
{%- endif %}
{%- for reference in references %}
    {%- set columns = reference.columns or [reference.column] %}
    {%- set fields = reference.fields or [reference.field] %}
    {%- set join_on = [] %}
    {%- for column in columns %}
        {%- do join_on.append("checked." ~ column ~ " = reference." ~ fields[loop.index0]) %}
    {%- endfor %}
    {%- if reference.condition %}{% do join_on.append("(" ~ reference.condition ~ ")") %}{% endif %}
    {%- do parts.append(
        "select 'reference absente de " ~ reference.to ~ " (" ~ columns | join(', ') ~ ")' as failed_check,"
        ~ " count(*) as failing_rows from checked left join " ~ ref(reference.to) ~ " as reference"
        ~ " on " ~ join_on | join(' and ')
        ~ " where checked." ~ columns | join(' is not null and checked.') ~ " is not null"
        ~ " and reference." ~ fields[0] ~ " is null"
    ) %}
{%- endfor %}
{%- for condition in ranges %}
    {%- do parts.append(
        "select " ~ iclsc.string_literal('hors limites: ' ~ condition) ~ " as failed_check,"
        ~ " count(*) as failing_rows from checked where not coalesce(" ~ condition ~ ", false)"
    ) %}
{%- endfor %}

with

checked as (
    select * from {{ model }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
),

violations as (
    {{ parts | join('\nunion all\n') }}
)

select * from violations
where failing_rows > 0

{% endtest %}
