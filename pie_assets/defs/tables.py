"""What each lake table is: its description, its columns' descriptions (the README's tables) and
its schema, so every asset shows the same column schema in the Dagster UI before and after it
materialises."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import polars as pl

from pie_assets.codenet.ingest import SUBMISSIONS_SCHEMA
from pie_assets.codenet.problem_list import PROBLEMS_SCHEMA
from pie_assets.codenet.rejects import REJECT_SCHEMA
from pie_assets.codenet.statements import STATEMENT_SCHEMA
from pie_assets.codenet.test_cases import TEST_CASE_SCHEMA
from pie_assets.evaluation.schemas import (
    GENERATION_RUNTIME_SCHEMA,
    GENERATION_SCHEMA,
    MODEL_EVALUATION_SCHEMA,
    PROMPT_SCHEMA,
)
from pie_assets.lake.schema import ColumnTypes
from pie_assets.runtime.annotate import ANNOTATION_SCHEMA, SUBMISSION_RUNTIME_SCHEMA

PROFILE_DOC = (
    "the simulator profile that built and measured the program: static (the default: static, stripped "
    "binaries) or pie-parity (PIE's build: dynamic, not stripped); see simulator.toml [profiles]"
)


@dataclass(frozen=True)
class TableDoc:
    description: str
    schema: ColumnTypes
    columns: dict[str, str]

    def column_schema(self) -> dg.TableSchema:
        return dg.TableSchema(
            columns=[
                dg.TableColumn(name, str(dtype), description=self.columns.get(name))
                for name, dtype in self.schema.items()
            ]
        )

    def spec_metadata(self) -> dict[str, object]:
        """Definition metadata: the columns the UI shows before anything is materialised."""
        return {"dagster/column_schema": self.column_schema()}


_REJECT_COLUMNS = {
    "problem_id": "the problem, when known",
    "table_name": "the table the item was meant for",
    "path": "the file, relative to the CodeNet root",
    "line": "line in the file, when it is a row",
    "action": "row_rejected | file_rejected | value_nulled | missing",
    "reason": "why",
    "raw": "the raw row, when it is a row",
}

TABLES: dict[str, TableDoc] = {
    "problems": TableDoc(
        "CodeNet problems from metadata/problem_list.csv: name, dataset, time and memory limits.",
        PROBLEMS_SCHEMA,
        {
            "problem_id": "CodeNet problem id, pXXXXX",
            "name": "problem title",
            "dataset": "AIZU or AtCoder",
            "time_limit_ms": "the judge's time limit (ms)",
            "memory_limit_kb": "the judge's memory limit (KB)",
            "rating": "empty in CodeNet",
            "tags": "empty in CodeNet",
            "complexity": "empty in CodeNet",
        },
    ),
    "submissions": TableDoc(
        "C++ submissions of the problem with their code (code_sha256 over the exact file bytes).",
        SUBMISSIONS_SCHEMA,
        {
            "submission_id": "CodeNet submission id, sXXXXXXXXX (unique)",
            "problem_id": "the problem (partition)",
            "user_id": "CodeNet user id, uXXXXXXXXX",
            "submitted_at": "submission time (UTC); NULL for a program of PIE's release, which gives none",
            "language": "CodeNet language (C++ only here)",
            "original_language": "the judge's language name, e.g. C++ (GCC 9.2.1)",
            "filename_ext": "file extension of the source",
            "status": "CodeNet verdict: Accepted, Wrong Answer, Time Limit Exceeded, ...",
            "cpu_time_ms": "the judge's CPU time (ms); NULL when invalid",
            "memory_kb": "the judge's memory (KB); NULL when invalid",
            "code_size": "the judge's code size (bytes)",
            "accuracy": "passed/total tests on AIZU, empty on AtCoder",
            "code": "the source text",
            "code_encoding": "encoding that gives back the exact bytes: code.encode(code_encoding)",
            "code_sha256": "sha256 of the exact source bytes",
            "code_bytes": "size of the source file",
            "source_path": "the source file, relative to the CodeNet root; for a problem of PIE's release "
            "alone, the JSONL line and field, e.g. test.jsonl:3#src_code",
        },
    ),
    "test_cases": TableDoc(
        "Tests: page samples (html_sample), derived input/output (codenet_derived), extra dir "
        "(extra_dir). runtime_test_id names the row that stands for its input in the runtime test set.",
        TEST_CASE_SCHEMA,
        {
            "problem_id": "the problem (partition)",
            "test_id": "<origin>_<N>, unique within the problem",
            "origin": "html_sample | codenet_derived | extra_dir",
            "input": "stdin of the test (LF line ends)",
            "expected_output": "expected stdout",
            "input_sha256": "sha256 of the UTF-8 input bytes a program is fed",
            "source_path": "where the test came from",
            "runtime_test_id": "the test row measured for this input (one per distinct input_sha256); "
            "NULL when the row is outside the runtime test set (PIE's tests list)",
        },
    ),
    "ingest_rejects": TableDoc(
        "Every row, file or value ingestion of a problem could not use, with path, line and reason.",
        REJECT_SCHEMA,
        _REJECT_COLUMNS,
    ),
    "problem_statements": TableDoc(
        "The problem page's statement as plain text (task, input/output format, constraints; no samples): "
        "the prompt of preference pairs. No row, and a reject, when the page is missing or has no text.",
        STATEMENT_SCHEMA,
        {
            "problem_id": "the problem (partition)",
            "statement": "plain text, paragraphs separated by blank lines, math flattened (≤, 10^9); "
            "AtCoder: the English copy when the page has one",
            "statement_sha256": "sha256 of the statement's UTF-8 bytes",
            "source_path": "the problem page, relative to the CodeNet root",
        },
    ),
    "problem_list_rejects": TableDoc(
        "Rows and values of metadata/problem_list.csv that `problems` could not use (ingest_rejects' columns).",
        REJECT_SCHEMA,
        _REJECT_COLUMNS,
    ),
    "runtime_annotations": TableDoc(
        "One row per (submission, distinct test input): status, accuracy, instructions, cost, raw counters.",
        ANNOTATION_SCHEMA,
        {
            "submission_id": "the program",
            "problem_id": "the problem (partition)",
            "test_id": "the test row that stands for this input (test_cases.runtime_test_id)",
            "input_test_ids": "every test_cases row with this input (its origins)",
            "backend": "cachegrind | gem5 | native",
            "backend_version": "version of the measuring tool and its settings",
            "config_hash": "hash of the simulator config that produced the row",
            "profile": PROFILE_DOC,
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
            "status": "OK, or the first status that is not OK",
            "codenet_status": "CodeNet's own verdict of the submission (Accepted, Wrong Answer, ...); an Accepted "
            "program that is not all_pass here is listed by the check accepted_programs_pass_here",
            "all_pass": "every test passed natively and under the backend",
            "n_tests": "distinct test inputs measured",
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
    "prompts": TableDoc(
        "Per checkpoint x test problem: the prompt of every (strategy, test pair), as sent to the model; prompt_hash "
        "keys the generation cache. Baselines and human references are not prompted (no rows).",
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
        "Per checkpoint x test problem: every sample of every prompt (or a baseline's / human reference's program), "
        "the raw response and the program extracted from it.",
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
            "speedup": "SPEEDUP: mean over pairs of max(1, src cost / best cost) (unclipped for human references)",
            "pct_opt": "%OPT: share of pairs with speedup >= 1.10",
            "pct_opt_1_25": "share of pairs with speedup >= 1.25",
            "pct_opt_1_5": "share of pairs with speedup >= 1.5",
            "pct_opt_2": "share of pairs with speedup >= 2",
            "pct_opt_3": "share of pairs with speedup >= 3",
            "pct_opt_5": "share of pairs with speedup >= 5",
            "pct_opt_10": "share of pairs with speedup >= 10",
            "pct_correct": "%Correct: share of pairs whose best accuracy is 1.0",
            "memory_reduction": (
                "mean of src peak memory / best generation's peak memory (1.0 without a correct generation)"
            ),
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
}
