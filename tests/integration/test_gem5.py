"""gem5: the stats parser on three real stats.txt files and synthetic edge cases, and the backend
end to end through the real Sandbox with a gem5 test double (tests/support/fake_gem5/gem5.opt: gem5's
command-line shape, a really executed program, stats derived from byte counts, no simulation)."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest
from support.shared_data import SHARED_DATA

from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.gem5_stats import parse_stats

STATS_DIR = SHARED_DATA / "gem5_stats"
FAKE_GEM5 = Path(__file__).resolve().parents[1] / "support" / "fake_gem5" / "gem5.opt"
SANDBOX_MISSING = "pie_assets.runtime.sandbox is not importable (the backend runs through it)"


def real_stats(name: str) -> str:
    path = STATS_DIR / name
    if not path.exists():
        pytest.skip(f"real gem5 stats file {path} is absent (CI provides ../shared beside the project)")
    return path.read_text()


def printed(text: str, name: str) -> str:
    """The value token gem5 printed for `name` (first occurrence), read straight off the text."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return fields[1]
    raise AssertionError(f"{name} not in the file")


def assert_runtime_matches_printed_seconds(stats, seconds_token: str) -> None:
    """ticks/freq must round to the sim_seconds gem5 printed, at the precision it printed."""
    decimals = len(seconds_token.split(".")[1])
    assert abs(stats.runtime_seconds - float(seconds_token)) <= 0.5 * 10**-decimals + 1e-15
    assert stats.runtime_seconds == stats.sim_ticks / stats.sim_freq


# ---- real files ---------------------------------------------------------------------------


def test_new_names_o3_x86_se():
    text = real_stats("new_names_o3_x86_se.stats.txt")
    stats = parse_stats(text)
    assert (stats.sim_seconds, stats.sim_ticks, stats.sim_freq) == (0.004529, 4528978000, 10**12)
    assert stats.num_cycles == 9057957 == int(printed(text, "system.cpu.numCycles"))
    assert stats.sim_insts == 12233308 == int(printed(text, "simInsts"))
    assert stats.host_seconds == 53.95
    assert stats.blocks == 1
    assert stats.runtime_seconds == pytest.approx(0.004528978, rel=0, abs=1e-15)
    assert_runtime_matches_printed_seconds(stats, printed(text, "simSeconds"))
    # nan is a scalar value; distribution buckets (count, pdf%, cdf%) are not scalars.
    assert math.isnan(stats.all_scalars["system.cpu.dcache.avgBlocked::no_targets"])
    assert "system.cpu.numIssuedDist::0" not in stats.all_scalars
    assert stats.all_scalars["system.cpu.numIssuedDist::samples"] == 8968739


def test_old_names():
    text = real_stats("old_names.stats.txt")
    stats = parse_stats(text)
    assert (stats.sim_seconds, stats.sim_ticks, stats.sim_freq) == (0.000823, 822514500, 10**12)
    assert stats.num_cycles == 1645030 == int(printed(text, "system.cpu.numCycles"))
    assert stats.sim_insts == 1173623
    assert stats.host_seconds == 7.81
    # PIE's "sim_seconds_precise": four more digits than the printed 0.000823.
    assert stats.runtime_seconds == pytest.approx(0.0008225145, rel=0, abs=1e-16)
    assert_runtime_matches_printed_seconds(stats, printed(text, "sim_seconds"))
    assert math.isnan(stats.all_scalars["system.mem_ctrls.writeRowHitRate"])


def test_stdlib_board():
    text = real_stats("stdlib_board.stats.txt")
    stats = parse_stats(text)
    assert (stats.sim_seconds, stats.sim_ticks, stats.sim_freq) == (0.704769, 704769496000, 10**12)
    # This file's cores are at `system.cpu` (no `board.` keys in it); paths are matched generically.
    assert stats.num_cycles == 704769496 == int(printed(text, "system.cpu.numCycles"))
    assert stats.sim_insts == 9456386
    assert stats.host_seconds == 15.11
    assert_runtime_matches_printed_seconds(stats, printed(text, "simSeconds"))
    assert "system.cpu.commitStats0.committedInstType::IntAlu" not in stats.all_scalars


