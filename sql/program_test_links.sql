-- CodeDPO's Link(c, t): one row per (program, runtime test) of every program whose outcome is known.
select p.problem_id,
       p.program_id,
       r.test_id,
       r.accuracy = 1.0 as passed
from candidate_programs p, unnest(p.test_results) as u(r)
where p.outcome_class is not null
