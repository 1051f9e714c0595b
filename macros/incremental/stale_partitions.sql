{# The partitions an incremental model must (re)build: on a full build every wanted
   partition; on an incremental run only those whose fingerprint differs from the one the
   model holds (new data, a resubmission, a changed reference list). With the
   delete+insert strategy keyed on the same columns, a rebuilt partition replaces its old
   rows entirely, so a late transmission that revises an earlier period is handled like a
   new period.
   - wanted: a relation or CTE with the key columns and `source_fingerprint`
   - keys: the partition columns (e.g. ['fiscal_year', 'period_code'])
   The model must store `source_fingerprint` on every row it writes. #}
{% macro stale_partitions(wanted, keys) %}
    select wanted_partitions.*
    from {{ wanted }} as wanted_partitions
    {%- if is_incremental() %}
    left join (
        select distinct
            {%- for key in keys %}
            {{ key }},
            {%- endfor %}
            source_fingerprint
        from {{ this }}
    ) as built_partitions
        on
            {%- for key in keys %}
            wanted_partitions.{{ key }} = built_partitions.{{ key }} and
            {%- endfor %}
            wanted_partitions.source_fingerprint = built_partitions.source_fingerprint
    where built_partitions.source_fingerprint is null
    {%- endif %}
{% endmacro %}
