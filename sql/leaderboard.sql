-- Every evaluated (checkpoint, strategy, mode) at its Best@n (n = its samples) and Best@1, beside
-- the PIE paper's reported figures. Reported rows are the paper's numbers on its gem5 test split
-- (978 pairs), NOT measured here: source = 'reported (PIE paper)', and their cost unit differs.
-- Measured rows carry the 95% intervals of model_evaluations at Best@n (bootstrap over problems).
with measured as (
    select
        checkpoint,
        kind,
        strategy,
        mode,
        backend,
        n_pairs,
        n_problems,
        n_samples,
        max(k) as k,
        arg_max(speedup, k) as speedup,
        arg_max(speedup_low, k) as speedup_low,
        arg_max(speedup_high, k) as speedup_high,
        arg_max(pct_opt, k) as pct_opt,
        arg_max(pct_opt_low, k) as pct_opt_low,
        arg_max(pct_opt_high, k) as pct_opt_high,
        arg_max(pct_correct, k) as pct_correct,
        arg_max(pct_correct_low, k) as pct_correct_low,
        arg_max(pct_correct_high, k) as pct_correct_high,
        arg_max(memory_reduction, k) as memory_reduction,
        arg_max(percentile, k) as percentile,
        max(speedup) filter (where k = 1) as speedup_at_1,
        max(pct_opt) filter (where k = 1) as pct_opt_at_1,
        max(pct_correct) filter (where k = 1) as pct_correct_at_1
    from model_evaluations
    group by all
),

reported (checkpoint, kind, strategy, k, pct_opt, speedup, pct_correct) as (
    values
    ('gpt-3.5 (PIE paper)', 'model', 'cot', 8, 43.05, 1.60, 91.72),
    ('codellama-13b (PIE paper)', 'model', 'perf_conditioned', 8, 66.56, 5.65, 70.96),
    ('gpt-3.5 fine-tuned HQ + self-play (PIE paper)', 'model', 'fine_tuned', 8, 87.63, 6.86, 95.09),
    ('human edits (PIE paper)', 'human_reference', 'none', 1, null, 3.66, null),
    ('fastest human (PIE paper)', 'human_reference', 'none', 1, null, 4.06, null)
)

select
    'measured' as source,
    checkpoint,
    kind,
    strategy,
    mode,
    k,
    n_pairs,
    n_problems,
    n_samples,
    speedup,
    speedup_low,
    speedup_high,
    pct_opt,
    pct_opt_low,
    pct_opt_high,
    pct_correct,
    pct_correct_low,
    pct_correct_high,
    memory_reduction,
    percentile,
    speedup_at_1,
    pct_opt_at_1,
    pct_correct_at_1,
    backend
from measured
union all
select
    'reported (PIE paper)' as source,
    checkpoint,
    kind,
    strategy,
    'full' as mode,
    k,
    978 as n_pairs,
    41 as n_problems,
    8 as n_samples,
    speedup,
    null as speedup_low,
    null as speedup_high,
    pct_opt,
    null as pct_opt_low,
    null as pct_opt_high,
    pct_correct,
    null as pct_correct_low,
    null as pct_correct_high,
    null as memory_reduction,
    null as percentile,
    null as speedup_at_1,
    null as pct_opt_at_1,
    null as pct_correct_at_1,
    'gem5 (paper)' as backend
from reported
order by
    source asc, speedup desc nulls last, checkpoint asc, strategy asc, mode asc, backend asc, k asc, kind asc,
    n_pairs asc, n_problems asc, n_samples asc
