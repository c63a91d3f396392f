"""What the cost-cutting compile switches may and may not change, with real g++, valgrind and
bubblewrap: `static` (links -static, in the cache key), `precompiled_header` (bits/stdc++.h
precompiled once per cache, built in the sandbox, safe under concurrency, and never changing what
a program does: same instruction counts on the sample's accepted programs), and the benchmark
that measures both (bench/measure_cost.py)."""

from __future__ import annotations

import copy as copy_module
import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from runtime_slowdown import accepted_programs, pie_tests

from pie_assets.runtime.annotate import make_backend
from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.compile import PCH_INCLUDE_DIR, Compiler, compiler_identity
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig
from pie_assets.runtime.sandbox import Limits, Sandbox

BENCH = Path(__file__).resolve().parents[2] / "bench"

FLAGS = ["-std=c++17", "-O3"]
HELLO = b'#include <iostream>\nint main() { std::cout << "hello" << std::endl; }\n'
STDCPP = (
    b"#include <bits/stdc++.h>\nusing namespace std;\n"
    b"int main() { vector<int> v{3, 1, 2}; sort(v.begin(), v.end()); cout << v[0] << endl; }\n"
)
# A macro defined before the include that the header uses (here: libstdc++'s debug mode) makes the
# PCH invalid for this translation unit: g++ must fall back to the header silently, so the program
# still gets its checked containers.
# The header has no include guard: a second include cannot use the PCH and must read the header
# (a real wild CodeNet program, s807664709, does this).
TWICE = (
    b"#include <bits/stdc++.h>\nusing namespace std;\n#include <bits/stdc++.h>\n"
    b"int main() { cout << max(1, 2) << endl; }\n"
)
MACRO_FIRST = (
    b"#define _GLIBCXX_DEBUG\n#include <bits/stdc++.h>\nusing namespace std;\n"
    b"int main() { vector<int> v(3); cout << v.size() << endl; }\n"
)


