-- The HQ subset: per problem, the pairs of highest speedup, at most hq_max_per_problem.
select *,
       row_number() over (partition by problem_id order by speedup desc, src_id, tgt_id) as hq_rank
from trajectory_pairs
qualify hq_rank <= {{ var('hq_max_per_problem') }}
order by problem_id, hq_rank
