{# The primary privacy rule (the RAMQ rule for I-CLSC statistics): a cell is withheld when
   it counts 1 to var('min_persons') - 1 distinct persons, or when it counts persons but
   fewer than var('min_providers') distinct providers. A true zero (no person) is published.
   Both counts must be distinct counts on the microdata for the cell itself. #}
{% macro is_primary_suppressed(persons, providers) -%}
    (
        ({{ persons }} >= 1 and {{ persons }} < {{ var('min_persons') }})
        or ({{ persons }} >= 1 and {{ providers }} < {{ var('min_providers') }})
    )
{%- endmacro %}
