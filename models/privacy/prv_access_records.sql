{#- The microdata of the `acces` universe under the published column names: one row per
    request and closed period that counts it (received by the period's end and not served
    before its start, as in access_cells), with the provider of its first in-person
    intervention when that falls in the period. A closed year is its 13 closed periods:
    the requests its window counts are those some period counts. The joint protection
    recounts the distinct persons and providers of unions of cells on it. A view: never
    copied, never published; pseudonyms only. -#}
with

requests as (
    select * from {{ ref('int_requests') }}
),

partitions as (
    select * from {{ ref('int_partitions') }}
    where period_code != '{{ var("total_label") }}' and is_closed
),

final as (
    select
        {{ fiscal_year_label('partitions.fiscal_year') }} as annee_financiere,
        partitions.period_code as periode,
        requests.installation_rss_code as code_rss_installation,
        requests.installation_rls_code as code_rls_installation,
        requests.centre_activites_code as code_centre_activites,
        requests.priority_code as code_priorite,
        requests.request_id,
        requests.person_id,
        case
            when requests.first_in_person_date <= partitions.end_date
                then requests.first_in_person_provider_id
        end as provider_id
    from requests
    inner join partitions
        on
            requests.received_date <= partitions.end_date
            and (
                requests.first_in_person_date is null
                or requests.first_in_person_date >= partitions.start_date
            )
)

select * from final
