-- CodeDPO's preference pairs: per problem one correctness pair and one efficiency pair, for DPO.
with scored as (
    select
        p.problem_id,
        p.program_id,
        p.code,
        p.agg_cost,
        s.score
    from codedpo_scores as s
    inner join candidate_programs as p on s.id = p.program_id and s.problem_id = p.problem_id
    where s.kind = 'code'
),

ordered as (
    select
        *,
        row_number() over (partition by problem_id order by score desc, program_id asc) as from_top,
        row_number() over (partition by problem_id order by score asc, program_id asc) as from_bottom,
        max(score) over (partition by problem_id) - min(score) over (partition by problem_id) as spread
    from scored
),

correctness as (
    select
        hi.problem_id,
        'correctness' as kind,
        hi.program_id as chosen_id,
        lo.program_id as rejected_id
    from ordered as hi
    inner join ordered as lo on hi.problem_id = lo.problem_id and lo.from_bottom = 1
    where hi.from_top = 1 and hi.spread > {{ var('codedpo_tolerance') }}
),

trusted as (
    -- the tests the top-scored program passes
    select
        l.problem_id,
        l.test_id
    from program_test_links as l
    inner join ordered as best on l.program_id = best.program_id and best.from_top = 1
    where l.passed
),

trusted_passed as (
    select
        l.problem_id,
        l.program_id,
        count(*) as n_passed
    from program_test_links as l
    inner join trusted as t on l.problem_id = t.problem_id and l.test_id = t.test_id
    where l.passed
    group by l.problem_id, l.program_id
),

trusted_counts as (
    select
        problem_id,
        count(*) as n_trusted
    from trusted
    group by problem_id
),

eligible as (
    -- measured programs that pass every trusted test
    select
        s.*,
        row_number() over (partition by s.problem_id order by s.agg_cost asc, s.program_id asc) as fastest,
        row_number() over (partition by s.problem_id order by s.agg_cost desc, s.program_id asc) as slowest
    from scored as s
    inner join trusted_passed as tp on s.problem_id = tp.problem_id and s.program_id = tp.program_id
    inner join trusted_counts as tc on s.problem_id = tc.problem_id and tp.n_passed = tc.n_trusted
    where s.agg_cost is not null
),

efficiency as (
    select
        fast.problem_id,
        'efficiency' as kind,
        fast.program_id as chosen_id,
        slow.program_id as rejected_id
    from eligible as fast
    inner join eligible as slow on fast.problem_id = slow.problem_id and slow.slowest = 1
    where fast.fastest = 1 and fast.agg_cost < slow.agg_cost
),

pairs as (
    select * from correctness
    union all
    select * from efficiency
)

select
    pairs.problem_id,
    pairs.kind,
    ps.statement as prompt,
    pairs.chosen_id,
    pairs.rejected_id,
    chosen.code as chosen,
    rejected.code as rejected,
    chosen.score as chosen_score,
    rejected.score as rejected_score,
    chosen.agg_cost as chosen_agg_cost,
    rejected.agg_cost as rejected_agg_cost
from pairs
inner join scored as chosen on pairs.problem_id = chosen.problem_id and pairs.chosen_id = chosen.program_id
inner join scored as rejected on pairs.problem_id = rejected.problem_id and pairs.rejected_id = rejected.program_id
inner join problem_statements as ps on pairs.problem_id = ps.problem_id
order by pairs.problem_id, pairs.kind
