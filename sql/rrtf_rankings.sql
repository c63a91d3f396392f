-- RRTF (PanGu-Coder2): each problem's programs ranked by test outcome, then by cost among the all-pass ones.
with classed as (
    select
        problem_id,
        program_id,
        source,
        outcome_class,
        case outcome_class
            when 'all_pass' then 4
            when 'partial_pass' then 3
            when 'runtime_error' then 2
            when 'compile_error' then 1
        end as outcome_score,
        n_tests,
        n_native_passed,
        agg_cost
    from candidate_programs
    where outcome_class is not null
)

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
from classed
order by problem_id, rank, submission_id
