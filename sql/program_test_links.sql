-- CodeDPO's Link(c, t): one row per (program, runtime test) of every program whose outcome is known.
-- The tests are the runtime test set's: the generated tests wherever the set has them.
select
    p.problem_id,
    p.program_id,
    u.r.test_id,
    p.test_set,
    u.r.accuracy = 1.0 as passed
from candidate_programs as p, unnest(p.test_results) as u (r)
where p.outcome_class is not null
order by p.problem_id, p.program_id, u.r.test_id
