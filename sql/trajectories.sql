-- PIE's trajectories: per (user, problem), the user's correct programs in submission order.
-- Correct = CodeNet-Accepted AND passing every runtime test here (all_pass), so a cost exists.
select
    s.problem_id,
    s.user_id,
    s.submission_id,
    row_number() over (partition by s.problem_id, s.user_id order by s.submitted_at, s.submission_id) as position,
    count(*) over (partition by s.problem_id, s.user_id) as trajectory_length,
    s.submitted_at,
    s.status,
    r.agg_cost,
    r.agg_instructions,
    r.n_tests,
    r.backend,
    r.config_hash,
    -- lines of code: newline-separated lines, a final newline opening none
    len(string_split(rtrim(replace(s.code, chr(13), ''), chr(10)), chr(10))) as n_lines
from submissions s
join submission_runtimes r using (problem_id, submission_id)
where s.status = 'Accepted' and r.all_pass and s.user_id is not null
order by s.problem_id, s.user_id, position
