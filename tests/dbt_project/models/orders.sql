-- With --vars '{fail: true}' this model reads a column that does not exist, so dbt fails it.
select id, customer, amount{% if var('fail', false) %}, no_such_column{% endif %}
from {{ ref('stg_orders') }}
where status = 'shipped'
