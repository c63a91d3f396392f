-- RRTF for the optimisation task: per src, its candidate rewrites ranked by outcome class, then by
-- cost among the correct ones (the src itself among them).
select
    problem_id,
    src_id,
    candidate_id,
    source,
    outcome_class,
    outcome_score,
    role,
    rank() over (
        partition by problem_id, src_id
        order by outcome_score desc, case when outcome_class = 'all_pass' then agg_cost end asc nulls last
    ) as rank,
    agg_cost,
    '{{ var("optimization_prompt_template") }}' as prompt_template
from optimization_candidates
order by problem_id, src_id, rank, candidate_id
