"""The sandbox against real escape attempts: real g++ binaries, real bubblewrap, no mocks."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.backends.native import NativeBackend
from pie_assets.runtime.sandbox import DEGRADED, FIXED_ENV, Limits, Sandbox, SandboxResult, launchers
from pie_assets.runtime.sandbox.init import STORE_KIND

PROG = "/sandbox/prog"

SOURCES = {
    "hello": r"""
        #include <cstdio>
        int main() { std::puts("hello"); }
    """,
    "crash": r"""
        int main() { volatile int *p = nullptr; *p = 1; }
    """,
    "write_paths": r"""
        #include <cerrno>
        #include <cstdio>
        #include <cstring>
        #include <fcntl.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            for (int i = 1; i < argc; i++) {
                int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd < 0) { std::printf("%s %s\n", argv[i], strerrorname_np(errno)); continue; }
                write(fd, "escaped", 7);
                close(fd);
                std::printf("%s OK\n", argv[i]);
            }
        }
    """,
    "connect": r"""
        #include <arpa/inet.h>
        #include <cerrno>
        #include <cstdio>
        #include <cstdlib>
        #include <cstring>
        #include <sys/socket.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            for (int i = 1; i + 1 < argc; i += 2) {
                int s = socket(AF_INET, SOCK_STREAM, 0);
                sockaddr_in a{};
                a.sin_family = AF_INET;
                a.sin_port = htons(std::atoi(argv[i + 1]));
                inet_pton(AF_INET, argv[i], &a.sin_addr);
                int rc = connect(s, (sockaddr *)&a, sizeof a);
                std::printf("%s:%s %s\n", argv[i], argv[i + 1], rc == 0 ? "OK" : strerrorname_np(errno));
                close(s);
            }
        }
    """,
    "fork_bomb": r"""
        #include <cerrno>
        #include <cstdio>
        #include <cstring>
        #include <sys/prctl.h>
        #include <unistd.h>
        int main(int, char **argv) {
            prctl(PR_SET_NAME, argv[1]);  // a tag every copy inherits, zombies included
            int forks = 0;
            for (;;) {
                pid_t pid = fork();
                if (pid == 0) for (;;) fork();
                if (pid < 0) break;
                forks++;
            }
            std::printf("%d forks, then %s\n", forks, strerrorname_np(errno));
            std::fflush(stdout);
            for (;;) fork();
        }
    """,
    "memory_hog": r"""
        #include <cstdio>
        #include <cstring>
        int main() {
            const size_t chunk = 1 << 20;
            for (size_t total = 0; total < (size_t(4) << 30); total += chunk)
                std::memset(new char[chunk], 1, chunk);
            std::puts("allocated 4 GB");
        }
    """,
    "big_output": r"""
        #include <cstdio>
        static char block[1 << 16];
        int main() {
            for (int i = 0; i < (1 << 30) / (int)sizeof block; i++) std::fwrite(block, 1, sizeof block, stdout);
        }
    """,
    "spin": r"""
        int main() { volatile unsigned long x = 0; for (;;) x++; }
    """,
    "eof_loop": r"""
        #include <cstdio>
        int main() { while (true) { int c = std::getchar(); (void)c; } }
    """,
    "sleeper": r"""
        #include <unistd.h>
        int main() { sleep(100); }
    """,
    "deadlock": r"""
        #include <pthread.h>
        int main() {  // a lock taken twice by its own holder: the program waits on itself forever
            static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
            pthread_mutex_lock(&lock);
            pthread_mutex_lock(&lock);
        }
    """,
    "timed_wait": r"""
        #include <pthread.h>
        #include <time.h>
        int main() {  // asleep on a futex, but with a timeout: it wakes by itself
            static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
            pthread_mutex_lock(&lock);
            timespec until{};
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 100;
            pthread_mutex_timedlock(&lock, &until);
        }
    """,
    "joins_a_sleeper": r"""
        #include <pthread.h>
        #include <unistd.h>
        int main() {  // the main thread waits on a futex that its other thread would release
            pthread_t t;
            pthread_create(&t, nullptr, [](void *) -> void * { sleep(100); return nullptr; }, nullptr);
            pthread_join(t, nullptr);
        }
    """,
    "determinism": r"""
        #include <cstdio>
        extern char **environ;
        int main() {
            int local = 0;
            std::printf("%p\n", (void *)&local);
            for (char **e = environ; *e; e++) std::puts(*e);
        }
    """,
    "stdin_kind": r"""
        #include <cstdio>
        #include <sys/stat.h>
        int main() {
            struct stat st;
            if (fstat(0, &st) != 0) { std::puts("fstat failed"); return 1; }
            std::printf("%s %lld\n", S_ISREG(st.st_mode) ? "regular" : S_ISFIFO(st.st_mode) ? "fifo" : "other",
                        (long long)st.st_size);
        }
    """,
    "stdin_reread": r"""
        #include <cerrno>
        #include <cstdio>
        #include <cstring>
        #include <unistd.h>
        static char first[1 << 16], second[1 << 16];
        int main() {
            ssize_t a = read(0, first, sizeof first);
            off_t back = lseek(0, 0, SEEK_SET);
            ssize_t b = read(0, second, sizeof second);
            bool same = a == b && a >= 0 && std::memcmp(first, second, a) == 0;
            ssize_t w = write(0, "x", 1);  // the fd is read-only: the input cannot be altered
            std::printf("read %zd, lseek %lld, reread %zd, same %d, write %s\n", a, (long long)back, b, same,
                        w < 0 ? strerrorname_np(errno) : "OK");
        }
    """,
    "writer": r"""
        #include <cstdio>
        int main() { std::FILE *f = std::fopen("answer.txt", "w"); std::fputs("42\n", f); std::fclose(f); }
    """,
}


@pytest.fixture(scope="module")
def binaries(tmp_path_factory) -> dict[str, str]:
    """Every test program, compiled once, in parallel (the compiles dominate this file's time)."""
    out = tmp_path_factory.mktemp("sandbox_bins")

    def compile_one(name: str) -> tuple[str, str]:
        src, binary = out / f"{name}.cpp", out / name
        src.write_text(SOURCES[name])
        subprocess.run(["g++", "-std=c++17", "-O2", str(src), "-o", str(binary)], check=True)
        return name, str(binary)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(compile_one, SOURCES))


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    sb = Sandbox()
    assert sb.mode == "bwrap", "bubblewrap must work on the test machine"
    return sb


