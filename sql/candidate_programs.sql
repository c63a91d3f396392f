-- Every program the preference models learn from, one row per program, whatever its source.
-- One branch per source in `programs`; a new source (the model generations table) adds a
-- `union all by name` branch with these columns there, and every preference model reads it.
with human_test_results as (
    select
        submission_id,
        list({ 'test_id': test_id, 'status': status, 'accuracy': accuracy } order by test_id) as test_results
    from runtime_annotations
    group by submission_id
),

programs as (
    select
        s.submission_id as program_id,
        s.problem_id,
        'human' as source,
        s.code,
        s.status as source_status,
        r.status as runtime_status,
        r.all_pass,
        r.n_tests,
        r.n_passed,
        r.agg_cost,
        r.test_set,
        coalesce(t.test_results, []) as test_results
    from submissions as s
    inner join submission_runtimes as r on s.submission_id = r.submission_id
    left join human_test_results as t on s.submission_id = t.submission_id
),

outcomes as (
    select
        p.*,
        len(list_filter(p.test_results, lambda t: t.accuracy = 1.0)) as n_native_passed,
        len(p.test_results) > 0
        and not list_contains(list_transform(p.test_results, lambda t: t.status), 'INFRA') as outcome_known
    from programs as p
),

classed as (
    select
        *,
        case
            when not outcome_known then null
            when runtime_status = 'CE' then 'compile_error'
            when all_pass then 'all_pass'
            when n_native_passed > 0 then 'partial_pass'
            else 'runtime_error'
        end as outcome_class
    from outcomes
)

select
    program_id,
    problem_id,
    source,
    code,
    source_status,
    runtime_status,
    all_pass,
    n_tests,
    n_passed,
    n_native_passed,
    agg_cost,
    test_set,
    test_results,
    outcome_class,
    -- RRTF's score r of the class, the order of every ranking
    case outcome_class
        when 'all_pass' then 4
        when 'partial_pass' then 3
        when 'runtime_error' then 2
        when 'compile_error' then 1
    end as outcome_score
from classed
order by problem_id, program_id
