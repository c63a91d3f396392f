-- The pairs checkpoints are evaluated on: the lake's trajectory_pairs of the eval split, or the
-- imported PIE dataset's pairs of that split. Every pair is in the metrics' denominator; fast
-- mode takes each problem's pairs of fast_rank <= [fast] pairs_per_problem (a seeded md5 order,
-- so the choice never depends on the speedup it is meant to estimate).
with pairs as (
    {% if var('eval_pairs_from') == 'pie' %}
        select
            problem_id,
            src_id,
            tgt_id,
            src_code,
            tgt_code,
            src_agg_runtime as dataset_src_cost,
            tgt_agg_runtime as dataset_tgt_cost,
            'pie_pairs' as pair_source
        from pie_pairs
        where split = '{{ var("eval_split") }}'
        qualify row_number() over (partition by src_id, tgt_id order by source_file, line) = 1
    {% else %}
        select
            p.problem_id,
            p.src_id,
            p.tgt_id,
            p.src_code,
            p.tgt_code,
            p.src_agg_cost as dataset_src_cost,
            p.tgt_agg_cost as dataset_tgt_cost,
            'trajectory_pairs' as pair_source
        from trajectory_pairs as p
        inner join problem_splits as s using (problem_id)
        where s.split = '{{ var("eval_split") }}'
    {% endif %}
),

fastest as (
    select
        f.problem_id,
        f.submission_id as fastest_id,
        s.code as fastest_code
    from fastest_human as f
    inner join submissions as s on f.submission_id = s.submission_id
)

select
    p.*,
    f.fastest_id,
    f.fastest_code,
    row_number() over (
        partition by p.problem_id
        order by md5('{{ var("split_seed") }}:' || p.src_id || ':' || p.tgt_id)
    ) as fast_rank
from pairs as p
left join fastest as f using (problem_id)
order by p.problem_id, fast_rank