def run(sb: Sandbox, binary: str, *args: str, stdin: bytes = b"", collect=(), **limits) -> SandboxResult:
    return sb.run([PROG, *args], stdin=stdin, limits=Limits(**limits), ro_binds={binary: PROG}, collect=collect)


def processes_named(name: str) -> list[int]:
    """Processes (zombies included) whose command name is `name`."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            first_line = status.read_text().partition("\n")[0]
        except OSError:
            continue
        if first_line == f"Name:\t{name}":
            pids.append(int(status.parent.name))
    return pids


def test_writes_outside_the_work_dir_fail_and_leave_nothing_on_the_host(sandbox, binaries, tmp_path):
    name = f"pie-escape-{uuid.uuid4().hex}"
    outside = [str(tmp_path / name), f"/tmp/{name}", f"/etc/{name}", f"/usr/{name}"]
    result = run(sandbox, binaries["write_paths"], *outside, "/sandbox/work/inside.txt", collect=["inside.txt"])
    lines = dict(line.rsplit(" ", 1) for line in result.stdout.decode().splitlines())
    assert lines[str(tmp_path / name)] == "ENOENT"  # the host's directories do not exist inside
    assert lines[f"/etc/{name}"] in ("EROFS", "ENOENT")
    assert lines[f"/usr/{name}"] == "EROFS"
    assert lines["/sandbox/work/inside.txt"] == "OK"
    assert result.files == {"inside.txt": b"escaped"}
    # /tmp inside is a private tmpfs: the write may succeed there, but it never reaches the host.
    for path in outside:
        assert not Path(path).exists(), path


def test_network_is_unreachable(sandbox, binaries):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = str(listener.getsockname()[1])
        result = run(sandbox, binaries["connect"], "127.0.0.1", port, "1.1.1.1", "53")
        outcomes = dict(line.split(" ") for line in result.stdout.decode().splitlines())
        assert outcomes[f"127.0.0.1:{port}"] in ("ECONNREFUSED", "ENETUNREACH")
        assert outcomes["1.1.1.1:53"] in ("ENETUNREACH", "EHOSTUNREACH")
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing from the sandbox reached the host's loopback


def test_fork_bomb_is_capped_killed_and_leaves_no_process(sandbox, binaries):
    tag = f"bomb-{uuid.uuid4().hex[:8]}"  # other runs of uid 65534 may share this machine
    with ThreadPoolExecutor(max_workers=1) as pool:
        bomb = pool.submit(run, sandbox, binaries["fork_bomb"], tag, wall_s=2.0, processes=32)
        time.sleep(0.5)
        # NPROC counts per sandbox (its own user namespace): a neighbour still starts meanwhile.
        neighbour = run(sandbox, binaries["hello"], wall_s=10.0)
        result = bomb.result()
    assert neighbour.returncode == 0 and neighbour.stdout == b"hello\n"
    forks, _, error = result.stdout.decode().partition(" forks, then ")
    assert int(forks) < 32 and error.strip() == "EAGAIN"
    assert result.timed_out and result.signal == signal.SIGKILL
    assert result.wall_s < 5
    assert not processes_named(tag)  # our init was reaped by bwrap, everything else by the kernel


def test_memory_hog_fails_under_the_address_space_limit(sandbox, binaries):
    result = run(sandbox, binaries["memory_hog"], address_space_mb=512)
    assert result.signal == signal.SIGABRT and b"std::bad_alloc" in result.stderr
    assert result.stdout == b"" and result.max_rss_kb < 512 * 1024
    measured = NativeBackend(repeats=1, sandbox=sandbox).run(binaries["memory_hog"], b"", budget(memory_mb=512))
    assert measured.status == "MLE"


def test_huge_output_is_capped_and_killed_fast(sandbox, binaries):
    cap = 4 << 20
    result = run(sandbox, binaries["big_output"], output_bytes=cap)
    assert result.output_exceeded and len(result.stdout) == cap
    assert not result.timed_out and result.wall_s < 3


def test_infinite_loop_hits_the_cpu_limit_not_the_wall_guard(sandbox, binaries):
    result = run(sandbox, binaries["spin"], cpu_s=1)
    assert result.cpu_limit_exceeded and result.signal == signal.SIGXCPU
    assert not result.timed_out and 0.8 <= result.cpu_s < 2.5  # RLIMIT_CPU samples by tick


def test_a_program_given_half_a_core_hits_its_cpu_limit_not_the_wall_guard(sandbox, binaries):
    """Load is the machine's fault, not the program's: pinned to one CPU beside a host spinner, the
    spin gets about half of it, so 1 CPU-s takes ~2 s, past the 1.5 s guard. The guard waits while
    the lone program still uses CPU below its limit, and the verdict is the CPU limit's."""
    mask = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(mask)})  # this thread's children, the sandbox's included, inherit it
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        result = run(sandbox, binaries["spin"], cpu_s=1, wall_s=1.5)
    finally:
        os.sched_setaffinity(0, mask)
        competitor.kill()
        competitor.wait()
    assert result.cpu_limit_exceeded and result.signal == signal.SIGXCPU
    assert not result.timed_out and result.wall_s > 1.5


