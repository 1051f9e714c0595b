{# The fate of a raw row, in the order staging decides it: rows of a transmission that is
   not in transmissions.csv are quarantined; rows of a superseded transmission are
   `superseded` (a later transmission replaced them); rows failing a check are
   `quarantined`; repeated keys beyond the first are `duplicate`; the rest are `valid`.
   Staging keeps only `valid` rows. #}
{% macro row_status(is_known_transmission, is_latest_transmission, failed_check, duplicate_rank) -%}
    case
        when not {{ is_known_transmission }} then 'quarantined'
        when not {{ is_latest_transmission }} then 'superseded'
        when {{ failed_check }} is not null then 'quarantined'
        when {{ duplicate_rank }} > 1 then 'duplicate'
        else 'valid'
    end
{%- endmacro %}
