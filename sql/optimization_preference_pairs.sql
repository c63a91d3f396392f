-- DPO pairs for the optimisation task: per src, a faster correct rewrite chosen over a correct one
-- no faster than the src (efficiency) or an incorrect one (correctness); a seeded draw of at most
-- optimization_max_per_src pairs.
with candidates as (
    select * from optimization_candidates
),

pairs as (
    select
        chosen.problem_id,
        chosen.src_id,
        case rejected.role when 'slower' then 'efficiency' else 'correctness' end as kind,
        chosen.src_code,
        chosen.src_agg_cost,
        chosen.candidate_id as chosen_id,
        rejected.candidate_id as rejected_id,
        chosen.source as chosen_source,
        rejected.source as rejected_source,
        chosen.code as chosen,
        rejected.code as rejected,
        chosen.agg_cost as chosen_agg_cost,
        rejected.agg_cost as rejected_agg_cost,
        rejected.outcome_class as rejected_outcome_class,
        row_number() over (
            partition by chosen.problem_id, chosen.src_id
            order by md5(
                '{{ var("optimization_seed") }}:' || chosen.src_id || ':' || chosen.candidate_id || ':'
                || rejected.candidate_id
            )
        ) as draw
    from candidates as chosen
    inner join candidates as rejected
        on
            chosen.problem_id = rejected.problem_id and chosen.src_id = rejected.src_id
            and rejected.role in ('slower', 'incorrect')
    where chosen.role = 'faster'
)

select
    problem_id,
    src_id,
    kind,
    '{{ var("optimization_prompt_template") }}' as prompt_template,
    src_code,
    chosen_id,
    rejected_id,
    chosen_source,
    rejected_source,
    chosen,
    rejected,
    src_agg_cost,
    chosen_agg_cost,
    rejected_agg_cost,
    rejected_outcome_class,
    draw
from pairs
where draw <= {{ var('optimization_max_per_src') }}
order by problem_id, src_id, draw
