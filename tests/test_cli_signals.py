"""`pie run` started in the background by a script (SIGINT ignored, as a non-interactive shell
does for `cmd &`) still stops on SIGTERM and leaves no compute-log `tail -F` behind: Dagster maps
SIGTERM to SIGINT's handler on every in-process run (pie_assets/interrupts.py)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import psutil
from test_sample_and_cli import PIE, pie_env

SIGTERM_BIT = 1 << (signal.SIGTERM - 1)


def _tails_under(pid: int) -> set[int]:
    tails = set()
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if child.name() == "tail":
                tails.add(child.pid)
        except psutil.Error:
            pass
    return tails


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _ignores_sigterm(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & SIGTERM_BIT)
    raise AssertionError("no SigIgn line")


def test_a_background_pie_run_stops_on_sigterm_and_leaves_no_tail(tmp_path):
    with open(tmp_path / "output.txt", "w") as output:
        run = subprocess.Popen(
            [*PIE, "run", "--quiet", "--problems", "p90004"],
            cwd=tmp_path,
            env=pie_env(tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        # Wait for a step to end and another to start (one tail gone, a new one up): Dagster has
        # then set and restored its handlers at least once, which is when SIGTERM became ignored.
        seen: set[int] = set()
        ended = False
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and run.poll() is None:
            live = _tails_under(run.pid)
            ended = ended or bool(seen - live)
            if ended and live - seen:
                break
            seen |= live
            time.sleep(0.05)
        assert run.poll() is None, "pie run ended before a second step began: " + (tmp_path / "output.txt").read_text()
        seen |= _tails_under(run.pid)
        assert not _ignores_sigterm(run.pid)
        run.terminate()
        assert run.wait(timeout=120) == 130, (tmp_path / "output.txt").read_text()
    deadline = time.monotonic() + 10  # Dagster's watcher kills a tail within a second of its parent's end
    while (alive := [pid for pid in seen if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive == [], f"compute-log tails outlived pie run: {alive}"
    # The run the signal stopped is recorded as ended, not left "in progress" in the UI.
    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster")) as instance:
        statuses = [record.dagster_run.status for record in instance.get_run_records()]
    assert dg.DagsterRunStatus.FAILURE in statuses and all(
        status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE) for status in statuses
    ), statuses
