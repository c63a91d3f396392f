-- CodeDPO's preference pairs: per problem one correctness pair and one efficiency pair, for DPO.
with scored as (
    select p.problem_id,
           p.program_id,
           p.code,
           p.agg_cost,
           s.score
    from codedpo_scores s
    join candidate_programs p on p.program_id = s.id and p.problem_id = s.problem_id
    where s.kind = 'code'
),
ordered as (
    select *,
           row_number() over (partition by problem_id order by score desc, program_id) as from_top,
           row_number() over (partition by problem_id order by score asc, program_id) as from_bottom,
           max(score) over (partition by problem_id) - min(score) over (partition by problem_id) as spread
    from scored
),
correctness as (
    select hi.problem_id, 'correctness' as kind, hi.program_id as chosen_id, lo.program_id as rejected_id
    from ordered hi
    join ordered lo on lo.problem_id = hi.problem_id and lo.from_bottom = 1
    where hi.from_top = 1 and hi.spread > {{ var('codedpo_tolerance') }}
),
trusted as (
    -- the tests the top-scored program passes
    select l.problem_id, l.test_id
    from program_test_links l
    join ordered best on best.program_id = l.program_id and best.from_top = 1
    where l.passed
),
trusted_passed as (
    select l.problem_id, l.program_id, count(*) as n_passed
    from program_test_links l
    join trusted t on t.problem_id = l.problem_id and t.test_id = l.test_id
    where l.passed
    group by l.problem_id, l.program_id
),
trusted_counts as (
    select problem_id, count(*) as n_trusted
    from trusted
    group by problem_id
),
eligible as (
    -- measured programs that pass every trusted test
    select s.*,
           row_number() over (partition by s.problem_id order by s.agg_cost asc, s.program_id) as fastest,
           row_number() over (partition by s.problem_id order by s.agg_cost desc, s.program_id) as slowest
    from scored s
    join trusted_passed tp on tp.problem_id = s.problem_id and tp.program_id = s.program_id
    join trusted_counts tc on tc.problem_id = s.problem_id and tc.n_trusted = tp.n_passed
    where s.agg_cost is not null
),
efficiency as (
    select fast.problem_id, 'efficiency' as kind, fast.program_id as chosen_id, slow.program_id as rejected_id
    from eligible fast
    join eligible slow on slow.problem_id = fast.problem_id and slow.slowest = 1
    where fast.fastest = 1 and fast.agg_cost < slow.agg_cost
),
pairs as (
    select * from correctness
    union all
    select * from efficiency
)
select pairs.problem_id,
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
join scored chosen on chosen.problem_id = pairs.problem_id and chosen.program_id = pairs.chosen_id
join scored rejected on rejected.problem_id = pairs.problem_id and rejected.program_id = pairs.rejected_id
join problem_statements ps on ps.problem_id = pairs.problem_id