# ---- synthetic files ----------------------------------------------------------------------

BEGIN = "---------- Begin Simulation Statistics ----------"
END = "---------- End Simulation Statistics   ----------"


def test_last_complete_block_nan_inf_and_distributions():
    text = "\n".join(
        [
            "",
            BEGIN,
            "simSeconds        0.000001   # first dump (m5 dumpstats) ",
            "simTicks          1000000    # (Tick)",
            "simFreq           1000000000000",
            "board.processor.cores0.core.numCycles   2000",
            END,
            "",
            BEGIN,
            "simSeconds        0.000003   # final dump at exit",
            "simTicks          3000000",
            "simFreq           1000000000000",
            "simInsts          4200",
            "hostSeconds       1.5",
            "board.processor.cores0.core.numCycles   6000   # busy core",
            "board.processor.cores1.core.numCycles   5500   # mostly idle core",
            "board.cache.avgMissLatency              nan",
            "board.cache.ratio                       inf",
            "board.cache.missLatency::0-99            12      60.00%     60.00%",
            "board.cache.missLatency::total           20",
            "board.mem.bucketsOld                     1 | 2 | 3   # old |-separated buckets",
            "board.mem.label                          n/a",
            END,
            "",
            BEGIN,
            "simSeconds        0.000009   # gem5 killed mid-dump: no End line",
            "simTicks          9000000",
        ]
    )
    stats = parse_stats(text)
    assert stats.blocks == 2
    assert (stats.sim_ticks, stats.sim_seconds, stats.sim_insts, stats.host_seconds) == (3000000, 0.000003, 4200, 1.5)
    assert stats.runtime_seconds == 3e-06
    assert stats.num_cycles == 6000  # max over cores, not the 11500 sum
    assert math.isnan(stats.all_scalars["board.cache.avgMissLatency"])
    assert stats.all_scalars["board.cache.ratio"] == math.inf
    assert stats.all_scalars["board.cache.missLatency::total"] == 20
    for skipped in ("board.cache.missLatency::0-99", "board.mem.bucketsOld", "board.mem.label"):
        assert skipped not in stats.all_scalars


def test_seconds_alone_are_enough_and_nan_ticks_are_missing():
    stats = parse_stats(f"{BEGIN}\nsim_seconds 0.25\nsim_ticks nan\n{END}\n")
    assert stats.sim_ticks is None and stats.runtime_seconds == 0.25


def test_missing_time_fields_are_named():
    with pytest.raises(ValueError, match=r"simFreq/sim_freq, simSeconds/sim_seconds"):
        parse_stats(f"{BEGIN}\nsimTicks 1000\nsimInsts 10\n{END}\n")
    with pytest.raises(ValueError, match="no complete"):
        parse_stats(f"{BEGIN}\nsimSeconds 0.1\n")


# ---- the backend --------------------------------------------------------------------------

BUDGET = Budget(instructions=10**9, wall_s=30.0, cpu_s=10.0, memory_mb=512, output_bytes=1 << 20)
PROGRAMS = {
    "hello": '#include <cstdio>\nint main(){char w[64];int n=0;while(scanf("%63s",w)==1)n++;'
    'printf("hello %d\\n",n);return 0;}\n',
    "exit3": '#include <cstdio>\nint main(){printf("partial");return 3;}\n',  # no newline before run-se.py's message
}


def fake_insts(stdin: bytes, stdout: bytes) -> int:
    """The test double's documented formula (see tests/support/fake_gem5/gem5.opt)."""
    return 100000 + 1000 * len(stdin) + 1000 * len(stdout)


