{# True when the whole text matches the regular expression (null on null input), with the
   same answer on every engine for the portable subset of regular expressions: literal
   characters, bracket classes of ASCII ranges, `.`, `?`, `*`, `+`, `{n}`, `{n,m}`,
   groups and `|` (no `\d`, `\w`, look-around or back-references). `.` never matches a
   line break on DuckDB (RE2) and Spark (Java, UNIX_LINES); on PostgreSQL it does, which
   matters only for values that hold a line break. #}
{% macro regex_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'iclsc')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(expression, pattern) -%}
    {{ exceptions.raise_compiler_error(
        "regex_full_match is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, {{ iclsc.string_literal(pattern) }})
{%- endmacro %}

{% macro postgres__regex_full_match(expression, pattern) -%}
    ({{ expression }} ~ {{ iclsc.string_literal('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}

{% macro spark__regex_full_match(expression, pattern) -%}
    ({{ expression }} rlike {{ iclsc.string_literal('(?d)^(?:' ~ pattern ~ ')\\z') }})
{%- endmacro %}
