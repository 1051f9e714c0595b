{# Selects a raw source with its file (`source_file`, the path below the raw directory) and
   its record number within that file (`source_record`, 1 = first row after the header), so
   that a quarantined row can be found in the file that carried it.
   On DuckDB the CSV scan keeps file order (preserve_insertion_order), so the scan position
   minus the file's first position (by the scan's file_index) is the record number. Other engines read tables that
   `python -m iclsc load-raw` filled with both columns (iclsc.engines.raw). #}
{% macro raw_records(source_relation) -%}
    {{ return(adapter.dispatch('raw_records', 'iclsc')(source_relation)) }}
{%- endmacro %}

{% macro default__raw_records(source_relation) -%}
    select * from {{ source_relation }}
{%- endmacro %}

{% macro duckdb__raw_records(source_relation) -%}
    {#- Each file's first scan position comes from a narrow second scan (the file's index
        and the position only), aggregated to one value per file and looked up by the
        scan's file_index: a window partitioned by file, or a join back, would hold or copy
        every column of every row, which costs several times the scan itself. -#}
    with

    files as (
        select
            file_index,
            min(scan_position) as first_position
        from (
            select
                file_index,
                row_number() over () as scan_position
            from {{ source_relation }}
        ) as positions
        group by file_index
    ),

    first_positions as (
        select map(list(file_index), list(first_position)) as by_file
        from files
    )

    select
        raw_rows.* exclude (filename),
        regexp_extract(
            raw_rows.filename, '((transmissions/[^/]+/)?[^/]+[.]csv)$', 1
        ) as source_file,
        row_number() over ()
        - map_extract_value((select by_file from first_positions), raw_rows.file_index)
        + 1 as source_record
    from {{ source_relation }} as raw_rows
{%- endmacro %}
