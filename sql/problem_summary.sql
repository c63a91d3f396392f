-- One row per ingested problem: how much data the lake holds for it.
with subs as (
    select
        problem_id,
        count(*) as n_submissions,
        count(*) filter (where status = 'Accepted') as n_accepted,
        count(distinct user_id) as n_users
    from submissions
    group by problem_id
),

tests as (
    select
        problem_id,
        count(*) as n_tests,
        count(distinct origin) as n_test_origins
    from test_cases
    group by problem_id
)

select
    p.problem_id,
    p.name,
    p.dataset,
    p.time_limit_ms,
    coalesce(s.n_submissions, 0) as n_submissions,
    coalesce(s.n_accepted, 0) as n_accepted,
    coalesce(s.n_users, 0) as n_users,
    coalesce(t.n_tests, 0) as n_tests,
    coalesce(t.n_test_origins, 0) as n_test_origins
from problems as p
left join subs as s using (problem_id)
left join tests as t using (problem_id)
order by p.problem_id
