-- PIE's pairs: every (y_i, y_j), i < j, of a trajectory where y_j is more than min_improvement faster.
-- Each program's code is joined once, before the self-join, and only for trajectories of two or more
-- programs (one program makes no pair): the same rows as joining submissions for src and for tgt,
-- without two hash tables over every submission's code.
with t as (
    select
        t.*,
        c.code
    from trajectories as t
    inner join submissions as c on t.problem_id = c.problem_id and t.submission_id = c.submission_id
    where t.trajectory_length > 1
)

select
    s.submission_id as src_id,
    g.submission_id as tgt_id,
    s.user_id,
    s.problem_id,
    s.code as src_code,
    g.code as tgt_code,
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
from t as s
inner join t as g
    on
        s.problem_id = g.problem_id and s.user_id = g.user_id and s.position < g.position
        and s.config_hash = g.config_hash
where
    true
    {% if var('filter_min_improvement', true) %}
        and (s.agg_cost - g.agg_cost) / s.agg_cost > {{ var('min_improvement') }}
    {% endif %}{% if var('filter_max_lines') %}
        and s.n_lines < {{ var('max_lines') }} and g.n_lines < {{ var('max_lines') }}
    {% endif %}{% if var('filter_line_diff') %}
        and abs(s.n_lines - g.n_lines) / greatest(s.n_lines, 1) < {{ var('max_relative_line_diff') }}
    {% endif %}
order by s.problem_id, s.user_id, s.position, g.position
