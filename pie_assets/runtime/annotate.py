"""Runtime annotation of one problem: compile → judge natively → measure with the backend.

What is measured is a `Program`: source bytes under an id, a CodeNet submission or a model
generation alike, through one path. Every (binary, test, config) outcome is cached by content, so
re-materialising with an unchanged config runs nothing, and byte-identical programs anywhere,
whatever their ids, share one binary and one measurement.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import polars as pl

from pie_assets.codenet.test_cases import with_runtime_test_ids
from pie_assets.lake.schema import ColumnTypes
from pie_assets.runtime.backends.base import Backend, Budget, Measurement
from pie_assets.runtime.backends.cachegrind import CachegrindBackend
from pie_assets.runtime.backends.gem5 import Gem5Backend
from pie_assets.runtime.backends.native import NativeBackend
from pie_assets.runtime.compile import Compiler, CompileResult
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.engine import make_executor, worker_instance
from pie_assets.runtime.judge import accuracy
from pie_assets.runtime.sandbox import BWRAP, ProgramNotStarted, Sandbox, SandboxUnavailable
from pie_assets.runtime.statuses import HARNESS_FAULTS, INFRA, NO_TESTS
from pie_assets.runtime.store import ContentStore
from pie_assets.runtime.test_sets import TestSelection
from pie_assets.settings import user_cache_root

log = logging.getLogger(__name__)
T = TypeVar("T")
COUNTERS_TYPE = pl.List(pl.Struct({"name": pl.Utf8, "value": pl.Int64}))
ANNOTATION_SCHEMA: ColumnTypes = {
    "submission_id": pl.Utf8,
    "problem_id": pl.Utf8,
    "test_id": pl.Utf8,
    "input_test_ids": pl.List(pl.Utf8),
    "backend": pl.Utf8,
    "backend_version": pl.Utf8,
    "config_hash": pl.Utf8,
    "profile": pl.Utf8,
    "test_set": pl.Utf8,
    "status": pl.Utf8,
    "accuracy": pl.Float64,
    "instructions": pl.Int64,
    "cost": pl.Float64,
    "sim_seconds": pl.Float64,
    "cpu_time_s": pl.Float64,
    "peak_memory_kb": pl.Int64,
    "counters": COUNTERS_TYPE,
    "binary_sha256": pl.Utf8,
    "input_sha256": pl.Utf8,
    "sandboxed": pl.Utf8,
    "deterministic": pl.Boolean,
    "detail": pl.Utf8,
}
SUBMISSION_RUNTIME_SCHEMA: ColumnTypes = {
    "submission_id": pl.Utf8,
    "problem_id": pl.Utf8,
    "backend": pl.Utf8,
    "config_hash": pl.Utf8,
    "profile": pl.Utf8,
    "test_set": pl.Utf8,
    "status": pl.Utf8,
    "codenet_status": pl.Utf8,
    "all_pass": pl.Boolean,
    "n_tests": pl.Int64,
    "n_passed": pl.Int64,
    "agg_cost": pl.Float64,
    "agg_instructions": pl.Int64,
    "mean_accuracy": pl.Float64,
    "peak_memory_kb": pl.Int64,
    "binary_sha256": pl.Utf8,
    "detail": pl.Utf8,
}
# Format of the cached outcome records, part of their key. 2: the native check records the
# program's peak memory. A record of an earlier format must not read as "no peak", so its key no
# longer matches: after the upgrade every (binary, test) is judged and measured once more.
OUTCOME_FORMAT = 2


def make_backend(config: SimulatorConfig, sandbox: Sandbox) -> Backend:
    name = config.backend
    if name == "cachegrind":
        section = config.section("cachegrind")
        return CachegrindBackend(sandbox, section, section.get("weights", {}))
    if name == "native":
        return NativeBackend(sandbox=sandbox, repeats=int(config.section("native").get("repeats", 5)))
    if name == "gem5":
        section = config.section("gem5")
        if not section.get("binary") or not section.get("config_dir"):
            raise ValueError("backend 'gem5' needs [gem5] binary and config_dir in the simulator config")
        return Gem5Backend(gem5_binary=section["binary"], config_dir=section["config_dir"], sandbox=sandbox)
    raise ValueError(f"unknown backend {name!r} in the simulator config (cachegrind | gem5 | native)")


@dataclass(frozen=True)
class Program:
    """What gets compiled, judged and measured: the exact source bytes, keyed by whatever names the
    program (a submission id, a generation id); caches key on `code_sha256`, never on the id."""

    program_id: str
    code: bytes
    code_sha256: str

    @classmethod
    def from_text(cls, program_id: str, code: str, encoding: str = "utf-8") -> Program:
        data = code.encode(encoding)
        return cls(program_id, data, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class ProgramResult:
    """One program's annotation rows (one per case) and its summary row, without the id column:
    the caller names it (`submission_id` for CodeNet)."""

    tests: list[dict[str, Any]]
    summary: dict[str, Any]


@dataclass(frozen=True)
class NativeRun:
    """A program's own native run: what `Annotator.native_run` returns and caches."""

    status: str
    stdout: str  # decoded as the judge decodes it (UTF-8, undecodable bytes replaced)
    cpu_time_s: float | None
    detail: str


