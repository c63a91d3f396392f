-- The HQ subset: per problem, the pairs of highest speedup, at most hq_max_per_problem.
-- Ranked by speedup descending, then src_id, then tgt_id, written as one row key (-speedup, src_id,
-- tgt_id) in ascending order, the same order: with one key DuckDB keeps only each problem's top rows
-- (its top-N window elimination) instead of sorting every pair with its code.
select
    *,
    row_number() over (partition by problem_id order by (-speedup, src_id, tgt_id)) as hq_rank
from trajectory_pairs
qualify hq_rank <= {{ var('hq_max_per_problem') }}
order by problem_id, hq_rank
