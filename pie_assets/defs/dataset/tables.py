"""TableDocs of the dataset group's lake tables, `pie_pairs`, `pie_pairs_rejects` and `codedpo_scores`: their
descriptions go to `table_metadata(..., descriptions=...)` and their schemas to the asset specs."""

from __future__ import annotations

from pie_assets.codenet.rejects import REJECT_SCHEMA
from pie_assets.dataset.codedpo import SCORES_SCHEMA
from pie_assets.dataset.pie_import import PIE_PAIRS_SCHEMA
from pie_assets.defs.shared.tables import TableDoc

DATASET_TABLES: dict[str, TableDoc] = {
    "pie_pairs": TableDoc(
        "PIE's released pairs as read from the PIE dataset directory ($PIE_DATASET), one row per JSONL "
        "line, every field kept (runtimes in PIE's seconds).",
        PIE_PAIRS_SCHEMA,
        {
            "src_id": "PIE: the slow submission",
            "tgt_id": "PIE: the fast submission",
            "src_agg_runtime": "PIE: the slow program's runtime summed over its tests (s)",
            "tgt_agg_runtime": "PIE: the fast program's runtime summed over its tests (s)",
            "problem_id": "PIE: the CodeNet problem",
            "user_id": "PIE: the CodeNet user",
            "speedup": "PIE: src_agg_runtime / tgt_agg_runtime",
            "src_code": "PIE: the slow program, byte for byte",
            "tgt_code": "PIE: the fast program, byte for byte",
            "fastest_agg_runtime": "PIE: the problem's fastest program (s)",
            "src_status": "PIE: the slow program's verdict",
            "tgt_status": "PIE: the fast program's verdict",
            "target_reward": "PIE: fastest_agg_runtime / tgt_agg_runtime",
            "src_reward": "PIE: fastest_agg_runtime / src_agg_runtime",
            "fastest_agg_runtime_updated": "PIE (later files): re-measured fastest runtime (s)",
            "target_reward_updated": "PIE (later files): re-measured target reward",
            "src_reward_updated": "PIE (later files): re-measured source reward",
            "target_reward_updated_pct_bin": "PIE (later files): the target's performance tier",
            "src_reward_updated_pct_bin": "PIE (later files): the source's performance tier",
            "tests": "PIE (test files): indices of the problem's tests used",
            "n_tests": "PIE (test files): number of tests",
            "fastest_runtime": "PIE (test files): the fastest program's runtime (s)",
            "fastest_accuracy": "PIE (test files): the fastest program's accuracy",
            "extra_fields": "fields PIE's schema does not name, verbatim, as one JSON object (NULL: none)",
            "field_order": "the line's keys in their order, so the object is written back as it was",
            "split": "train | val | test, from the file name (NULL when it names none)",
            "hq": "the file name contains 'hq' (PIE's high-quality subset)",
            "source_file": "the file, relative to the PIE dataset directory",
            "line": "1-based line in the file",
        },
    ),
    "pie_pairs_rejects": TableDoc(
        "Lines of the PIE dataset that cannot be pairs (not UTF-8, not JSON, not an object, a required field "
        "missing, a field of the wrong type), and files whose name names no split.",
        REJECT_SCHEMA,
        {
            "problem_id": "the line's problem_id, when it has a usable one",
            "table_name": "pie_pairs",
            "path": "the file, relative to the PIE dataset directory",
            "line": "1-based line in the file (NULL for a file)",
            "action": "row_rejected (the line is not in pie_pairs) | value_nulled (the file's rows have split NULL)",
            "reason": "why",
            "raw": "the line as read",
        },
    ),
    "codedpo_scores": TableDoc(
        (
            "CodeDPO's self-verification over each problem's programs and runtime tests (program_test_links): "
            "all scores start at 1; each round s(c) <- (1-d) s(c) + d * sum_t s(t) Link(c,t) and "
            "s(t) <- (1-d) s(t) + d * sum_c s(c) Link(c,t), both from the previous round's scores, then each kind "
            "divided by its maximum within the problem; d = codedpo_damping; a problem stops after the first round "
            "in which no score moved more than codedpo_tolerance (converged) or after codedpo_max_rounds (not). "
            "One row per (problem_id, kind, id)."
        ),
        SCORES_SCHEMA,
        {
            "problem_id": "the problem",
            "kind": "code (a program: candidate_programs.program_id) or test "
            "(a runtime test: test_cases.runtime_test_id)",
            "id": "the program or the test",
            "score": "CodeDPO's self-verification score, divided by the problem's top score of its kind (1 = best)",
            "rounds": "rounds the problem's iteration ran",
            "converged": "no score of the problem moved more than codedpo_tolerance in its last round "
            "(false: stopped at codedpo_max_rounds)",
        },
    ),
}
