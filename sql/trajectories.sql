-- PIE's trajectories: per (user, problem), the user's correct programs in submission order.
-- Correct = CodeNet-Accepted AND passing every runtime test here (all_pass), so a cost exists.
-- `correct` drops the code (only its line count is kept) before the window and the sort, which
-- would otherwise carry every program's source through both.
with correct as (
    select
        s.problem_id,
        s.user_id,
        s.submission_id,
        s.submitted_at,
        s.status,
        r.agg_cost,
        r.agg_instructions,
        r.n_tests,
        r.backend,
        r.config_hash,
        -- lines of code: newline-separated lines, CR removed, a final newline opening none; i.e. the
        -- lines left once the trailing run of CR/LF is cut (CRs elsewhere split no line)
        len(string_split(regexp_replace(s.code, '[\r\n]+$', ''), chr(10))) as n_lines
    from submissions as s
    inner join submission_runtimes as r using (problem_id, submission_id)
    where s.status = 'Accepted' and r.all_pass and s.user_id is not null
)

select
    problem_id,
    user_id,
    submission_id,
    row_number() over (partition by problem_id, user_id order by submitted_at, submission_id) as position,
    count(*) over (partition by problem_id, user_id) as trajectory_length,
    submitted_at,
    status,
    agg_cost,
    agg_instructions,
    n_tests,
    backend,
    config_hash,
    n_lines
from correct
order by problem_id, user_id, position
