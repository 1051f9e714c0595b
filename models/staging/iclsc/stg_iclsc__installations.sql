with

installations as (
    select * from {{ ref('base_iclsc__installations') }}
    where row_status = 'valid'
),

final as (
    select
        installation_code,
        installation_name,
        establishment_code,
        establishment_name,
        clsc_code
    from installations
)

select * from final
