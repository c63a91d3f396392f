-- Per problem, the fastest correct program and its cost (PIE's fastest_agg_runtime).
select
    problem_id,
    arg_min(submission_id, (agg_cost, submitted_at, submission_id)) as submission_id,
    min(agg_cost) as agg_cost,
    count(*) as n_correct
from trajectories
group by problem_id
order by problem_id
