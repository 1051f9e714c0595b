{# Cast of text that yields null instead of failing when the text does not convert, with
   the same answer on every engine: staging uses it so that one bad value sends its row to
   quarantine instead of stopping the run. Each engine's own cast accepts different texts
   (DuckDB reads '5.6' as the integer 6 and '2025-1-5' as a date, PostgreSQL reads
   'Jan 5 2025', Spark '2025'), so the text must first match the contract's form exactly;
   only then does the engine cast it. No surrounding spaces (trim first).
   - integer, bigint: optional sign and 1 to 18 digits, within the type's range
   - date: YYYY-MM-DD, a real day of the proleptic Gregorian calendar, year 1 or later
   - timestamp: YYYY-MM-DD HH:MM:SS or with a T, optional fraction of 1 to 6 digits,
     no time zone
   - decimal(p, s) or numeric(p, s): optional sign, at most p - s digits, then optionally
     a point and 1 to s digits (more decimals give null, never a rounding)
   Any other type is a compile error: add its form here rather than trust an engine. #}
{% macro try_parse(expression, data_type) -%}
    {%- set type_name = data_type | lower | replace(' ', '') -%}
    {%- set decimal_type = modules.re.fullmatch('(decimal|numeric)\\((\\d+),(\\d+)\\)', type_name) -%}
    {%- if type_name in ('integer', 'int') -%}
        case
            when {{ iclsc.regex_full_match(expression, '[+-]?[0-9]{1,18}') }}
                then case
                    when {{ iclsc.checked_cast(expression, 'bigint') }} between -2147483648 and 2147483647
                        then {{ iclsc.checked_cast(expression, 'integer') }}
                end
        end
    {%- elif type_name == 'bigint' -%}
        case
            when {{ iclsc.regex_full_match(expression, '[+-]?[0-9]{1,18}') }}
                then {{ iclsc.checked_cast(expression, 'bigint') }}
        end
    {%- elif type_name == 'date' -%}
        case
            when {{ iclsc.regex_full_match(expression, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
                then case
                    when {{ iclsc.is_calendar_day(expression) }}
                        then {{ iclsc.checked_cast(expression, 'date') }}
                end
        end
    {%- elif type_name == 'timestamp' -%}
        case
            when {{ iclsc.regex_full_match(
                expression, '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?'
            ) }}
                then case
                    when
                        {{ iclsc.is_calendar_day(expression) }}
                        and {{ iclsc.checked_cast('substr(' ~ expression ~ ', 12, 2)', 'integer') }} <= 23
                        and {{ iclsc.checked_cast('substr(' ~ expression ~ ', 15, 2)', 'integer') }} <= 59
                        and {{ iclsc.checked_cast('substr(' ~ expression ~ ', 18, 2)', 'integer') }} <= 59
                        then {{ iclsc.checked_cast(expression, 'timestamp') }}
                end
        end
    {%- elif decimal_type -%}
        {%- set precision = decimal_type.group(2) | int -%}
        {%- set scale = decimal_type.group(3) | int -%}
        {%- if scale > precision or precision > 38 -%}
            {{ exceptions.raise_compiler_error("try_parse: invalid type " ~ data_type) }}
        {%- endif -%}
        {%- set integer_part = '[0-9]{1,' ~ [precision - scale, 1] | max ~ '}' -%}
        {%- set fraction_part = '([.][0-9]{1,' ~ scale ~ '})?' if scale > 0 else '' -%}
        case
            when {{ iclsc.regex_full_match(expression, '[+-]?' ~ integer_part ~ fraction_part) }}
                then {{ iclsc.checked_cast(expression, type_name) }}
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "try_parse: no portable form for type " ~ data_type
            ~ "; add one to macros/try_parse.sql") }}
    {%- endif -%}
{%- endmacro %}