@pytest.fixture
def sandbox_module():
    return pytest.importorskip("pie_assets.runtime.sandbox", reason=SANDBOX_MISSING)


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """A stand-in for PIE's gem5-configs dir: run-se.py plus the system/ package it imports."""
    root = tmp_path / "gem5-configs"
    (root / "system").mkdir(parents=True)
    (root / "run-se.py").write_text("# placeholder for darchr/gem5-skylake-config run-se.py\n")
    (root / "system" / "core.py").write_text("# placeholder for the Skylake core config\n")
    return root


@pytest.fixture(scope="module")
def binaries(tmp_path_factory) -> dict[str, str]:
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    out = tmp_path_factory.mktemp("bin")
    built = {}
    for name, source in PROGRAMS.items():
        (out / f"{name}.cpp").write_text(source)
        subprocess.run(["g++", "-O2", "-o", str(out / name), str(out / f"{name}.cpp")], check=True)
        built[name] = str(out / name)
    return built


def test_version_hashes_binary_and_config(sandbox_module, config_dir, tmp_path):
    from pie_assets.runtime.backends.gem5 import Gem5Backend

    backend = Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=None)
    _, binary_hash, config_hash = backend.version.split(":")
    assert backend.version.startswith("gem5:") and len(binary_hash) == len(config_hash) == 12
    assert (backend.name, backend.deterministic) == ("gem5", True)
    (config_dir / "__pycache__").mkdir()
    (config_dir / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"derived")
    assert Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=None).version == backend.version
    (config_dir / "system" / "core.py").write_text("# an edited Skylake config\n")
    assert Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=None).version.split(":")[2] != config_hash
    with pytest.raises(FileNotFoundError, match="run-se.py"):
        Gem5Backend(str(FAKE_GEM5), str(tmp_path), sandbox=None)


def test_command_line(sandbox_module, config_dir):
    from pie_assets.runtime.backends.gem5 import Gem5Backend

    backend = Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=None, extra_args=["--debug-flags=Exec"])
    assert backend.command() == [
        "/sandbox/gem5/gem5.opt",
        "--quiet",
        "--listener-mode=off",
        "--outdir",
        "/sandbox/work/m5out",
        "--stats-file",
        "/sandbox/work/stats.txt",
        "--path",
        "/sandbox/gem5/config/system",
        "--debug-flags=Exec",
        "/sandbox/gem5/config/run-se.py",
        "Verbatim",
        "/sandbox/prog",
    ]


class StubSandbox:
    """Returns one canned SandboxResult: the statuses the real sandbox cannot be made to produce
    cheaply (wall guard, CPU limit) still get classified the documented way."""

    def __init__(self, module, **fields):
        defaults = dict(
            returncode=0,
            signal=None,
            stdout=b"",
            stderr=b"",
            wall_s=1.0,
            cpu_s=1.0,
            max_rss_kb=1,
            timed_out=False,
            blocked="",
            cpu_limit_exceeded=False,
            output_exceeded=False,
            files={},
            mode="stub",
        )
        self.result = module.SandboxResult(**{**defaults, **fields})
        self.calls: list[dict] = []

    def run(self, argv, **kwargs):
        self.calls.append({"argv": argv, **kwargs})
        return self.result


