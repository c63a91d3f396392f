"""What each runtime table is (the `runtime` group): description, columns' descriptions, schema."""

from __future__ import annotations

from pie_assets.defs.shared.tables import PROFILE_DOC, TEST_SET_DOC, TableDoc
from pie_assets.runtime.annotate import ANNOTATION_SCHEMA, SUBMISSION_RUNTIME_SCHEMA

RUNTIME_TABLES: dict[str, TableDoc] = {
    "runtime_annotations": TableDoc(
        "One row per (submission, distinct test input): status, accuracy, instructions, cost, raw counters.",
        ANNOTATION_SCHEMA,
        {
            "submission_id": "the program",
            "problem_id": "the problem (partition)",
            "test_id": "the test row that stands for this input within the test set (test_cases.test_id, or "
            "generated_tests.test_id for a generated test)",
            "input_test_ids": "every test row of the set with this input (its origins)",
            "backend": "cachegrind | gem5 | native",
            "backend_version": "version of the measuring tool and its settings",
            "config_hash": "hash of the simulator config that produced the row",
            "profile": PROFILE_DOC,
            "test_set": TEST_SET_DOC,
            "status": "OK, WA, RE, TLE, MLE, OLE, CE or INFRA",
            "accuracy": "PIE's matched / expected lines of the native run",
            "instructions": "instructions executed (measured runs)",
            "cost": "the backend's cost: CEst for cachegrind, simulated seconds for gem5, CPU s native",
            "sim_seconds": "simulated seconds (gem5)",
            "cpu_time_s": "CPU seconds (native)",
            "peak_memory_kb": "peak memory (KB): the max resident set of the program's native judging run on this "
            "test (its whole process tree, ASLR off), whatever the backend; repeats within the "
            "kernel's per-CPU RSS batching (up to 128 KB per CPU the run migrated over); NULL "
            "when it did not run (CE, INFRA) or the wall guard fired",
            "counters": "raw counters of the backend (name/value)",
            "binary_sha256": "sha256 of the compiled binary",
            "input_sha256": "sha256 of the input",
            "sandboxed": "how the program was contained (bwrap or a degraded mode)",
            "deterministic": "whether the backend gives the same number on every run",
            "detail": "why, for a status that is not OK",
        },
    ),
    "submission_runtimes": TableDoc(
        "One row per submission: all_pass, n_tests, agg_cost (sum over distinct test inputs), mean accuracy.",
        SUBMISSION_RUNTIME_SCHEMA,
        {
            "submission_id": "the program",
            "problem_id": "the problem (partition)",
            "backend": "cachegrind | gem5 | native",
            "config_hash": "hash of the simulator config",
            "profile": PROFILE_DOC,
            "test_set": TEST_SET_DOC,
            "status": "OK, or the first status that is not OK",
            "codenet_status": "CodeNet's own verdict of the submission (Accepted, Wrong Answer, ...); an Accepted "
            "program that is not all_pass here is listed by the check accepted_programs_pass_here",
            "all_pass": "every test passed natively and under the backend",
            "n_tests": "distinct test inputs of the test set measured",
            "n_passed": "tests with status OK",
            "agg_cost": "sum of cost over the distinct inputs (PIE's agg_runtime); NULL unless all_pass",
            "agg_instructions": "sum of instructions over the distinct inputs; NULL unless all_pass",
            "mean_accuracy": "mean accuracy over the tests",
            "peak_memory_kb": "the largest peak_memory_kb of its tests (native max RSS, ASLR off); NULL when no "
            "test has one",
            "binary_sha256": "sha256 of the compiled binary",
            "detail": "why it is not all_pass: the first test that is not OK, as 'test_id: its detail'; empty when "
            "all pass",
        },
    ),
}
