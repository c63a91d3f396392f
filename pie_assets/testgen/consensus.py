"""Validation by consensus: an input is a test only when the problem's CodeNet-Accepted programs
all run it cleanly and agree on its output.

The programs are the first `max_programs` Accepted C++ submissions by id that compile here, built
and run exactly as the runtime stage builds and judges programs (`Annotator.compile`,
`Annotator.native_run`: sandboxed, natively, cached by content, INFRA never cached). They run
under the native budget with the CPU limit cut to `CUT_FACTOR` x `max_native_s` (at least 1 s):
a program past that is far too slow for a kept test, so waiting for the full limit would only
cost time.

Every candidate is first screened by the first `screen_programs` of them (`judge(text, upto=)`);
only the candidates the sizing then chooses are confirmed by all of them (`judge(text)`), the
screening runs coming back from the run cache. A kept test is so agreed on by every program.

The outcome, checked in this order:

* `infra`: a run or a compile was the harness failing; nothing is said about the input;
* `failed`: a program did not finish OK (RE, MLE, OLE, or TLE for blocking itself forever, as an
  input past an array's bounds can make it: `sandbox.hang`): the input is likely invalid;
* `too_slow`: a program passed the cut CPU limit, or they agreed and the slowest took more than
  `max_native_s`;
* `disagreement`: some program's output fails PIE's judge against the first program's;
* agreed: the first program's output (by submission id) is the expected output.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import polars as pl

from pie_assets.runtime.annotate import Annotator, NativeRun
from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.backends.native import blocked_forever
from pie_assets.runtime.compile import CompileResult
from pie_assets.runtime.judge import accuracy
from pie_assets.runtime.statuses import HARNESS_FAULTS, OK, TLE
from pie_assets.testgen.candidates import TrialOutcome
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.versions import digest

ACCEPTED = "Accepted"
LANGUAGE = "C++"
CUT_FACTOR = 20
MIN_CUT_S = 1.0
# The wall guard of a consensus run, from its CPU cut (as `native_budget` does from native_cpu_s).
# A program that blocks itself forever (an input past its array bounds made it write over a static
# C library lock) is found and stopped long before it (`sandbox.hang`); the guard is left for what
# the harness cannot tell apart from a stalled start, which is INFRA.
WALL_FACTOR = 3
WALL_SLACK_S = 5.0


@dataclass(frozen=True)
class Verdict:
    """What the accepted programs made of one input. `outcome` is None when they agreed within
    the budget (selection then makes it `kept` or `not_selected`)."""

    outcome: TrialOutcome | None
    detail: str
    n_programs: int
    costs: tuple[float, ...] = ()  # CPU seconds of the programs that finished OK, in program order
    expected_output: str | None = None

    @property
    def agreed(self) -> bool:
        return self.outcome is None

    @property
    def median_cost(self) -> float | None:
        return statistics.median(self.costs) if self.costs else None


@dataclass(frozen=True)
class AcceptedProgram:
    submission_id: str
    compiled: CompileResult


class Consensus:
    """The accepted programs of one problem, judging inputs."""

    def __init__(
        self,
        annotator: Annotator,
        programs: Sequence[AcceptedProgram],
        settings: GeneratedTestsSettings,
        pool: Executor,
        infra: str = "",
    ) -> None:
        self.annotator, self.programs, self.settings, self.pool, self.infra = (
            annotator,
            list(programs),
            settings,
            pool,
            infra,
        )
        native = annotator.config.native_budget()
        cut = min(native.cpu_s, max(MIN_CUT_S, CUT_FACTOR * settings.max_native_s))
        self.budget: Budget = replace(native, cpu_s=cut, wall_s=cut * WALL_FACTOR + WALL_SLACK_S)

    @classmethod
    def for_problem(
        cls, annotator: Annotator, submissions: pl.DataFrame, settings: GeneratedTestsSettings, pool: Executor
    ) -> tuple[Consensus, list[str]]:
        """The consensus of the problem's first `max_programs` accepted C++ programs that compile,
        and the accepted ones left out as not compiling here ('sID: CE ...')."""
        accepted = submissions.filter(
            (pl.col("status") == ACCEPTED) & (pl.col("language") == LANGUAGE) & pl.col("code").is_not_null()
        ).sort("submission_id")
        programs: list[AcceptedProgram] = []
        left_out: list[str] = []
        for row in accepted.iter_rows(named=True):
            if len(programs) == settings.max_programs:
                break
            compiled = annotator.compile(row["code"].encode(row["code_encoding"]), row["code_sha256"])
            if compiled.status in HARNESS_FAULTS:
                return cls(annotator, [], settings, pool, f"compile of {row['submission_id']}: {compiled.error}"), []
            if compiled.ok:
                programs.append(AcceptedProgram(row["submission_id"], compiled))
            else:
                left_out.append(f"{row['submission_id']}: {compiled.status} {compiled.error[:200]}")
        return cls(annotator, programs, settings, pool), left_out

    @property
    def size(self) -> int:
        """The programs a confirmed input is agreed on by."""
        return len(self.programs)

    def judge(self, text: str, upto: int | None = None) -> Verdict:
        """The verdict of the first `upto` programs (all by default) on one input (see the module
        docstring)."""
        if self.infra:
            return Verdict(TrialOutcome.INFRA, self.infra, 0)
        if self.size < self.settings.min_consensus:
            return Verdict(
                TrialOutcome.TOO_FEW_PROGRAMS,
                f"{self.size} accepted program(s) compile here; "
                f"[generated_tests] min_consensus: {self.settings.min_consensus}",
                self.size,
            )
        programs = self.programs[:upto]
        n = len(programs)
        stdin = text.encode()
        futures = [self.pool.submit(self.annotator.native_run, p.compiled, stdin, self.budget) for p in programs]
        runs: list[NativeRun] = [future.result() for future in futures]
        named = list(zip((p.submission_id for p in programs), runs, strict=True))
        if broken := [f"{sid}: {run.status} {run.detail}" for sid, run in named if run.status in HARNESS_FAULTS]:
            return Verdict(TrialOutcome.INFRA, "; ".join(broken), n)
        if failed := [f"{sid}: {run.status} {run.detail[:200]}" for sid, run in named if _failed(run)]:
            return Verdict(TrialOutcome.FAILED, "; ".join(failed), n)
        if slow := [sid for sid, run in named if run.status == TLE]:
            return Verdict(TrialOutcome.TOO_SLOW, f"over the {self.budget.cpu_s:g} s CPU cut: {', '.join(slow)}", n)
        costs = tuple(run.cpu_time_s or 0.0 for run in runs)
        reference = runs[0].stdout
        tolerance = self.annotator.config.float_tolerance
        if differing := [(sid, run) for sid, run in named[1:] if accuracy(run.stdout, reference, tolerance) != 1.0]:
            outputs = ", ".join(f"{sid} {digest(run.stdout, 12)}" for sid, run in differing)
            detail = f"{named[0][0]} printed {digest(reference, 12)}; differing: {outputs}"
            return Verdict(TrialOutcome.DISAGREEMENT, detail, n, costs)
        if max(costs) > self.settings.max_native_s:
            slowest = named[costs.index(max(costs))][0]
            detail = f"slowest {slowest} took {max(costs):.4f} s > max_native_s {self.settings.max_native_s:g}"
            return Verdict(TrialOutcome.TOO_SLOW, detail, n, costs)
        return Verdict(None, "", n, costs, reference)


def _failed(run: NativeRun) -> bool:
    """Did not finish OK, and not for being slow: RE, MLE, OLE, or blocked itself forever."""
    return run.status not in (OK, TLE) or blocked_forever(run.status, run.detail)