def test_several_processes_using_cpu_past_the_wall_guard_are_killed(sandbox, binaries):
    """No one CPU limit ends a tree of processes: past the guard it is killed (INFRA), after one
    look at who is running."""
    result = run(sandbox, binaries["fork_bomb"], f"bomb-{uuid.uuid4().hex[:8]}", wall_s=1.0, processes=4, cpu_s=30)
    assert result.timed_out and not result.cpu_limit_exceeded and result.wall_s < 4


def test_stdin_eof_loop_hits_the_cpu_limit(sandbox, binaries):
    result = run(sandbox, binaries["eof_loop"], stdin=b"some input", cpu_s=1)
    assert result.cpu_limit_exceeded and not result.timed_out


@pytest.mark.parametrize("data", [b"", b"3 4\n", b"y" * (1 << 20)])
def test_stdin_is_a_regular_file(sandbox, binaries, data):
    """PIE gives gem5 the input file itself on stdin, not a pipe: fstat sees a regular file of
    the input's size."""
    result = run(sandbox, binaries["stdin_kind"], stdin=data)
    assert result.returncode == 0 and result.stdout == f"regular {len(data)}\n".encode()


def test_stdin_can_be_sought_and_reread_but_not_written(sandbox, binaries):
    data = b"5\n1 2 3 4 5\n"
    result = run(sandbox, binaries["stdin_reread"], stdin=data)
    assert result.stdout == f"read {len(data)}, lseek 0, reread {len(data)}, same 1, write EBADF\n".encode()


def test_stdin_is_a_regular_file_in_degraded_mode(binaries):
    degraded = Sandbox(mode="unshare")
    result = run(degraded, binaries["stdin_kind"], stdin=b"abc")
    assert result.returncode == 0 and result.stdout == b"regular 3\n"


def test_large_stdin_to_a_program_that_never_reads_does_not_deadlock(sandbox, binaries):
    result = run(sandbox, binaries["hello"], stdin=b"x" * (1 << 20), wall_s=10)
    assert result.returncode == 0 and result.stdout == b"hello\n" and not result.timed_out


