-- Performance tiers: reward = fastest / cost, tier 1..10 from the cost's percentile in the problem.
with ranked as (
    select
        t.submission_id,
        t.problem_id,
        t.agg_cost,
        rank() over (partition by t.problem_id order by t.agg_cost) as cost_rank,
        count(*) over (partition by t.problem_id) as n_correct,
        min(t.agg_cost) over (partition by t.problem_id) as fastest_agg_cost
    from trajectories as t
)

select
    submission_id,
    problem_id,
    agg_cost,
    fastest_agg_cost / agg_cost as reward,
    (10 - floor(10 * (cost_rank - 1) / n_correct))::integer as tier,
    cost_rank,
    n_correct,
    fastest_agg_cost
from ranked
order by problem_id, cost_rank, submission_id
