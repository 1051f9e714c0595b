{# True when a text of the form YYYY-MM-DD (checked before) names a real day: year 1 or
   later, month 1 to 12, day within the month (proleptic Gregorian leap years). Portable
   integer arithmetic, so no engine's date parser decides. #}
{% macro is_calendar_day(expression) -%}
    {%- set year = iclsc.checked_cast('substr(' ~ expression ~ ', 1, 4)', 'integer') -%}
    {%- set month = iclsc.checked_cast('substr(' ~ expression ~ ', 6, 2)', 'integer') -%}
    {%- set day = iclsc.checked_cast('substr(' ~ expression ~ ', 9, 2)', 'integer') -%}
    (
        {{ year }} >= 1
        and {{ month }} between 1 and 12
        and {{ day }} between 1 and case
            when {{ month }} = 2 then case
                when ({{ year }} % 4 = 0 and {{ year }} % 100 != 0) or {{ year }} % 400 = 0 then 29
                else 28
            end
            when {{ month }} in (4, 6, 9, 11) then 30
            else 31
        end
    )
{%- endmacro %}