def test_wall_guard_kills_a_sleeper(sandbox, binaries):
    result = run(sandbox, binaries["sleeper"], wall_s=1)
    assert result.timed_out and not result.cpu_limit_exceeded
    assert 1 <= result.wall_s < 4


def test_runs_are_reproducible_no_aslr_fixed_environment(sandbox, binaries):
    first, second = (run(sandbox, binaries["determinism"]) for _ in range(2))
    assert first.stdout == second.stdout
    address, *environ = first.stdout.decode().splitlines()
    assert int(address, 16) > 0
    assert sorted(environ) == sorted(f"{k}={v}" for k, v in FIXED_ENV.items())


def test_collect_returns_files_written_in_the_work_dir(sandbox, binaries):
    result = run(sandbox, binaries["writer"], collect=["answer.txt", "missing.txt"])
    assert result.returncode == 0 and result.files == {"answer.txt": b"42\n"}
    with pytest.raises(ValueError):
        run(sandbox, binaries["writer"], collect=["../etc/passwd"])


def test_an_exec_only_file_is_bound_as_it_is_runnable_but_unreadable(sandbox, binaries, tmp_path):
    """A file no one may read (mode 0111) stays so inside (bound as it is, or here, under pytest's
    private tmp dir, staged as an exec-only copy): it runs, and reading it fails. This is how
    cachegrind keeps valgrind from reading its own debug information."""
    exec_only = tmp_path / "exec_only"
    exec_only.write_bytes(Path(binaries["hello"]).read_bytes())
    exec_only.chmod(0o111)
    assert run(sandbox, str(exec_only)).stdout == b"hello\n"
    read = sandbox.run(["cat", PROG], stdin=b"", limits=Limits(), ro_binds={str(exec_only): PROG})
    assert read.returncode != 0 and b"Permission denied" in read.stderr


def test_a_run_whose_harness_dies_leaves_no_process(binaries):
    """The guard in front of the containment: when the harness process dies mid-run (SIGKILLed,
    so none of Python's cleanup runs), the sandbox and its program die with it."""
    tag = f"orphan{uuid.uuid4().hex[:8]}"  # the program's command name: the file name it runs as
    harness = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, threading\n"
                "from pie_assets.runtime.sandbox import Limits, Sandbox\n"
                "sandbox, binary, path = Sandbox(), sys.argv[1], '/sandbox/' + sys.argv[2]\n"
                "threading.Thread(target=sandbox.run, args=([path],),\n"
                "                 kwargs={'stdin': b'', 'ro_binds': {binary: path},\n"
                "                         'limits': Limits(wall_s=600)}).start()\n"
                "threading.Event().wait()\n"
            ),
            binaries["sleeper"],
            tag,
        ]
    )
    deadline = time.monotonic() + 30
    while not processes_named(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_named(tag), "the sandboxed program never started"
    harness.kill()
    harness.wait()
    deadline = time.monotonic() + 10
    while processes_named(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_named(tag)


def test_concurrent_runs_from_threads(sandbox, binaries):
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: run(sandbox, binaries["hello"]), range(8)))
    assert all(r.returncode == 0 and r.stdout == b"hello\n" for r in results)


def test_a_program_exiting_while_fed_is_handled_every_time(sandbox, binaries):
    """Regression: when stdin was a pipe, one select() batch could hold the exit event and then the
    stdin pipe that the exit handler had just closed (ValueError in ~1% of runs). 300 quick runs
    reproduced it; stdin is a file now, and this keeps quick exits with input covered."""
    feed = (b"x" * (1 << 20), b"1 2\n")

    def quick_run(i: int) -> SandboxResult:
        return run(sandbox, binaries["hello"], stdin=feed[i % 2], wall_s=10)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(quick_run, range(300)))
    assert all(r.returncode == 0 and r.stdout == b"hello\n" for r in results)


def test_degraded_mode_runs_and_warns(binaries, caplog, monkeypatch):
    monkeypatch.setattr(launchers, "_warned", False)  # the warning is once per process
    with caplog.at_level(logging.WARNING, logger=launchers.__name__):
        degraded = Sandbox(mode="unshare")
    assert degraded.mode == DEGRADED
    assert any("SANDBOX DEGRADED" in record.message for record in caplog.records)
    result = run(degraded, binaries["hello"])
    assert result.returncode == 0 and result.stdout == b"hello\n" and result.mode == DEGRADED


