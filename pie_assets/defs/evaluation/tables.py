"""What each evaluation table is (the `evaluation` group): description, columns' descriptions, schema."""

from __future__ import annotations

import polars as pl

from pie_assets.defs.shared.tables import PROFILE_DOC, TEST_SET_DOC, TableDoc
from pie_assets.evaluation.comparisons import COMPARISON_SCHEMA
from pie_assets.evaluation.fast_fidelity import FIDELITY_SCHEMA
from pie_assets.evaluation.pie_agreement import AGREEMENT_SCHEMA, OVERALL
from pie_assets.evaluation.schemas import (
    GENERATION_RUNTIME_SCHEMA,
    GENERATION_SCHEMA,
    MODEL_EVALUATION_SCHEMA,
    PROMPT_SCHEMA,
)

INTERVAL_DOC = (
    "{} 95% interval, {} end: percentile bootstrap over test problems ([intervals] of the evaluation config; "
    "NULL without pairs)"
)
EVALUATION_TABLES: dict[str, TableDoc] = {
    "prompts": TableDoc(
        "Per checkpoint x test problem: the prompt of every (strategy, test pair), as sent to the model; "
        "prompt_hash keys "
        "the generation cache. Baselines and human references are not prompted (no rows).",
        PROMPT_SCHEMA,
        {
            "checkpoint": "the checkpoint (partition)",
            "strategy": "instruction | few_shot | cot | retrieval | perf_conditioned",
            "strategy_version": "hash of the strategy's template and parameters",
            "problem_id": "the problem",
            "src_id": "the pair's slow program",
            "tgt_id": "the pair's human faster version",
            "prompt": "the prompt text (chat backends send it as the user message)",
            "prompt_hash": "sha256 of the prompt's UTF-8 bytes",
            "example_src_ids": "the few-shot examples' slow programs (retrieval: nearest last)",
        },
    ),
    "generations": TableDoc(
        "Per checkpoint x test problem: every sample of every prompt (or a baseline's / human reference's "
        "program), the raw "
        "response and the program extracted from it.",
        GENERATION_SCHEMA,
        {
            "generation_id": "id of the generation (checkpoint, strategy, pair, sample, prompt)",
            "checkpoint": "the checkpoint (partition)",
            "strategy": "the prompt strategy; none for baselines and human references",
            "problem_id": "the problem",
            "src_id": "the pair's slow program",
            "tgt_id": "the pair's human faster version",
            "sample_index": "0-based, in sampling order (Best@k takes sample_index < k)",
            "prompt_hash": "the prompt's hash (NULL when not prompted)",
            "code": "the extracted program ('' when nothing could be extracted)",
            "code_sha256": "sha256 of the program's UTF-8 bytes",
            "extraction_status": "fenced | unterminated_fence | unfenced | empty | reference",
            "finish_reason": "the backend's: stop, length, ...",
            "cached": "taken from the generation cache (no query made)",
            "response": "the raw response text",
        },
    ),
    "generation_runtimes": TableDoc(
        "Per checkpoint x test problem: every generation compiled, judged and measured like a human submission, on the "
        "problem's runtime tests (fast mode: a fixed subset), with the pair's src measured the same way.",
        GENERATION_RUNTIME_SCHEMA,
        {
            "generation_id": "the generation",
            "checkpoint": "the checkpoint (partition)",
            "strategy": "the prompt strategy",
            "mode": "full | fast",
            "problem_id": "the problem",
            "src_id": "the pair's slow program",
            "tgt_id": "the pair's human faster version",
            "sample_index": "0-based, in sampling order",
            "status": "OK, or the first status that is not (CE, WA, RE, TLE, ...); NO_CODE when nothing was extracted",
            "all_pass": "every test passed natively and under the backend",
            "n_tests": "tests run",
            "n_passed": "tests with status OK",
            "mean_accuracy": "PIE's mean accuracy over the tests",
            "agg_cost": "sum of the backend's cost over the tests; NULL unless all_pass",
            "peak_memory_kb": "max over the tests of the native run's peak RSS",
            "src_agg_cost": "the src's agg cost on the same tests, same backend and config",
            "src_peak_memory_kb": "the src's peak memory on the same tests",
            "binary_sha256": "sha256 of the compiled binary",
            "backend": "cachegrind | gem5 | native",
            "config_hash": "hash of the simulator config",
            "profile": PROFILE_DOC,
            "test_set": TEST_SET_DOC + " (the human programs of model_evaluations are summed over the same)",
            "n_samples": "samples requested per prompt (1 for baselines and human references)",
            "kind": "the checkpoint's kind when it generated (as in model_evaluations)",
            "checkpoint_version": "the checkpoint's version (files or models-file entry) when it generated",
            "evaluation_config_hash": "hash of the evaluation config the generation ran under",
            "inputs_fingerprint": "fingerprint of the evaluation's inputs (the schedule compares it)",
        },
    ),
    "model_evaluations": TableDoc(
        "Per checkpoint: PIE's metrics at Best@k for every k from 1 to n, per strategy and mode; human "
        "references unclipped. Percentages 0-100.",
        MODEL_EVALUATION_SCHEMA,
        {
            "checkpoint": "the checkpoint (partition)",
            "kind": "transformers | peft | openai | baseline | human_reference",
            "strategy": "the prompt strategy (none for baselines and human references)",
            "mode": "full | fast (one pair per problem, a few tests): never compare a fast row with a full one",
            "k": "Best@k: the first k samples in sampling order",
            "n_pairs": "test pairs, every one in the denominator",
            "n_problems": "test problems of those pairs: the units the intervals resample (one: zero-width intervals)",
            "speedup": "SPEEDUP: mean over pairs of max(1, src cost / best cost) (unclipped for human references)",
            "speedup_low": INTERVAL_DOC.format("SPEEDUP", "low"),
            "speedup_high": INTERVAL_DOC.format("SPEEDUP", "high"),
            "pct_opt": "%OPT: share of pairs with speedup >= 1.10",
            "pct_opt_low": INTERVAL_DOC.format("%OPT", "low"),
            "pct_opt_high": INTERVAL_DOC.format("%OPT", "high"),
            "pct_opt_1_25": "share of pairs with speedup >= 1.25",
            "pct_opt_1_5": "share of pairs with speedup >= 1.5",
            "pct_opt_2": "share of pairs with speedup >= 2",
            "pct_opt_3": "share of pairs with speedup >= 3",
            "pct_opt_5": "share of pairs with speedup >= 5",
            "pct_opt_10": "share of pairs with speedup >= 10",
            "pct_correct": "%Correct: share of pairs whose best accuracy is 1.0",
            "pct_correct_low": INTERVAL_DOC.format("%Correct", "low"),
            "pct_correct_high": INTERVAL_DOC.format("%Correct", "high"),
            "memory_reduction": "mean of src peak memory / best generation's peak memory "
            "(1.0 without a correct generation)",
            "percentile": "mean share of the problem's correct human programs the best generation beats on cost",
            "n_pairs_with_generation": "pairs with at least one generation among the first k",
            "n_src_unmeasured": "pairs whose src has no cost here (speedup 1.0)",
            "n_samples": "samples per prompt of the evaluation",
            "clipped": "speedup clipped at 1 (models, baselines) or not (human references)",
            "backend": "the measuring backend",
            "config_hash": "hash of the simulator config",
            "profile": PROFILE_DOC,
            "evaluation_config_hash": "hash of the evaluation config",
            "checkpoint_version": "the checkpoint's version (files or models-file entry)",
        },
    ),
    "checkpoint_comparisons": TableDoc(
        "Every pair of checkpoints evaluated on the same test pairs, mode, backend, simulator and evaluation "
        "config, in both orders: per strategy (an unprompted baseline or human reference against each strategy of "
        "the other), k and metric, A - B paired per pair, with a 95% interval from a paired bootstrap over "
        "problems and a p-value from a paired sign-flip permutation test over problems ([intervals]).",
        COMPARISON_SCHEMA,
        {
            "checkpoint_a": "checkpoint A",
            "checkpoint_b": "checkpoint B",
            "strategy": "the strategy compared (the prompted side's when the other is unprompted)",
            "k": "Best@k (a side with fewer samples uses its Best@n beyond n)",
            "metric": "speedup | pct_opt | pct_correct",
            "value_a": "A's metric at k (as in model_evaluations)",
            "value_b": "B's metric at k",
            "difference": "A - B (SPEEDUP in x, %OPT and %Correct in percentage points)",
            "diff_low": "95% interval of the difference, low end: paired percentile bootstrap over problems",
            "diff_high": "95% interval of the difference, high end",
            "p_value": "two-sided p of 'no difference': paired sign-flip permutation over problems, "
            "(1 + as extreme) / (1 + resamples)",
            "n_pairs": "test pairs, the same for both",
            "n_problems": "their problems, the units resampled (one: zero-width interval, p = 1)",
            "mode": "full | fast (both sides)",
            "backend": "the measuring backend (both sides)",
            "config_hash": "hash of the simulator config (both sides)",
            "evaluation_config_hash": "hash of the evaluation config (both sides)",
        },
    ),
    "fast_mode_fidelity": TableDoc(
        "Fast mode against the full evaluation: for every checkpoint whose latest evaluation is full, fast mode "
        "([fast]: its pairs and tests) applied to the same generations and measured by the same backend; per "
        "strategy, k and metric the two values, fast - full, whether the fast 95% interval covers the full value, "
        "and the Spearman rank correlation of fast with full over the checkpoints.",
        FIDELITY_SCHEMA,
        {
            "checkpoint": "the checkpoint",
            "kind": "its kind (baseline, human_reference, a model's)",
            "strategy": "the prompt strategy (none for baselines and human references)",
            "k": "Best@k",
            "metric": "speedup | pct_opt | pct_correct",
            "full_value": "the full evaluation's value (model_evaluations)",
            "fast_value": "fast mode's value on the same generations",
            "fast_low": "fast mode's 95% interval, low end (bootstrap over problems)",
            "fast_high": "fast mode's 95% interval, high end",
            "difference": "fast - full (SPEEDUP in x, %OPT and %Correct in percentage points)",
            "covered": "fast_low <= full_value <= fast_high",
            "n_pairs_full": "pairs of the full evaluation",
            "n_pairs_fast": "pairs fast mode keeps ([fast] pairs_per_problem per problem)",
            "n_problems": "problems (the units the fast interval resamples)",
            "spearman": "Spearman rank correlation of fast with full values over the checkpoint x strategy rows "
            "of this k and metric (average ranks; NULL below 2 rows or on constant values)",
            "n_ranked": "rows that correlation is over",
        },
    ),
    "retrieval_index": TableDoc(
        "The retrieval corpus: the unique slow programs of the train split's pairs, in FAISS index order.",
        {"src_id": pl.Utf8, "tgt_id": pl.Utf8, "problem_id": pl.Utf8, "speedup": pl.Float64},
        {
            "src_id": "the slow program",
            "tgt_id": "its pair's faster version (highest speedup)",
            "problem_id": "the problem",
            "speedup": "the pair's speedup",
        },
    ),
    "pie_runtime_agreement": TableDoc(
        "How far this project's runtime labels are from PIE's on PIE's own programs, for the profile "
        "that measured them: per problem and overall, the Spearman correlation of agg cost with PIE's "
        "agg runtime, the share of pairs whose direction agrees at PIE's 1.10 threshold, and the "
        "correlation of log speedups; scatter plots in the Events tab.",
        {**AGREEMENT_SCHEMA, "profile": pl.Utf8, "backend": pl.Utf8, "config_hash": pl.Utf8},
        {
            "scope": f"a problem, or '{OVERALL}' for every measured pair",
            "n_pairs": "PIE pairs whose src and tgt both pass every test here",
            "n_programs": "distinct programs of those pairs",
            "spearman_cost": "Spearman rank correlation of agg_cost here with PIE's agg runtime, over the programs "
            "(NULL below 2 programs or on constant values)",
            "direction_agreement": "share of pairs on which both labels fall on the same side of PIE's %OPT threshold "
            "(speedup >= 1.10 in both, or below in both)",
            "log_speedup_corr": "Pearson correlation of log(src/tgt) here with PIE's, over the pairs "
            "(NULL below 2 pairs or on constant values)",
            "median_speedup_pie": "median src/tgt speedup in PIE's labels",
            "median_speedup_here": "median src/tgt speedup measured here",
            "profile": PROFILE_DOC,
            "backend": "the backend that measured the programs here",
            "config_hash": "hash of the simulator config that measured them",
        },
    ),
}
