{# Generic test on an incremental model: it holds the current data of every partition it
   should, so an incremental run gave what a full build would. Fails with each partition
   whose rows were counted from data that has changed since (their source_fingerprint
   differs from the current one in int_partitions), each partition no longer in the data,
   and, for a dense model (every wanted partition has rows), each wanted partition missing.
   - keys: partition columns shared with int_partitions
   - fingerprint: the int_partitions column the model stores as source_fingerprint
   - wanted: condition on int_partitions selecting the partitions the model builds
   - dense: true when every wanted partition must have rows #}
{% test partitions_are_current(model, keys, fingerprint, wanted='true', dense=false) %}

with

built as (
    select distinct
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        source_fingerprint
    from {{ model }}
),

partitions as (
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {{ fingerprint }} as current_fingerprint,
        {{ wanted }} as is_wanted
    from {{ ref('int_partitions') }}
),

problems as (
    select
        {%- for key in keys %}
        built.{{ key }},
        {%- endfor %}
        case
            when partitions.current_fingerprint is null then 'partition no longer in the data'
            else 'rows counted from data that has changed since'
        end as problem
    from built
    left join partitions
        on
            {%- for key in keys %}
            {% if not loop.first %}and {% endif %}built.{{ key }} = partitions.{{ key }}
            {%- endfor %}
    where
        partitions.current_fingerprint is null
        or (partitions.is_wanted and built.source_fingerprint != partitions.current_fingerprint)
    {%- if dense %}

    union all

    select
        {%- for key in keys %}
        partitions.{{ key }},
        {%- endfor %}
        'wanted partition missing' as problem
    from partitions
    left join built
        on
            {%- for key in keys %}
            partitions.{{ key }} = built.{{ key }} and
            {%- endfor %}
            partitions.current_fingerprint = built.source_fingerprint
    where partitions.is_wanted and built.source_fingerprint is null
    {%- endif %}
)

select * from problems

{% endtest %}
