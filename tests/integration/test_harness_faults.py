"""No harness fault becomes a program's verdict: the ETXTBSY race (`fork_lock`), our init's exec
failures apart from the program's own exit 127, valgrind failing by itself, and INFRA retried,
never cached. Real g++, bubblewrap and valgrind, real threads and forks."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import polars as pl
import pytest

from pie_assets.defs.runtime.checks import ACCEPTED_FAILING_HERE
from pie_assets.runtime.annotate import Annotator, Program
from pie_assets.runtime.annotate import TestCase as Case
from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.backends.cachegrind import CachegrindBackend
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.fork_lock import spawning, writing_executable
from pie_assets.runtime.sandbox import Limits, ProgramNotStarted, Sandbox
from pie_assets.runtime.store import ContentStore

HELLO = b'#include <cstdio>\nint main(){std::puts("hello");}\n'
EXIT_127 = b"int main(){return 127;}\n"
PROG = "/sandbox/prog"


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A directory the sandbox user can reach, so the sandbox binds its files as they are (pytest's
    own tmp_path is private: the sandbox would run a staged copy, a new file)."""
    directory = Path(tempfile.mkdtemp(prefix="pie-test-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


@pytest.fixture(scope="module")
def hello(tmp_path_factory) -> Path:
    """A static hello world, as the pipeline builds programs."""
    directory = tmp_path_factory.mktemp("bin")
    (directory / "hello.cpp").write_bytes(HELLO)
    subprocess.run(["g++", "-O2", "-static", "-o", str(directory / "hello"), str(directory / "hello.cpp")], check=True)
    return directory / "hello"


def _stress(
    directory: Path,
    binary: Path,
    write: Callable[[str, str], None],
    spawn: Callable[[], AbstractContextManager],
    seconds: float,
    stop_at_first: bool,
) -> Counter:
    """Writer threads copy `binary` to a new path with `write` and execute the copy at once;
    forker threads fork and exec /bin/true without pause, every fork under `spawn()`. Counts the
    writers' executions: "ok" or the errno name of the failure."""
    counts: Counter = Counter()
    deadline = time.monotonic() + seconds

    def writer(number: int) -> None:
        for n in range(1_000_000):
            if time.monotonic() > deadline or (stop_at_first and counts["ETXTBSY"]):
                return
            path = str(directory / f"w{number}_{n}")
            write(str(binary), path)
            try:
                with spawn():
                    process = subprocess.Popen([path], stdout=subprocess.DEVNULL)
                process.wait()
                counts["ok"] += 1
            except OSError as err:
                counts[errno.errorcode[err.errno]] += 1
            os.unlink(path)

    def forker() -> None:
        while time.monotonic() < deadline and not (stop_at_first and counts["ETXTBSY"]):
            with spawn():
                process = subprocess.Popen(["/bin/true"])
            process.wait()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=forker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def _plain_copy(src: str, dest: str) -> None:
    shutil.copy2(src, dest)


def _guarded_copy(src: str, dest: str) -> None:
    with writing_executable():
        shutil.copy2(src, dest)


def test_the_stress_reproduces_text_file_busy_without_the_fork_lock(tmp_path, hello):
    """The control, the code before the fix: plain writes, plain forks. Without it, the guarded
    run below could pass by never meeting the race."""
    counts = _stress(tmp_path, hello, _plain_copy, nullcontext, seconds=30, stop_at_first=True)
    assert counts["ETXTBSY"] >= 1, counts


def test_the_fork_lock_never_lets_text_file_busy_happen(tmp_path, hello):
    counts = _stress(tmp_path, hello, _guarded_copy, spawning, seconds=8, stop_at_first=False)
    assert set(counts) == {"ok"} and counts["ok"] >= 200, counts


def test_staged_and_cached_binaries_run_under_concurrent_writes_and_forks(tmp_path, sandbox, hello):
    """The project's own paths at once: binaries written into a content store (`put_blob`),
    binaries staged by the sandbox from a directory its user cannot reach (as root, `_stage`
    copies them), all run at once from several threads; every run starts."""
    if os.geteuid() != 0:
        pytest.skip("staging copies happen only when the harness runs as root")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    shutil.copy2(hello, private / "hello")
    store = ContentStore(str(tmp_path / "store"), "compile")
    data = hello.read_bytes()
    results: Counter = Counter()
    deadline = time.monotonic() + 8

    def worker(number: int) -> None:
        for n in range(1_000_000):
            if time.monotonic() > deadline:
                return
            binary = (
                store.put_blob(hashlib.sha256(f"{number}.{n}".encode()).hexdigest(), data)
                if number % 2
                else str(private / "hello")
            )
            try:
                result = sandbox.run([PROG], stdin=b"", limits=Limits(), ro_binds={binary: PROG})
                results["ok" if result.stdout == b"hello\n" else f"exit {result.returncode}"] += 1
            except ProgramNotStarted as err:
                results[str(err)] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"ok"} and results["ok"] >= 20, results


def test_an_exec_failure_is_reported_apart_from_the_programs_own_exit_127(tmp_path, public_dir, sandbox, hello):
    source = tmp_path / "exit127.cpp"
    source.write_bytes(EXIT_127)
    exit127 = tmp_path / "exit127"
    subprocess.run(["g++", "-O2", "-static", "-o", str(exit127), str(source)], check=True)
    own = sandbox.run([PROG], stdin=b"", limits=Limits(), ro_binds={str(exit127): PROG})
    assert own.returncode == 127  # the program's own exit code stays its own

    busy = public_dir / "busy"
    shutil.copy2(hello, busy)
    held = os.open(busy, os.O_WRONLY)  # what a leaked write descriptor does
    try:
        with pytest.raises(ProgramNotStarted, match="cannot execute /sandbox/prog: Text file busy"):
            sandbox.run([PROG], stdin=b"", limits=Limits(), ro_binds={str(busy): PROG})
    finally:
        os.close(held)
    with pytest.raises(ProgramNotStarted, match="No such file or directory"):
        sandbox.run(["/sandbox/missing"], stdin=b"", limits=Limits())


def test_the_degraded_sandbox_reports_exec_failures_too(hello, tmp_path):
    degraded = Sandbox(mode="unshare")
    with pytest.raises(ProgramNotStarted, match="cannot execute"):
        degraded.run(["/nonexistent/prog"], stdin=b"", limits=Limits())


def _budget() -> Budget:
    return Budget(instructions=10**10, wall_s=60, cpu_s=30, memory_mb=4096, output_bytes=1 << 20)


def test_valgrind_failing_to_start_the_program_is_infra_not_re(tmp_path, sandbox, hello):
    config = SimulatorConfig.load()
    section = config.section("cachegrind")
    backend = CachegrindBackend(sandbox, section, section["weights"])
    not_executable = tmp_path / "prog"
    shutil.copy2(hello, not_executable)
    not_executable.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    measured = backend.run(str(not_executable), b"", _budget())
    assert measured.status == "INFRA" and "Permission denied" in measured.detail, measured
    assert backend.run(str(hello), b"", _budget()).status == "OK"


def test_a_busy_binary_is_infra_after_bounded_retries_never_cached_then_measured(public_dir, sandbox, caplog):
    annotator = Annotator(SimulatorConfig.load(), str(public_dir / "cache"), sandbox)
    program = Program.from_text("s1", HELLO.decode())
    case = Case("t0", b"", "hello\n", hashlib.sha256(b"").hexdigest())
    compiled = annotator.compile(program.code, program.code_sha256)
    held = os.open(compiled.binary_path, os.O_WRONLY)
    try:
        result = annotator.measure_program(program, "p0", [case])
    finally:
        os.close(held)
    (row,) = result.tests
    assert row["status"] == "INFRA" and "Text file busy" in row["detail"], row
    assert not result.summary["all_pass"] and result.summary["status"] == "INFRA"
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == annotator.config.infra_attempts - 1
    assert not any(Path(annotator.outcomes.dir).rglob("*.json"))  # INFRA is never cached

    again = annotator.measure_program(program, "p0", [case])
    assert again.tests[0]["status"] == "OK" and again.tests[0]["cost"] > 0
    assert any(Path(annotator.outcomes.dir).rglob("*.json"))


def test_infra_attempts_is_not_part_of_the_config_hash(tmp_path):
    config = SimulatorConfig.load()
    assert config.with_section("measure", infra_attempts=7).hash == config.hash
    with pytest.raises(ValueError, match="infra_attempts"):
        _ = config.with_section("measure", infra_attempts=0).infra_attempts


def test_accepted_programs_failing_here_are_listed_by_a_warning_check():
    frame = pl.DataFrame(
        {
            "submission_id": ["a", "b", "c"],
            "codenet_status": ["Accepted", "Accepted", "Wrong Answer"],
            "status": ["OK", "RE", "WA"],
            "all_pass": [True, False, False],
            "detail": ["", "t1: exit code 3", "t0: 0.000 of expected lines matched"],
        }
    )
    listed = ACCEPTED_FAILING_HERE.failing(frame)
    assert listed["submission_id"].to_list() == ["b"] and listed["detail"].to_list() == ["t1: exit code 3"]
