"""The gem5 backend: PIE's deterministic runtime, the simulated seconds of an SE-mode gem5 run.

Setting it up (what PIE ran: gem5 X86 with darchr's Skylake configuration, "Verbatim" core):

1. Build gem5 for x86: ``scons build/X86/gem5.opt -j$(nproc)`` in a gem5 checkout. The binary is
   ``build/X86/gem5.opt``; it embeds Python and links the host's libpython. The sandbox shows
   the program only ``/usr``, ``/bin``, ``/lib*`` of the host, so build against a system Python
   under ``/usr`` (one from pyenv/conda elsewhere leaves gem5 unable to start: INFRA).
2. Get PIE's simulator configuration: the ``gem5-configs`` directory of
   https://github.com/darchr/gem5-skylake-config (PIE's docker image has it at
   ``/home/gem5-skylake-config/gem5-configs``). It holds ``run-se.py`` (arguments: a core
   configuration, ``Verbatim`` for PIE, and the binary) and ``system/`` (Skylake core, caches,
   DDR4 at 3.5 GHz).
3. Point the backend at both::

       Gem5Backend(gem5_binary="/opt/gem5/build/X86/gem5.opt",
                   config_dir="/opt/gem5-skylake-config/gem5-configs", sandbox=Sandbox())

   The backend's ``version`` hashes the binary and every file of the config dir, so a rebuilt
   gem5 or an edited config never shares cached measurements with the old one.

The command PIE ran was ``gem5.opt --stats-file=<F> <config-dir>/run-se.py Verbatim <binary>``
with the test input on stdin. Here it runs inside the sandbox as::

    /sandbox/gem5/gem5.opt --quiet --listener-mode=off --outdir /sandbox/work/m5out
        --stats-file /sandbox/work/stats.txt [--path /sandbox/gem5/config/system] [extra_args]
        /sandbox/gem5/config/run-se.py Verbatim /sandbox/prog

with the program, gem5 and the config dir bound read-only and the stats file collected from the
private work dir. Option values are separate arguments (``--stats-file F``, which gem5 accepts
like ``--stats-file=F``) so that every sandbox path is a whole argument: the sandbox's degraded
mode has no private mount tree and rewrites such arguments to host paths.

* Program output. In SE mode gem5 maps the simulated program's fd 1 onto gem5's own fd 1
  (``Process.output`` defaults to ``cout``; PIE's ``run-se.py`` keeps the default), so gem5's
  stdout IS the program's stdout, provided gem5 prints nothing else there. gem5's C++ warn/info
  lines go to stderr; the Python side prints its banner unless ``--quiet`` and an "info: Standard
  input is not a terminal" line unless ``--listener-mode=off``, so both are passed.
  ``-r/--redirect-stdout`` is NOT used: it dup2()s gem5's stdout into ``<outdir>/simout``, which
  the program shares, so it would move the same mixed stream into a file, not separate it. When
  the program fails, ``run-se.py`` appends "Benchmark failed with bad exit code./Exit code N" to
  stdout; that trailer is cut off into ``detail``.
* ``--path``: ``system/se.py`` does ``from core import *``, so ``system/`` must be on Python's
  path (PIE's docker set ``PYTHONPATH=.../gem5-configs/system``). The sandbox passes no
  environment, so gem5's own ``--path`` option adds it when the config dir has ``system/``.
* Limits, at PIE's parity. ``budget.cpu_s`` (``[gem5] cpu_s``, default 120: PIE gave gem5 120 s
  per test and counted a test past it as failed) bounds the whole simulation, which runs roughly
  0.15-0.6 M simulated instructions per host second (hostInstRate in the real stats files we
  test against); past it the run is TLE, a verdict, cached like PIE's failed test. PIE's
  ``run-se.py`` has no instruction cap, so an over-budget program simulates to the end (or to the
  CPU limit) and is then TLE on ``budget.instructions``. ``budget.wall_s`` (``[budget]
  measure_wall_s``, longer than the CPU budget) only guards the harness: firing → INFRA, re-run.
  The address-space limit is not ``budget.memory_mb``: gem5 maps the whole simulated physical
  memory (32 GB + 100 MB in PIE's config) up front, so the host limit is ``address_space_mb``
  (default 64 GiB) and this backend never reports MLE.

Statuses: wall guard -> INFRA; CPU limit -> TLE; output limit -> OLE; gem5 non-zero with a stats
file (the simulation ran, the program failed: ``run-se.py`` exits 1 and gem5's atexit hook still
dumps stats) -> RE with the stderr excerpt; gem5 non-zero WITHOUT a stats file -> INFRA, because
gem5 never finished a simulation (bad option, missing library, config error, gem5 panic) and that
cannot be told apart from a harness fault; a guest crash that makes gem5 itself panic (e.g. an
access to an unmapped address) can land here too, which is why PIE ran each binary natively
before simulating it. Exit 0 without stats, or
with unparseable stats -> INFRA. Otherwise simInsts > ``budget.instructions`` -> TLE, else OK.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from ..gem5_stats import Gem5Stats, parse_stats
from ..sandbox import Limits, Sandbox, SandboxResult
from .base import Budget, Measurement

SANDBOX_PROG = "/sandbox/prog"
SANDBOX_GEM5 = "/sandbox/gem5/gem5.opt"
SANDBOX_CONFIG = "/sandbox/gem5/config"
WORK_DIR = "/sandbox/work"
STATS_NAME = "stats.txt"
CPU_CONFIG = "Verbatim"  # PIE's core: darchr's Skylake parameters taken verbatim
RUNSE_FAILURE = b"Benchmark failed with bad exit"  # run-se.py's message after a failed program
EXCERPT_BYTES = 2000


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tree_hash(root: str) -> str:
    """Hash of every file's relative path and content; bytecode caches are derived, not config."""
    digest = hashlib.sha256()
    base = Path(root)
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(_sha256_file(str(path)).encode() + b"\n")
    return digest.hexdigest()


