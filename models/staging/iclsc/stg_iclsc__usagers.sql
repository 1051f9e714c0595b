with

usagers as (
    select * from {{ ref('base_iclsc__usagers') }}
    where row_status = 'valid'
),

final as (
    select
        transmission_id,
        establishment_code,
        fiscal_year,
        period,
        user_file_id,
        person_id,
        is_nam_linked,
        birth_date,
        sex,
        residence_clsc_code
    from usagers
)

select * from final