@dataclass(frozen=True)
class TestCase:
    test_id: str
    input: bytes
    expected: str
    input_sha256: str
    input_test_ids: tuple[str, ...] = ()  # every test row with this input (test_id stands for them)


def runtime_cases(tests: pl.DataFrame) -> list[TestCase]:
    """One case per distinct input of `tests` (a problem's `test_cases`, or a set's rows chosen by
    `runtime.test_sets.select_tests`), the row `runtime_test_id` names (see `codenet.test_cases`),
    so no input is measured or summed twice."""
    if "runtime_test_id" not in tests.columns:
        tests = with_runtime_test_ids(tests)
    chosen = tests.filter(pl.col("runtime_test_id").is_not_null())
    origins = chosen.group_by("runtime_test_id").agg(pl.col("test_id").sort())
    members = dict(zip(origins["runtime_test_id"], origins["test_id"].to_list(), strict=True))
    return [
        TestCase(
            r["test_id"], r["input"].encode(), r["expected_output"], r["input_sha256"], tuple(members[r["test_id"]])
        )
        for r in chosen.filter(pl.col("test_id") == pl.col("runtime_test_id")).iter_rows(named=True)
    ]


class Annotator:
    """Annotates programs of a problem; thread-safe, shares caches across runs."""

    def __init__(self, config: SimulatorConfig, cache_root: str, sandbox: Sandbox) -> None:
        self.config = config
        self.cache_root = cache_root
        self.sandbox = sandbox
        self.compiler = Compiler.from_config(config, cache_root, sandbox)
        self.backend = make_backend(config, sandbox)
        self.checker = NativeBackend(sandbox=sandbox, repeats=1)
        self.outcomes = ContentStore(cache_root, "outcome")

    @property
    def worker_sandbox_mode(self) -> str:
        """The sandbox a worker must use to give the rows this process would: the same launcher."""
        return BWRAP if self.sandbox.mode == BWRAP else "unshare"

    def __reduce__(self):
        """Pickled (a Ray task's callable) as its recipe; each worker process rebuilds it once."""
        return (worker_annotator, (self.config, self.cache_root, self.worker_sandbox_mode))

    def executor(self, workers: int | None = None) -> Executor:
        """The configured engine's executor for this annotator's tasks (`pie_assets.runtime.engine`)."""
        return make_executor(self.config, self.worker_sandbox_mode, workers)

    def chosen(self, submissions: pl.DataFrame) -> pl.DataFrame:
        """The submissions this config annotates (`[measure] statuses`)."""
        return submissions.filter(pl.col("status").is_in(self.config.statuses))

    def annotate(
        self,
        problem_id: str,
        submissions: pl.DataFrame,
        tests: TestSelection,
        pool: Executor,
        on_program: Callable[[int], None] | None = None,
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Every chosen submission on the problem's tests of the runtime set (`select_tests`);
        `on_program(tests)` is called as each program's rows are done (progress)."""
        cases = runtime_cases(tests.tests)
        futures = [
            pool.submit(self.submission_rows, row, problem_id, cases, tests.name)
            for row in self.chosen(submissions).iter_rows(named=True)
        ]
        annotation_rows: list[dict[str, Any]] = []
        summary_rows: list[dict[str, Any]] = []
        for future in futures:
            rows, summary = future.result()
            annotation_rows.extend(rows)
            summary_rows.append(summary)
            if on_program:
                on_program(len(rows))
        return (
            pl.DataFrame(annotation_rows, schema=ANNOTATION_SCHEMA, orient="row"),
            pl.DataFrame(summary_rows, schema=SUBMISSION_RUNTIME_SCHEMA, orient="row"),
        )

    def submission_rows(
        self, submission: dict[str, Any], problem_id: str, cases: list[TestCase], test_set: str
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """A CodeNet submission row (submission_id, code, code_encoding, code_sha256) measured as a
        Program on `cases`, the problem's tests of `test_set`: rows of ANNOTATION_SCHEMA and
        SUBMISSION_RUNTIME_SCHEMA."""
        code = submission["code"].encode(submission["code_encoding"])
        result = self.measure_program(
            Program(submission["submission_id"], code, submission["code_sha256"]), problem_id, cases
        )
        key = {"submission_id": submission["submission_id"], "test_set": test_set}
        summary = key | result.summary | {"codenet_status": submission.get("status")}
        rows = [{name: (key | row)[name] for name in ANNOTATION_SCHEMA} for row in result.tests]
        return rows, {name: summary[name] for name in SUBMISSION_RUNTIME_SCHEMA}

    def measure_program(self, program: Program, problem_id: str, cases: list[TestCase]) -> ProgramResult:
        """Compile, judge natively on every case, and (only if all pass) measure with the backend."""
        compiled = self.compile(program.code, program.code_sha256)
        if not compiled.ok:
            outcomes = [{"status": compiled.status, "accuracy": 0.0, "detail": compiled.error} for _ in cases]
        else:
            outcomes = self.outcomes_for(compiled, cases)
        rows = [self._row(problem_id, case, compiled, outcome) for case, outcome in zip(cases, outcomes, strict=True)]
        return ProgramResult(rows, self._summary(problem_id, compiled, rows))

    def native_output(self, code: bytes, code_sha256: str, stdin: bytes) -> str | None:
        """The program's own output on `stdin`, run as the judge runs it (sandboxed, natively,
        INFRA handled), or None when it does not compile or does not run cleanly."""
        compiled = self.compile(code, code_sha256)
        if not compiled.ok:
            return None
        run = self.native_run(compiled, stdin)
        return run.stdout if run.status == "OK" else None

    def native_run(self, compiled: CompileResult, stdin: bytes, budget: Budget | None = None) -> NativeRun:
        """The program's own run on `stdin` (no expected output), natively and sandboxed as the
        judge runs it, under `budget` (default: the native budget): its status, output and CPU
        time. Cached in the outcome store by (binary, input, budget); INFRA never is."""
        budget = budget or self.config.native_budget()
        input_sha256 = hashlib.sha256(stdin).hexdigest()
        key = hashlib.sha256(f"run|{OUTCOME_FORMAT}|{compiled.binary_sha256}|{input_sha256}|{budget}".encode())
        if cached := self.outcomes.get(key.hexdigest()):
            return NativeRun(**cached)
        result = self.run_uncached(compiled.binary, (), budget, stdin)
        run = NativeRun(result.status, result.stdout.decode("utf-8", "replace"), result.cpu_time_s, result.detail)
        if run.status not in HARNESS_FAULTS:
            self.outcomes.put(key.hexdigest(), asdict(run))
        return run

    def outcomes_for(self, compiled: CompileResult, cases: list[TestCase]) -> list[dict[str, Any]]:
        """Native check of every test, then (only if all pass) one measurement per test."""
        keys = [self._key(compiled.binary_sha256, case) for case in cases]
        cached = [self.outcomes.get(key) for key in keys]
        outcomes = [hit or self._check(compiled.binary, case) for hit, case in zip(cached, cases, strict=True)]
        all_pass = bool(cases) and all(o["status"] == "OK" for o in outcomes)
        for key, case, hit, outcome in zip(keys, cases, cached, outcomes, strict=True):
            changed = hit is None
            if all_pass and "measurement" not in outcome:
                outcome["measurement"] = self._measure(compiled.binary, case)
                changed = True
            # INFRA is the harness failing, not a fact about the program: never cached.
            ended = {outcome["status"], outcome.get("measurement", {}).get("status")}
            if changed and not ended & HARNESS_FAULTS:
                self.outcomes.put(key, outcome)
        return outcomes

    def _key(self, binary_sha256: str | None, case: TestCase) -> str:
        expected = hashlib.sha256(case.expected.encode()).hexdigest()
        key = f"{OUTCOME_FORMAT}|{binary_sha256}|{case.input_sha256}|{expected}|{self.config.outcome_hash}"
        return hashlib.sha256(key.encode()).hexdigest()

    def compile(self, code: bytes, code_sha256: str) -> CompileResult:
        """The compiler's result, a harness fault (INFRA) retried like a run's."""
        return _retried(
            lambda: self.compiler.compile(code, code_sha256),
            lambda c: c.status in HARNESS_FAULTS,
            self.config.infra_attempts,
            f"compile of {code_sha256[:12]}",
        )

    def run_uncached(self, binary: str, args: Sequence[str], budget: Budget, stdin: bytes = b"") -> Measurement:
        """One native run of a compiled binary with arguments (a test generator's scale and seed),
        contained and retried on harness faults as every judged run is; not cached (`native_run`
        is the cached form, for a program's own output on an input)."""
        return self._contained(
            lambda: self.checker.run(binary, stdin, budget, args=args), f"native run of {binary} {' '.join(args)}"
        )

    def _run(self, backend: Backend, binary: str, case: TestCase, budget: Budget) -> Measurement:
        return self._contained(
            lambda: backend.run(binary, case.input, budget), f"{backend.name} run on test {case.test_id}"
        )

    def _contained(self, run: Callable[[], Measurement], what: str) -> Measurement:
        """A sandbox that could not start the program is the harness failing: INFRA, never the
        program's verdict; retried, and the last attempt's cause kept."""

        def attempt() -> Measurement:
            try:
                return run()
            except ProgramNotStarted as err:
                return Measurement(INFRA, detail=str(err), sandbox=self.sandbox.mode)
            except SandboxUnavailable as err:
                return Measurement(INFRA, detail=f"sandbox unavailable: {err}", sandbox=self.sandbox.mode)

        return _retried(attempt, lambda m: m.status in HARNESS_FAULTS, self.config.infra_attempts, what)

    def _check(self, binary: str, case: TestCase) -> dict[str, Any]:
        """The judging run, natively: its verdict and the program's peak memory, whatever the backend."""
        result = self._run(self.checker, binary, case, self.config.native_budget())
        run = {"sandbox": result.sandbox, "peak_memory_kb": result.peak_rss_kb}
        if result.status != "OK":
            return {"status": result.status, "accuracy": 0.0, "detail": result.detail, **run}
        acc = accuracy(result.stdout.decode("utf-8", "replace"), case.expected, self.config.float_tolerance)
        return {
            "status": "OK" if acc == 1.0 else "WA",
            "accuracy": acc,
            "detail": "" if acc == 1.0 else f"{acc:.3f} of expected lines matched",
            **run,
        }

    def _measure(self, binary: str, case: TestCase) -> dict[str, Any]:
        m = self._run(self.backend, binary, case, self.config.measure_budget())
        status, detail = m.status, m.detail
        if status == "OK":
            acc = accuracy(m.stdout.decode("utf-8", "replace"), case.expected, self.config.float_tolerance)
            if acc != 1.0:
                status, detail = "WA", f"output under {self.backend.name} differs from the native run ({acc:.3f})"
        return {
            "status": status,
            "detail": detail,
            "instructions": m.instructions,
            "counters": m.counters,
            "sim_seconds": m.sim_seconds,
            "cpu_time_s": m.cpu_time_s,
            "sandbox": m.sandbox,
            "cost": self.backend.cost(m) if status == "OK" else None,
        }

    def _row(self, problem_id: str, case: TestCase, compiled: CompileResult, outcome: dict[str, Any]) -> dict[str, Any]:
        measured = outcome.get("measurement") or {}
        status = measured.get("status", outcome["status"])
        return {
            "problem_id": problem_id,
            "test_id": case.test_id,
            "input_test_ids": list(case.input_test_ids or (case.test_id,)),
            "backend": self.backend.name,
            "backend_version": self.backend.version,
            "config_hash": self.config.hash,
            "profile": self.config.profile,
            "status": status,
            "accuracy": outcome.get("accuracy", 0.0),
            "instructions": measured.get("instructions"),
            "cost": measured.get("cost"),
            "sim_seconds": measured.get("sim_seconds"),
            "cpu_time_s": measured.get("cpu_time_s"),
            "peak_memory_kb": outcome.get("peak_memory_kb"),
            "counters": [{"name": k, "value": v} for k, v in sorted((measured.get("counters") or {}).items())],
            "binary_sha256": compiled.binary_sha256,
            "input_sha256": case.input_sha256,
            "sandboxed": measured.get("sandbox") or outcome.get("sandbox") or self.sandbox.mode,
            "deterministic": self.backend.deterministic,
            "detail": measured.get("detail") or outcome.get("detail") or "",
        }

    def _summary(self, problem_id: str, compiled: CompileResult, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
        rows = list(rows)
        statuses = [r["status"] for r in rows]
        all_pass = bool(rows) and all(s == "OK" for s in statuses)
        peaks = [r["peak_memory_kb"] for r in rows if r["peak_memory_kb"] is not None]
        return {
            "problem_id": problem_id,
            "backend": self.backend.name,
            "config_hash": self.config.hash,
            "profile": self.config.profile,
            "status": next((s for s in statuses if s != "OK"), "OK" if rows else NO_TESTS),
            "all_pass": all_pass,
            "n_tests": len(rows),
            "n_passed": statuses.count("OK"),
            "agg_cost": sum(r["cost"] for r in rows) if all_pass else None,
            "agg_instructions": sum(r["instructions"] or 0 for r in rows) if all_pass else None,
            "mean_accuracy": sum(r["accuracy"] for r in rows) / len(rows) if rows else None,
            "peak_memory_kb": max(peaks, default=None),
            "binary_sha256": compiled.binary_sha256,
            "detail": next((f"{r['test_id']}: {r['detail']}" for r in rows if r["status"] != "OK"), ""),
        }


def worker_annotator(config: SimulatorConfig, cache_root: str, sandbox_mode: str) -> Annotator:
    """The Annotator of this worker process for (config, cache, sandbox): what an `Annotator`
    unpickles to in a Ray task (`Annotator.__reduce__`), built once per worker process. It uses
    the driver's cache path: shared on one machine or a shared filesystem; a node without it
    computes into its own cache (content-addressed and written by rename: nothing is corrupted)."""

    def build() -> Annotator:
        root = cache_root
        try:
            os.makedirs(root, exist_ok=True)
        except OSError:  # a node without the driver's cache path: its own cache
            root = user_cache_root()
        # A worker runs its tasks here: never a Ray executor inside a Ray task.
        return Annotator(config.with_section("measure", engine="local"), root, Sandbox(mode=sandbox_mode))

    return worker_instance("annotator", (config.hash, cache_root, sandbox_mode), build)


def _retried(attempt: Callable[[], T], infra: Callable[[T], bool], attempts: int, what: str) -> T:
    """`attempt()` until it is not the harness failing, at most `attempts` times: a fault of ours
    (a race under load, a sandbox that did not start) must not cost a program its verdict, and one
    that persists is still reported as INFRA (never cached), with the last cause."""
    result = attempt()
    for number in range(1, attempts):
        if not infra(result):
            break
        log.warning(f"INFRA on {what} (attempt {number} of {attempts}), retrying: {result}")
        result = attempt()
    return result
