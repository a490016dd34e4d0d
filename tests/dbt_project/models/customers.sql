select name, country from {{ ref('raw_customers') }}