class RecordingSandbox(Sandbox):
    """The real sandbox, recording every run's argv and binds."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        super().__init__()  # probes through run(): dropped below
        self.calls.clear()

    def run(self, argv, **kwargs):
        self.calls.append((list(argv), dict(kwargs.get("ro_binds", {}))))
        return super().run(argv, **kwargs)


@pytest.fixture(scope="module")
def sandbox() -> RecordingSandbox:
    return RecordingSandbox()


@pytest.fixture(scope="module")
def cachegrind(sandbox):
    return make_backend(SimulatorConfig.load(DEFAULT_CONFIG_PATH).with_backend("cachegrind"), sandbox)


BUDGET = SimulatorConfig.load(DEFAULT_CONFIG_PATH).measure_budget()


def compile_ok(compiler: Compiler, code: bytes) -> str:
    compiled = compiler.compile(code, hashlib.sha256(code).hexdigest())
    assert compiled.ok, compiled.error
    return compiled.binary_path


def instructions(backend, binary: str, stdin: bytes = b"", budget: Budget = BUDGET) -> int:
    measured = backend.run(binary, stdin, budget)
    assert measured.status == "OK", measured.detail
    return measured.instructions


def has_interpreter(binary: str) -> bool:
    """Whether the ELF file asks for a dynamic loader (a PT_INTERP program header)."""
    data = Path(binary).read_bytes()
    phoff, phentsize, phnum = int.from_bytes(data[32:40], "little"), data[54] | data[55] << 8, data[56] | data[57] << 8
    return any(int.from_bytes(data[phoff + i * phentsize :][:4], "little") == 3 for i in range(phnum))


def test_config_switches_reach_the_compiler(tmp_path, sandbox):
    config = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    section = config.section("compile")
    assert (section["static"], section["strip"], section["precompiled_header"]) == (True, True, True)
    default = Compiler.from_config(config, str(tmp_path), sandbox)
    assert default.link_flags == ["-static", "-s"] and default.pch is not None
    plain = Compiler.from_config(
        config.with_section("compile", static=False, strip=False, precompiled_header=False), str(tmp_path), sandbox
    )
    assert plain.link_flags == [] and plain.pch is None
    assert (
        plain.key("x")
        != default.key("x")
        != Compiler.from_config(config.with_section("compile", strip=False), str(tmp_path), sandbox).key("x")
    )


def test_static_is_in_the_key_links_statically_and_starts_cheaper(tmp_path, sandbox, cachegrind):
    dynamic = Compiler(str(tmp_path), sandbox, "g++", FLAGS, 120, 4096)
    static = Compiler(str(tmp_path), sandbox, "g++", FLAGS, 120, 4096, static=True)
    code_sha = hashlib.sha256(HELLO).hexdigest()
    # The plain compiler keeps the key it always had, so existing caches stay valid.
    legacy = hashlib.sha256(f"{code_sha}|{compiler_identity('g++')}|{' '.join(FLAGS)}".encode()).hexdigest()
    assert dynamic.key(code_sha) == legacy != static.key(code_sha)
    dynamic_bin, static_bin = compile_ok(dynamic, HELLO), compile_ok(static, HELLO)
    assert has_interpreter(dynamic_bin) and not has_interpreter(static_bin)
    # Start-up without ld.so and shared objects: far fewer instructions, identical on every repeat.
    dynamic_ir, static_ir = instructions(cachegrind, dynamic_bin), instructions(cachegrind, static_bin)
    assert static_ir < dynamic_ir / 2 and instructions(cachegrind, static_bin) == static_ir


def test_precompiled_header_is_used_in_the_sandbox_and_falls_back_silently(tmp_path, sandbox, cachegrind):
    with_pch = Compiler(str(tmp_path / "a"), sandbox, "g++", FLAGS, 120, 4096, static=True, precompiled_header=True)
    without = Compiler(str(tmp_path / "b"), sandbox, "g++", FLAGS, 120, 4096, static=True)
    assert with_pch.key("x") != without.key("x")
    for code in (STDCPP, MACRO_FIRST, TWICE, HELLO):
        first = len(sandbox.calls)
        binary = compile_ok(with_pch, code)
        argv, binds = sandbox.calls[-1]
        if b"bits/stdc++.h" in code:
            assert (
                argv[argv.index("-I") + 1] == PCH_INCLUDE_DIR and binds[with_pch.pch.include_dir()] == PCH_INCLUDE_DIR
            )
        else:  # a program that does not name the header neither waits for nor binds the PCH
            assert "-I" not in argv and PCH_INCLUDE_DIR not in binds.values()
        assert len(sandbox.calls) - first == (2 if code == STDCPP else 1)  # the PCH is built once, on first use
        plain = compile_ok(without, code)
        assert Path(binary).read_bytes() == Path(plain).read_bytes()
        assert instructions(cachegrind, binary) == instructions(cachegrind, plain)
    # g++ really reads the PCH inside the sandbox: -H marks a used PCH with "!", and a macro
    # defined before the include makes g++ skip it (-Winvalid-pch says why) and read the header.
    argv, binds = next(call for call in reversed(sandbox.calls) if PCH_INCLUDE_DIR in call[0])  # a compile
    pch_bind = {host: dest for host, dest in binds.items() if dest == PCH_INCLUDE_DIR}
    source = tmp_path / "source.cpp"
    for code, used in ((STDCPP, True), (MACRO_FIRST, False)):
        source.write_bytes(code)
        traced = sandbox.run(
            [argv[0], "-H", "-Winvalid-pch", *argv[1:]],
            stdin=b"",
            limits=with_pch.limits,
            ro_binds={**pch_bind, str(source): "/sandbox/src/main.cpp"},
        )
        stderr = traced.stderr.decode()
        assert traced.returncode == 0, stderr
        assert (f"! {PCH_INCLUDE_DIR}/bits/stdc++.h.gch" in stderr) == used
        assert ("not used because `_GLIBCXX_DEBUG' is defined" in stderr) == (not used)


def test_concurrent_compilers_build_the_pch_safely(tmp_path, sandbox):
    """Two Compilers on one cache (as two processes would be) and threads within each: every
    compile succeeds, each Compiler builds at most once, the cache ends with one complete PCH."""
    cache = str(tmp_path / "cache")
    compilers = [Compiler(cache, sandbox, "g++", FLAGS, 120, 4096, precompiled_header=True) for _ in range(2)]
    programs = [STDCPP.replace(b"v[0]", f"v[0] + {i}".encode()) for i in range(6)]
    first = len(sandbox.calls)
    with ThreadPoolExecutor(4) as pool:
        binaries = list(pool.map(lambda i: compile_ok(compilers[i % 2], programs[i]), range(len(programs))))
    builds = [argv for argv, _ in sandbox.calls[first:] if "c++-header" in argv]
    assert 1 <= len(builds) <= 2 and len(sandbox.calls) - first == len(programs) + len(builds)
    pch_files = [name for _, _, names in os.walk(os.path.join(cache, "pch")) for name in names]
    assert sorted(Path(name).suffix for name in pch_files) == [".bin", ".json"]  # no temp files left
    assert len({hashlib.sha256(Path(b).read_bytes()).hexdigest() for b in binaries}) == len(programs)
    reused = Compiler(cache, sandbox, "g++", FLAGS, 120, 4096, precompiled_header=True)
    before = len(sandbox.calls)
    compile_ok(reused, STDCPP + b"// fresh\n")
    assert len(sandbox.calls) - before == 1  # the cached PCH serves a new Compiler: no rebuild


@pytest.mark.parametrize(
    "per_problem",
    [
        1,
        pytest.param(0, marks=pytest.mark.exhaustive, id="all"),
    ],
)
def test_pch_keeps_instruction_counts_of_the_sample(tmp_path, sandbox, cachegrind, per_problem):
    """The sample's accepted programs (the first `per_problem` of each problem, 0 = all 67),
    compiled with and without the PCH (both static): equal instruction counts on their problem's
    largest pie test, and in fact byte-identical binaries."""
    with_pch = Compiler(str(tmp_path / "a"), sandbox, "g++", FLAGS, 120, 4096, static=True, precompiled_header=True)
    without = Compiler(str(tmp_path / "b"), sandbox, "g++", FLAGS, 120, 4096, static=True)
    programs = accepted_programs(per_problem)
    assert any(b"bits/stdc++.h" in p.source.read_bytes() for p in programs)
    for program in programs:
        code = program.source.read_bytes()
        test = pie_tests(program.problem_id, largest_only=True)[0]
        pair = [compile_ok(compiler, code) for compiler in (with_pch, without)]
        counts = [instructions(cachegrind, binary, test.input) for binary in pair]
        assert counts[0] == counts[1], program.submission_id
        assert Path(pair[0]).read_bytes() == Path(pair[1]).read_bytes(), program.submission_id


@pytest.mark.parametrize(
    "per_problem",
    [
        1,
        pytest.param(0, marks=pytest.mark.exhaustive, id="all"),
    ],
)
def test_exec_only_valgrind_tool_keeps_every_counter_of_the_sample(tmp_path, sandbox, cachegrind, per_problem):
    """valgrind started from the exec-only copy of its tool (so it reads no debug information of
    itself) against the readable tool: every counter equal, on the sample's accepted programs (the
    first `per_problem` of each problem, on the smallest pie test; 0 = all 67 on every pie test)
    built both ways the benchmark compares (dynamic; static, stripped, PCH). Inside, the copy is
    unreadable."""
    ((copy, tool),) = cachegrind.tool_binds.items()
    assert os.stat(copy).st_mode & 0o777 == 0o111 and Path(tool).name.startswith("cachegrind-")
    read = sandbox.run(["cat", tool], stdin=b"", limits=Limits(), ro_binds=cachegrind.tool_binds)
    assert read.returncode != 0 and b"Permission denied" in read.stderr
    readable = copy_module.copy(cachegrind)
    readable.tool_binds = {}
    compilers = [
        Compiler(str(tmp_path / "old"), sandbox, "g++", FLAGS, 120, 4096),
        Compiler(
            str(tmp_path / "new"), sandbox, "g++", FLAGS, 120, 4096, static=True, strip=True, precompiled_header=True
        ),
    ]
    for program in accepted_programs(per_problem):
        code = program.source.read_bytes()
        tests = pie_tests(program.problem_id, largest_only=False)
        for binary in (compile_ok(compiler, code) for compiler in compilers):
            for test in tests if per_problem == 0 else tests[:1]:
                runs = [backend.run(binary, test.input, BUDGET) for backend in (cachegrind, readable)]
                assert runs[0].status == runs[1].status == "OK", (program.submission_id, test.name)
                assert runs[0].counters == runs[1].counters, (program.submission_id, test.name)


@pytest.mark.slow
def test_measure_cost_bench_runs():
    """The benchmark end to end on one program per problem and one test each."""
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH / "measure_cost.py"),
            "--per-problem",
            "1",
            "--max-tests",
            "1",
            "--repeats",
            "1",
            "--largest-repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=BENCH.parent,
    )
    assert out.returncode == 0, out.stderr
    for line in ("hello world", "per compile", "per measured test", "stage shares", "Spearman"):
        assert line in out.stdout
