{# Generic test, criterion "completeness": nothing expected is missing. Fails with one row per
   group that breaks a check (failed_check, group_key, measured); severity warn unless
   configured.
   - group_by: the columns of a group (e.g. establishment, fiscal year, period)
   - columns: columns whose share of nulls, within each group, must not exceed max_null_rate
   - max_null_rate: a share between 0 and 1
   - expected: optional model or seed name holding every group that must have rows (same
     group_by column names); a group without rows in the model fails
   - where: optional filter of the rows checked #}
{% test quality_completeness(model, group_by, columns=[], max_null_rate=0, expected=none, where=none) %}
{{ config(severity='warn') }}
{%- set group_key = iclsc.cell_id(group_by, 'checked.') %}
{%- set parts = [] %}
{%- for column in columns %}
    {%- do parts.append(
        "select 'taux de valeurs manquantes de " ~ column ~ "' as failed_check, "
        ~ group_key ~ " as group_key,"
        ~ " cast(count(*) - count(checked." ~ column ~ ") as " ~ iclsc.type_double() ~ ") / count(*) as measured"
        ~ " from checked group by " ~ group_by | join(', ')
        ~ " having cast(count(*) - count(checked." ~ column ~ ") as " ~ iclsc.type_double() ~ ") / count(*) > "
        ~ max_null_rate
    ) %}
{%- endfor %}
{%- if expected %}
    {%- set join_on = [] %}
    {%- for column in group_by %}
        {%- do join_on.append("expected_groups." ~ column ~ " = checked." ~ column) %}
    {%- endfor %}
    {%- do parts.append(
        "select 'groupe attendu sans ligne' as failed_check, "
        ~ iclsc.cell_id(group_by, 'expected_groups.') ~ " as group_key, 0 as measured"
        ~ " from " ~ ref(expected) ~ " as expected_groups"
        ~ " where not exists (select 1 from checked where " ~ join_on | join(' and ') ~ ")"
    ) %}
{%- endif %}

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

{% endtest %}
