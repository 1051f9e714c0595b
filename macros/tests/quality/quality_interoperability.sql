{# Generic test, criterion "interoperability": codes are those of the public standards, so
   that the data joins with other sources: territory codes belong to the MSSS hierarchy
   (a CLSC in its RLS, an RLS in its RSS) and other codes to their reference lists. Fails
   with one row per broken check (failed_check, failing_rows); severity error unless
   configured.
   - territory: list of levels coarse to fine, each {column, to (seed name), field, parent
     (optional: the field of `to` that holds the level above)}; a finer level under a margin
     must be a margin too
   - codes: list of {column, to, field, condition (optional SQL over `reference`)}
   - formats: list of {column, pattern}: the whole value matches the regular expression
   - total: optional margin value that every check accepts (e.g. var('total_label')) #}
{% test quality_interoperability(model, territory=[], codes=[], formats=[], total=none) %}
{{ config(severity='error') }}
{%- set parts = [] %}
{%- for level in territory %}
    {%- set margin_test = "" if total is none else " and checked." ~ level.column ~ " != '" ~ total ~ "'" %}
    {%- set join_on = "checked." ~ level.column ~ " = reference." ~ level.field %}
    {%- if level.parent and not loop.first %}
        {%- set join_on = join_on ~ " and checked." ~ territory[loop.index0 - 1].column ~ " = reference." ~ level.parent %}
    {%- endif %}
    {%- do parts.append(
        "select 'territoire hors de la hierarchie MSSS (" ~ level.column ~ ")' as failed_check,"
        ~ " count(*) as failing_rows from checked left join " ~ ref(level.to) ~ " as reference"
        ~ " on " ~ join_on
        ~ " where checked." ~ level.column ~ " is not null" ~ margin_test
        ~ " and reference." ~ level.field ~ " is null"
    ) %}
    {%- if total is not none and not loop.first %}
        {%- do parts.append(
            "select 'territoire detaille sous une marge (" ~ level.column ~ ")' as failed_check,"
            ~ " count(*) as failing_rows from checked"
            ~ " where checked." ~ territory[loop.index0 - 1].column ~ " = '" ~ total ~ "'"
            ~ " and checked." ~ level.column ~ " != '" ~ total ~ "'"
        ) %}
    {%- endif %}
{%- endfor %}
{%- for code in codes %}
    {%- set margin_test = "" if total is none else " and checked." ~ code.column ~ " != '" ~ total ~ "'" %}
    {%- do parts.append(
        "select 'code hors de la liste de reference " ~ code.to ~ " (" ~ code.column ~ ")' as failed_check,"
        ~ " count(*) as failing_rows from checked left join " ~ ref(code.to) ~ " as reference"
        ~ " on checked." ~ code.column ~ " = reference." ~ code.field
        ~ ((" and (" ~ code.condition ~ ")") if code.condition else "")
        ~ " where checked." ~ code.column ~ " is not null" ~ margin_test
        ~ " and reference." ~ code.field ~ " is null"
    ) %}
{%- endfor %}
{%- for format in formats %}
    {%- set margin_test = "" if total is none else " and checked." ~ format.column ~ " != '" ~ total ~ "'" %}
    {%- do parts.append(
        "select 'format non conforme (" ~ format.column ~ ")' as failed_check,"
        ~ " count(*) as failing_rows from checked"
        ~ " where checked." ~ format.column ~ " is not null" ~ margin_test
        ~ " and not coalesce(" ~ iclsc.regex_full_match('checked.' ~ format.column, format.pattern) ~ ", false)"
    ) %}
{%- endfor %}

with

checked as (
    select * from {{ model }}
),

violations as (
    {{ parts | join('\nunion all\n') }}
)

select * from violations
where failing_rows > 0

{% endtest %}
