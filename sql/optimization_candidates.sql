-- The optimisation task's candidate rewrites: per slow program (a src of trajectory_pairs, what the
-- evaluation asks a model to optimise), programs of its problem with their role against it; the
-- optimisation preference pairs and rankings are drawn from these rows.
with srcs as (
    select distinct
        p.problem_id,
        p.src_id,
        p.src_code,
        p.src_agg_cost,
        p.config_hash,
        c.test_set,
        c.outcome_class,
        c.outcome_score
    from trajectory_pairs as p
    inner join candidate_programs as c on p.src_id = c.program_id
),

human as (
    -- a seeded sample of each problem's correct and of its incorrect programs bounds the comparisons
    select
        c.program_id as candidate_id,
        c.problem_id,
        'human' as source,
        c.code,
        c.outcome_class,
        c.outcome_score,
        c.agg_cost,
        c.test_set,
        r.config_hash,
        cast(null as varchar) as for_src
    from candidate_programs as c
    inner join submission_runtimes as r on c.program_id = r.submission_id
    where c.outcome_class is not null
    qualify row_number() over (
        partition by c.problem_id, c.outcome_class = 'all_pass'
        order by md5('{{ var("optimization_seed") }}:' || c.program_id)
    ) <= {{ var('optimization_pool_per_problem') }}
),

trajectory_targets as (
    -- each src's own faster successors, whatever the sample above drew
    select
        p.tgt_id as candidate_id,
        p.problem_id,
        'human' as source,
        p.tgt_code as code,
        c.outcome_class,
        c.outcome_score,
        p.tgt_agg_cost as agg_cost,
        c.test_set,
        p.config_hash,
        p.src_id as for_src
    from trajectory_pairs as p
    inner join candidate_programs as c on p.tgt_id = c.program_id
),

pool as (
    select * from human
    union all by name
    select * from trajectory_targets
    {% if var('optimization_from_generations') %}
        union all by name
        -- a checkpoint's rewrites of the src it was prompted with, measured on every test (full mode)
        select
            candidate_id,
            problem_id,
            source,
            code,
            outcome.class as outcome_class,
            outcome.score as outcome_score,
            agg_cost,
            test_set,
            config_hash,
            for_src
        from (
            select
                g.generation_id as candidate_id,
                g.problem_id,
                'generation' as source,
                n.code,
                -- the generation's class from its program status (it has no per-test rows), with its score
                case
                    when g.status = 'CE' then { 'class': 'compile_error', 'score': 1 }
                    when g.all_pass then { 'class': 'all_pass', 'score': 4 }
                    when g.n_passed > 0 then { 'class': 'partial_pass', 'score': 3 }
                    else { 'class': 'runtime_error', 'score': 2 }
                end as outcome,
                g.agg_cost,
                g.test_set,
                g.config_hash,
                g.src_id as for_src
            from generation_runtimes as g
            inner join generations as n on g.generation_id = n.generation_id and g.checkpoint = n.checkpoint
            where g.mode = 'full' and g.status <> 'INFRA' and n.code <> ''
        ) as generated
    {% endif %}
),

compared as (
    select
        s.problem_id,
        s.src_id,
        s.src_code,
        s.src_agg_cost,
        p.candidate_id,
        p.source,
        p.code,
        p.outcome_class,
        p.outcome_score,
        p.agg_cost,
        case
            when p.outcome_class <> 'all_pass' then 'incorrect'
            when p.config_hash <> s.config_hash or coalesce(p.test_set, '') <> coalesce(s.test_set, '') then null
            when (s.src_agg_cost - p.agg_cost) / s.src_agg_cost > {{ var('min_improvement') }} then 'faster'
            when p.agg_cost >= s.src_agg_cost then 'slower'
            else 'close'
        end as role
    from srcs as s
    inner join pool as p
        on
            s.problem_id = p.problem_id and s.src_id <> p.candidate_id
            and (p.for_src is null or s.src_id = p.for_src)
    qualify row_number() over (partition by s.problem_id, s.src_id, p.candidate_id order by p.for_src nulls last) = 1
),

with_src as (
    -- the src itself: the rewrite that changes nothing, correct and no faster
    select * from compared
    where role is not null
    union all by name
    select
        problem_id,
        src_id,
        src_code,
        src_agg_cost,
        src_id as candidate_id,
        'src' as source,
        src_code as code,
        outcome_class,
        outcome_score,
        src_agg_cost as agg_cost,
        'slower' as role
    from srcs
),

drawn as (
    select
        *,
        row_number() over (
            partition by problem_id, src_id, role
            order by source = 'src' desc, md5('{{ var("optimization_seed") }}:' || src_id || ':' || candidate_id)
        ) as draw
    from with_src
    qualify count(*) filter (where role = 'faster') over (partition by problem_id, src_id) > 0
)

select
    problem_id,
    src_id,
    src_code,
    src_agg_cost,
    candidate_id,
    source,
    code,
    outcome_class,
    outcome_score,
    agg_cost,
    role,
    draw
from drawn
where draw <= {{ var('optimization_max_per_src') }}
order by problem_id, src_id, role, draw