STUB_STATS = f"{BEGIN}\nsimSeconds 0.000002\nsimTicks 2000000\nsimFreq 1000000000000\nsimInsts 5000\n{END}\n".encode()


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        (dict(timed_out=True, returncode=None, signal=9), "INFRA", "wall-clock guard"),
        (dict(cpu_limit_exceeded=True, returncode=None, signal=24), "TLE", "CPU limit"),
        (dict(output_exceeded=True), "OLE", "output over"),
        (dict(returncode=0), "INFRA", "no stats file"),
        (dict(returncode=0, files={"stats.txt": b"garbage"}), "INFRA", "unusable stats"),
        (dict(returncode=None, signal=6, stderr=b"panic: Tried to read unmapped address"), "INFRA", "signal 6"),
        (dict(returncode=0, files={"stats.txt": STUB_STATS}), "OK", ""),
    ],
)
def test_classification(sandbox_module, config_dir, fields, status, detail):
    from pie_assets.runtime.backends.gem5 import Gem5Backend

    stub = StubSandbox(sandbox_module, **fields)
    measurement = Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=stub).run("/bin/true", b"in", BUDGET)
    assert (measurement.status, measurement.sandbox) == (status, "stub")
    assert detail in measurement.detail
    call = stub.calls[0]
    assert call["collect"] == ("stats.txt",) and call["stdin"] == b"in"
    assert call["limits"].cpu_s == BUDGET.cpu_s and call["limits"].wall_s == BUDGET.wall_s
    assert call["ro_binds"]["/bin/true"] == "/sandbox/prog"
    assert call["ro_binds"][str(FAKE_GEM5)] == "/sandbox/gem5/gem5.opt"
    assert call["ro_binds"][str(config_dir)] == "/sandbox/gem5/config"


def test_instruction_budget_is_tle(sandbox_module, config_dir):
    from pie_assets.runtime.backends.gem5 import Gem5Backend

    stub = StubSandbox(sandbox_module, files={"stats.txt": STUB_STATS})
    budget = Budget(instructions=4999, wall_s=30.0, cpu_s=10.0, memory_mb=512, output_bytes=1 << 20)
    measurement = Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=stub).run("/bin/true", b"", budget)
    assert measurement.status == "TLE" and measurement.instructions == 5000
    assert "5000 simulated instructions > budget 4999" in measurement.detail


# End to end: the real Sandbox runs the test double, which runs the real compiled program. The
# degraded mode has no private mount tree and rewrites sandbox paths in argv, so it runs too.


@pytest.fixture(params=["auto", "unshare"])
def sandbox(request, sandbox_module):
    try:
        return sandbox_module.Sandbox(mode=request.param)
    except sandbox_module.SandboxUnavailable as error:
        pytest.skip(f"sandbox mode {request.param!r} is unavailable here: {error}")


@pytest.fixture
def backend(sandbox, config_dir):
    from pie_assets.runtime.backends.gem5 import Gem5Backend

    return Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=sandbox)


def test_hello_world_ok(backend, binaries):
    stdin = b"three small words\n"
    measurement = backend.run(binaries["hello"], stdin, BUDGET)
    assert measurement.status == "OK", measurement.detail
    assert measurement.stdout == b"hello 3\n"  # no gem5 banner, no info lines: --quiet, listeners off
    insts = fake_insts(stdin, b"hello 3\n")
    assert measurement.instructions == insts
    assert measurement.counters == {"sim_ticks": 500 * insts, "num_cycles": insts, "sim_freq": 10**12}
    assert measurement.sim_seconds == 500 * insts / 1e12
    assert backend.cost(measurement) == measurement.sim_seconds
    assert measurement.sandbox == backend.sandbox.mode


def test_program_exit_3_is_re(backend, binaries):
    measurement = backend.run(binaries["exit3"], b"", BUDGET)
    assert measurement.status == "RE"
    assert measurement.stdout == b"partial"  # run-se.py's failure message is cut off into detail
    assert "gem5 exited with status 1" in measurement.detail and "Exit code 3" in measurement.detail
    assert measurement.instructions == fake_insts(b"", b"partial")


def test_gem5_failing_without_stats_is_infra(sandbox, config_dir, binaries):
    from pie_assets.runtime.backends.gem5 import Gem5Backend

    backend = Gem5Backend(str(FAKE_GEM5), str(config_dir), sandbox=sandbox, extra_args=["--no-such-option"])
    measurement = backend.run(binaries["hello"], b"", BUDGET)
    assert measurement.status == "INFRA"
    assert "status 2" in measurement.detail and "no such option" in measurement.detail


# Budgets at PIE's parity, through the Annotator and its outcome cache: over the simulated
# instruction budget or gem5's CPU budget is TLE (a verdict: cached, re-annotating runs nothing);
# only the harness's wall guard firing is INFRA (never cached: re-run next time).