def test_the_init_is_compiled_once_and_cached_by_content(binaries, tmp_path):
    """init.c is compiled on the first Sandbox into the content store; later ones reuse the binary."""
    first = Sandbox(cache_root=str(tmp_path))
    blobs = list((tmp_path / STORE_KIND).rglob("*.bin"))
    assert len(blobs) == 1
    built = blobs[0].stat()
    second = Sandbox(cache_root=str(tmp_path))
    assert list((tmp_path / STORE_KIND).rglob("*.bin")) == blobs
    assert (blobs[0].stat().st_ino, blobs[0].stat().st_mtime_ns) == (built.st_ino, built.st_mtime_ns)
    for sb in (first, second):
        assert run(sb, binaries["hello"]).stdout == b"hello\n"


def budget(**overrides) -> Budget:
    values = {"instructions": 10**10, "wall_s": 10.0, "cpu_s": 2.0, "memory_mb": 1024, "output_bytes": 1 << 20}
    return Budget(**{**values, **overrides})


def test_native_backend_measures_ok_and_crash(sandbox, binaries):
    backend = NativeBackend(sandbox=sandbox)
    ok = backend.run(binaries["hello"], b"", budget())
    assert ok.status == "OK" and ok.stdout == b"hello\n" and ok.sandbox == "bwrap"
    assert ok.cpu_time_s > 0 and backend.cost(ok) == ok.cpu_time_s
    assert ok.counters["repeats"] == 5 and ok.counters["cpu_time_ns_median"] > 0
    crash = backend.run(binaries["crash"], b"", budget())
    assert crash.status == "RE" and "SIGSEGV" in crash.detail
    assert not backend.deterministic and backend.name == "native"


def test_a_program_blocked_forever_is_tle_at_once_and_anything_else_asleep_waits_for_the_guard(sandbox, binaries):
    """A single-threaded program asleep on a futex with no timeout can never wake (`sandbox.hang`):
    TLE, found by the probe long before the guard. Asleep with a timeout, or waiting on a thread
    of its own, or sleeping: the harness cannot tell, so the guard fires and it stays INFRA."""
    backend = NativeBackend(sandbox=sandbox, repeats=1)
    started = time.monotonic()
    deadlock = backend.run(binaries["deadlock"], b"", budget(wall_s=30.0))
    assert deadlock.status == "TLE" and "futex wait with no timeout" in deadlock.detail, deadlock
    assert time.monotonic() - started < 15  # the probe, not the 30 s guard
    for name in ("timed_wait", "joins_a_sleeper", "sleeper"):
        result = backend.run(binaries[name], b"", budget(wall_s=2.0))
        assert result.status == "INFRA" and "wall-clock guard" in result.detail, (name, result)


def test_the_hang_probe_is_asked_for_not_imposed(sandbox, binaries):
    """Compiles and simulators do not ask for it: their runs end by the guard, as before."""
    result = run(sandbox, binaries["deadlock"], wall_s=2)
    assert result.timed_out and not result.blocked


def test_native_backend_passes_program_arguments_inside_the_same_containment(sandbox, binaries, tmp_path):
    """A test generator's scale and seed reach argv; they change nothing of what the program may do."""
    outside = str(tmp_path / f"pie-arg-{uuid.uuid4().hex}")
    run = NativeBackend(sandbox=sandbox, repeats=1).run(
        binaries["write_paths"], b"", budget(), args=["/sandbox/work/ok.txt", outside]
    )
    assert run.status == "OK"
    assert run.stdout.decode().splitlines() == ["/sandbox/work/ok.txt OK", f"{outside} ENOENT"]
    assert not Path(outside).exists()


def test_cachegrind_cpu_budget_is_tle_and_only_the_wall_guard_is_infra(sandbox, binaries):
    """The instruction budget is cachegrind's deterministic limit; a run that exhausts the CPU
    budget first is TLE all the same (cached like any verdict); only the wall guard is INFRA."""
    from pie_assets.runtime.annotate import make_backend
    from pie_assets.runtime.config import SimulatorConfig

    cachegrind = make_backend(SimulatorConfig.load().with_backend("cachegrind"), sandbox)
    spin = cachegrind.run(binaries["spin"], b"", budget(cpu_s=1.0, wall_s=30.0))
    assert spin.status == "TLE" and "CPU budget of 1 s exceeded" in spin.detail
    sleeper = cachegrind.run(binaries["sleeper"], b"", budget(cpu_s=5.0, wall_s=1.0))
    assert sleeper.status == "INFRA" and "harness guard" in sleeper.detail
