-- PIE's pairs: every (y_i, y_j), i < j, of a trajectory where y_j is more than min_improvement faster.
with t as (select * from trajectories)
select
    s.submission_id as src_id,
    g.submission_id as tgt_id,
    s.user_id,
    s.problem_id,
    c_src.code as src_code,
    c_tgt.code as tgt_code,
    s.agg_cost as src_agg_cost,
    g.agg_cost as tgt_agg_cost,
    s.agg_cost / g.agg_cost as speedup,
    (s.agg_cost - g.agg_cost) / s.agg_cost as improvement,
    s.status as src_status,
    g.status as tgt_status,
    s.position as src_position,
    g.position as tgt_position,
    s.submitted_at as src_submitted_at,
    g.submitted_at as tgt_submitted_at,
    s.n_lines as src_lines,
    g.n_lines as tgt_lines,
    s.backend,
    s.config_hash
from t s
join t g
  on g.problem_id = s.problem_id and g.user_id = s.user_id and g.position > s.position
 and g.config_hash = s.config_hash
join submissions c_src on c_src.problem_id = s.problem_id and c_src.submission_id = s.submission_id
join submissions c_tgt on c_tgt.problem_id = g.problem_id and c_tgt.submission_id = g.submission_id
where true
{% if var('filter_min_improvement', true) %}
  and (s.agg_cost - g.agg_cost) / s.agg_cost > {{ var('min_improvement') }}
{% endif %}
{% if var('filter_max_lines') %}
  and s.n_lines < {{ var('max_lines') }} and g.n_lines < {{ var('max_lines') }}
{% endif %}
{% if var('filter_line_diff') %}
  and abs(s.n_lines - g.n_lines) / greatest(s.n_lines, 1) < {{ var('max_relative_line_diff') }}
{% endif %}
order by s.problem_id, s.user_id, s.position, g.position
