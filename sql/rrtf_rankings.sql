-- RRTF (PanGu-Coder2): each problem's programs ranked by test outcome, then by cost among the all-pass ones.
select
    problem_id,
    program_id as submission_id,
    source,
    outcome_class,
    outcome_score,
    rank() over (
        partition by problem_id
        order by
            outcome_score desc,
            case when outcome_class = 'all_pass' then agg_cost end asc nulls last
    ) as rank,
    n_tests,
    n_native_passed,
    agg_cost
from candidate_programs
where outcome_class is not null
order by problem_id, rank, submission_id