HELLO_INPUT, HELLO_EXPECTED = b"three small words\n", "hello 3\n"


def gem5_annotator(config_dir: Path, cache: Path, sandbox, **budget):
    """An Annotator measuring with the test double; `budget` overrides [budget] / [gem5] cpu_s."""
    from pie_assets.runtime.annotate import Annotator
    from pie_assets.runtime.config import DEFAULT_CONFIG_PATH

    gem5_cpu_s = budget.pop("gem5_cpu_s", 10)
    config = (
        SimulatorConfig.load(DEFAULT_CONFIG_PATH)
        .with_backend("gem5")
        .with_section("gem5", binary=str(FAKE_GEM5), config_dir=str(config_dir), cpu_s=gem5_cpu_s)
        .with_section("budget", **{"measure_wall_s": 30, **budget})
    )
    return Annotator(config, str(cache), sandbox)


def annotate_hello(annotator):
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    from pie_assets.runtime.test_sets import select_tests

    code = PROGRAMS["hello"]
    submissions = pl.DataFrame(
        [
            {
                "submission_id": "s1",
                "status": "Accepted",
                "code": code,
                "code_encoding": "utf-8",
                "code_sha256": hashlib.sha256(code.encode()).hexdigest(),
            }
        ]
    )
    tests = pl.DataFrame(
        [
            {
                "test_id": "t0",
                "origin": "extra_dir",
                "input": HELLO_INPUT.decode(),
                "expected_output": HELLO_EXPECTED,
                "input_sha256": hashlib.sha256(HELLO_INPUT).hexdigest(),
                "runtime_test_id": "t0",
            }
        ]
    )
    with ThreadPoolExecutor(1) as pool:
        rows, _ = annotator.annotate("p0", submissions, select_tests("pie", tests), pool)
    return rows.row(0, named=True)


@pytest.fixture
def counting_sandbox(sandbox_module):
    from support.sandboxes import CountingSandbox

    return CountingSandbox()


@pytest.mark.parametrize(
    ("marker", "budget", "detail"),
    [
        (
            None,
            {"instructions": 1000},
            f"{fake_insts(HELLO_INPUT, b'hello 3' + bytes([10]))} simulated instructions > budget 1000",
        ),
        ("spin", {"gem5_cpu_s": 1}, "gem5 hit the CPU limit of 1s"),
    ],
)
def test_over_budget_is_tle_and_cached(counting_sandbox, config_dir, tmp_path, marker, budget, detail):
    if marker:
        (config_dir / marker).touch()
    annotator = gem5_annotator(config_dir, tmp_path / "cache", counting_sandbox, **budget)
    row = annotate_hello(annotator)
    assert (row["status"], row["backend"]) == ("TLE", "gem5") and detail in row["detail"]
    launches = counting_sandbox.launches
    again = annotate_hello(gem5_annotator(config_dir, tmp_path / "cache", counting_sandbox, **budget))
    assert counting_sandbox.launches == launches  # compile, native check and measurement all cached
    assert again == row


def test_wall_guard_is_infra_and_rerun(counting_sandbox, config_dir, tmp_path):
    (config_dir / "hang").touch()
    budget = {"gem5_cpu_s": 1, "measure_wall_s": 2}
    row = annotate_hello(gem5_annotator(config_dir, tmp_path / "cache", counting_sandbox, **budget))
    assert row["status"] == "INFRA" and "wall-clock guard" in row["detail"]
    launches = counting_sandbox.launches
    again = annotate_hello(gem5_annotator(config_dir, tmp_path / "cache", counting_sandbox, **budget))
    assert again["status"] == "INFRA"
    # the native check and gem5 again, gem5 as often as INFRA is tried; the binary is cached
    assert counting_sandbox.launches == launches + 1 + SimulatorConfig.load().infra_attempts
