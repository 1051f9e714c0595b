{# Every combination of hierarchy levels, as lists of the columns kept at detail.
   hierarchies: list of column lists, coarse to fine (e.g. [['rss_code', 'rls_code'],
   ['sex']]). A hierarchy of h columns has h + 1 levels (total, then each prefix).
   Returns the list of grouping sets, the grand total (empty list) first. #}
{% macro grouping_levels(hierarchies) %}
    {% set ns = namespace(sets=[[]]) %}
    {% for hierarchy in hierarchies %}
        {% set extended = [] %}
        {% for kept in ns.sets %}
            {% for depth in range(hierarchy | length + 1) %}
                {% do extended.append(kept + hierarchy[:depth]) %}
            {% endfor %}
        {% endfor %}
        {% set ns.sets = extended %}
    {% endfor %}
    {{ return(ns.sets) }}
{% endmacro %}
