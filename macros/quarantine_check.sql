{# The first failing check of a row, as one field of it (`column` or `reason`).
   `checks` is an ordered list of {when: SQL condition that is true when the row is
   invalid, column: the raw column at fault, reason: a short French reason}. Returns a
   case expression that is null when every check passes. #}
{% macro quarantine_check(checks, field) -%}
    case
        {%- for check in checks %}
            when {{ check.when }} then {{ iclsc.string_literal(check[field]) }}
        {%- endfor %}
    end
{%- endmacro %}