def _excerpt(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text if len(text) <= EXCERPT_BYTES else "..." + text[-EXCERPT_BYTES:]


def _how_it_ended(result: SandboxResult) -> str:
    if result.signal is not None:
        return f"was killed by signal {result.signal}"
    return f"exited with status {result.returncode}"


class Gem5Backend:
    """Runs a binary under gem5 SE mode with PIE's config; `cost` is simulated seconds."""

    name = "gem5"
    deterministic = True

    def __init__(
        self,
        gem5_binary: str,
        config_dir: str,
        sandbox: Sandbox,
        extra_args: Sequence[str] = (),
        *,
        address_space_mb: int = 64 << 10,
    ) -> None:
        self.gem5_binary = os.path.abspath(gem5_binary)
        self.config_dir = os.path.abspath(config_dir)
        if not os.path.isfile(os.path.join(self.config_dir, "run-se.py")):
            raise FileNotFoundError(
                f"{self.config_dir} has no run-se.py: config_dir must be PIE's "
                "gem5-configs directory (darchr/gem5-skylake-config)"
            )
        self.sandbox = sandbox
        self.extra_args = tuple(extra_args)  # gem5 options (before the script); must not change the simulation
        self.address_space_mb = address_space_mb
        self.version = f"gem5:{_sha256_file(self.gem5_binary)[:12]}:{_tree_hash(self.config_dir)[:12]}"

    def command(self) -> list[str]:
        """gem5's argv inside the sandbox (PIE's shape plus the options the module doc explains)."""
        argv = [
            SANDBOX_GEM5,
            "--quiet",
            "--listener-mode=off",
            "--outdir",
            f"{WORK_DIR}/m5out",
            "--stats-file",
            f"{WORK_DIR}/{STATS_NAME}",
        ]
        if os.path.isdir(os.path.join(self.config_dir, "system")):
            argv += ["--path", f"{SANDBOX_CONFIG}/system"]
        return [*argv, *self.extra_args, f"{SANDBOX_CONFIG}/run-se.py", CPU_CONFIG, SANDBOX_PROG]

    def run(self, binary: str, stdin: bytes, budget: Budget) -> Measurement:
        limits = Limits(
            cpu_s=budget.cpu_s,
            wall_s=budget.wall_s,
            output_bytes=budget.output_bytes,
            address_space_mb=self.address_space_mb,
        )
        result = self.sandbox.run(
            self.command(),
            stdin=stdin,
            limits=limits,
            ro_binds={
                os.path.abspath(binary): SANDBOX_PROG,
                self.gem5_binary: SANDBOX_GEM5,
                self.config_dir: SANDBOX_CONFIG,
            },
            collect=(STATS_NAME,),
        )
        return self._measure(result, budget)

    def cost(self, measurement: Measurement) -> float | None:
        return measurement.sim_seconds

    def _measure(self, result: SandboxResult, budget: Budget) -> Measurement:
        def verdict(
            status: str, detail: str = "", stdout: bytes = result.stdout, stats: Gem5Stats | None = None
        ) -> Measurement:
            measurement = Measurement(status=status, stdout=stdout, detail=detail, sandbox=result.mode)
            if stats is not None:
                measurement.sim_seconds = stats.runtime_seconds
                measurement.instructions = stats.sim_insts
                measurement.counters = {
                    key: value
                    for key, value in (
                        ("sim_ticks", stats.sim_ticks),
                        ("num_cycles", stats.num_cycles),
                        ("sim_freq", stats.sim_freq),
                    )
                    if value is not None
                }
            return measurement

        if result.timed_out:
            return verdict("INFRA", f"wall-clock guard fired after {budget.wall_s:g}s")
        if result.cpu_limit_exceeded:
            return verdict("TLE", f"gem5 hit the CPU limit of {budget.cpu_s:g}s")
        if result.output_exceeded:
            return verdict("OLE", f"output over {budget.output_bytes} bytes")

        raw = result.files.get(STATS_NAME)
        try:
            stats = parse_stats(raw.decode("utf-8", "replace")) if raw is not None else None
            problem = "" if raw is not None else "no stats file was written"
        except ValueError as error:
            stats, problem = None, f"unusable stats file: {error}"

        if result.returncode != 0:
            how = f"gem5 {_how_it_ended(result)}"
            if raw is None:
                return verdict(
                    "INFRA", f"{how} before finishing a simulation ({problem}); stderr: {_excerpt(result.stderr)}"
                )
            program_out, marker, message = result.stdout.rpartition(RUNSE_FAILURE)
            if marker:
                return verdict(
                    "RE",
                    f"{how}: {_excerpt(marker + message)}; stderr: {_excerpt(result.stderr)}",
                    stdout=program_out,
                    stats=stats,
                )
            return verdict("RE", f"{how}; stderr: {_excerpt(result.stderr)}", stats=stats)
        if stats is None:
            return verdict("INFRA", f"gem5 exited 0 but {problem}")
        if stats.sim_insts is not None and stats.sim_insts > budget.instructions:
            return verdict(
                "TLE", f"{stats.sim_insts} simulated instructions > budget {budget.instructions}", stats=stats
            )
        return verdict("OK", stats=stats)
