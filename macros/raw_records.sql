{# Selects a raw source with its file (`source_file`, the path below the raw directory) and
   its record number within that file (`source_record`, 1 = first row after the header), so
   that a quarantined row can be found in the file that carried it.
   On DuckDB the CSV scan keeps file order (preserve_insertion_order), so the scan position
   minus the file's first position is the record number. Other engines read tables that
   `python -m iclsc load-raw` filled with both columns (iclsc.engines.raw). #}
{% macro raw_records(source_relation) -%}
    {{ return(adapter.dispatch('raw_records', 'iclsc')(source_relation)) }}
{%- endmacro %}

{% macro default__raw_records(source_relation) -%}
    select * from {{ source_relation }}
{%- endmacro %}

{% macro duckdb__raw_records(source_relation) -%}
    select
        scanned.* exclude (scan_position, filename),
        regexp_extract(
            scanned.filename, '((transmissions/[^/]+/)?[^/]+[.]csv)$', 1
        ) as source_file,
        scanned.scan_position
        - min(scanned.scan_position) over (partition by scanned.filename)
        + 1 as source_record
    from (
        select
            raw_rows.*,
            row_number() over () as scan_position
        from {{ source_relation }} as raw_rows
    ) as scanned
{%- endmacro %}
