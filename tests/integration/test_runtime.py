"""Runtime annotation with real g++, valgrind and bubblewrap: determinism, ranking, statuses,
caches, the config sensor, and the runtime assets through Dagster."""

from __future__ import annotations

import hashlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.sandboxes import CountingSandbox

from pie_assets.code_location import build_defs
from pie_assets.defs.runtime.sensors import RUNTIME_KEYS, runtime_config_sensor
from pie_assets.defs.shared.partitions import PROBLEMS
from pie_assets.defs.shared.resources import SimulatorResource
from pie_assets.runs import partition_range_tags
from pie_assets.runtime.annotate import ANNOTATION_SCHEMA, SUBMISSION_RUNTIME_SCHEMA, Annotator, Program, runtime_cases
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig
from pie_assets.runtime.sandbox import Sandbox
from pie_assets.runtime.test_sets import select_tests
from pie_assets.settings import Settings

# Counting pairs i<j with a[i]+a[j] <= K: O(N^2) vs sort + two pointers.
SLOW = b"""#include <cstdio>
int a[5000];
int main(){int n,k;scanf("%d %d",&n,&k);for(int i=0;i<n;i++)scanf("%d",&a[i]);
long long c=0;for(int i=0;i<n;i++)for(int j=i+1;j<n;j++)if(a[i]+a[j]<=k)c++;printf("%lld\\n",c);}
"""
FAST = b"""#include <cstdio>
#include <algorithm>
int a[5000];
int main(){int n,k;scanf("%d %d",&n,&k);for(int i=0;i<n;i++)scanf("%d",&a[i]);std::sort(a,a+n);
long long c=0;int j=n-1;for(int i=0;i<n;i++){while(j>i&&a[i]+a[j]>k)j--;if(j<=i)break;c+=j-i;}printf("%lld\\n",c);}
"""
WRONG = b'#include <cstdio>\nint main(){puts("42");}\n'
CRASH = b"#include <cstdlib>\nint main(){abort();}\n"
LOOP = b"int main(){volatile unsigned x=0;for(;;)x++;}\n"
BROKEN = b"int main( { return 0 }\n"


def _input() -> tuple[bytes, str]:
    n, k = 2000, 1000
    values = [(i * 7919) % 1000 for i in range(n)]
    expected = sum(1 for i in range(n) for j in range(i + 1, n) if values[i] + values[j] <= k)
    return f"{n} {k}\n{' '.join(map(str, values))}\n".encode(), f"{expected}\n"


def _config(tmp_path: Path, **budget: int) -> SimulatorConfig:
    text = DEFAULT_CONFIG_PATH.read_text()
    for key, value in budget.items():
        text = text.replace(f"\n{key} = ", f"\n{key} = {value}  # test\n# was ", 1)
    path = tmp_path / "simulator.toml"
    path.write_text(text)
    return SimulatorConfig.load(path)


def _submissions(programs: dict[str, bytes]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "submission_id": sid,
                "status": "Accepted",
                "code": code.decode(),
                "code_encoding": "utf-8",
                "code_sha256": hashlib.sha256(code).hexdigest(),
            }
            for sid, code in programs.items()
        ]
    )


def _tests() -> pl.DataFrame:
    data, expected = _input()
    return pl.DataFrame(
        [
            {
                "test_id": "t0",
                "origin": "extra_dir",
                "input": data.decode(),
                "expected_output": expected,
                "input_sha256": hashlib.sha256(data).hexdigest(),
            }
        ]
    )


def _annotate(annotator: Annotator, programs: dict[str, bytes]) -> tuple[pl.DataFrame, pl.DataFrame]:
    with ThreadPoolExecutor(2) as pool:
        return annotator.annotate("p0", _submissions(programs), select_tests(annotator.config.test_set, _tests()), pool)


def test_deterministic_identical_programs_and_ranking(tmp_path):
    config = _config(tmp_path)
    first = Annotator(config, str(tmp_path / "cache_a"), Sandbox())
    rows, summary = _annotate(first, {"slow": SLOW, "fast": FAST, "slow_copy": SLOW})
    cost = dict(zip(rows["submission_id"], rows["cost"], strict=True))
    assert set(rows["status"]) == {"OK"}
    # Byte-identical programs (different submissions): exactly the same cost, speedup 1.000.
    assert cost["slow"] == cost["slow_copy"] and cost["slow"] / cost["slow_copy"] == 1.0
    # The known slow/fast variants rank right, by a wide margin.
    assert cost["slow"] > 3 * cost["fast"]
    # A fresh cache (nothing shared) measures the same numbers again.
    again, _ = _annotate(Annotator(config, str(tmp_path / "cache_b"), Sandbox()), {"slow": SLOW, "fast": FAST})
    assert dict(zip(again["submission_id"], again["cost"], strict=True)) == {"slow": cost["slow"], "fast": cost["fast"]}
    assert again["counters"].to_list() == rows.filter(pl.col("submission_id") != "slow_copy")["counters"].to_list()
    assert set(summary["all_pass"]) == {True} and summary["agg_cost"].to_list() == [
        cost[s] for s in summary["submission_id"]
    ]
    row = rows.row(0, named=True)
    assert row["backend"] == "cachegrind" and row["deterministic"] and row["sandboxed"] == "bwrap"
    assert row["config_hash"] == config.hash and {c["name"] for c in row["counters"]} >= {"Ir", "D1mr", "DLmr", "Bcm"}


def test_statuses_and_compile_errors(tmp_path):
    config = _config(tmp_path, native_cpu_s=1)
    annotator = Annotator(config, str(tmp_path / "cache"), Sandbox())
    rows, summary = _annotate(annotator, {"wrong": WRONG, "crash": CRASH, "loop": LOOP, "broken": BROKEN})
    status = dict(zip(rows["submission_id"], rows["status"], strict=True))
    assert status == {"wrong": "WA", "crash": "RE", "loop": "TLE", "broken": "CE"}
    detail = dict(zip(rows["submission_id"], rows["detail"], strict=True))
    assert "error" in detail["broken"]  # an excerpt of g++'s stderr
    assert rows.filter(pl.col("status") != "OK")["cost"].null_count() == 4  # failing programs are not measured
    assert set(summary["all_pass"]) == {False} and summary["agg_cost"].null_count() == 4


def test_instruction_budget_is_a_deterministic_tle(tmp_path):
    config = _config(tmp_path, instructions=1_000_000)
    rows, _ = _annotate(Annotator(config, str(tmp_path / "cache"), Sandbox()), {"slow": SLOW})
    assert rows["status"].to_list() == ["TLE"] and "instructions > budget 1000000" in rows["detail"][0]
    assert rows["instructions"][0] > 1_000_000


def test_warm_rerun_runs_nothing_and_a_config_change_reruns(tmp_path):
    config = _config(tmp_path)
    sandbox = CountingSandbox()
    annotator = Annotator(config, str(tmp_path / "cache"), sandbox)
    cold, _ = _annotate(annotator, {"slow": SLOW, "fast": FAST})
    assert sandbox.launches == 2 * 3  # per program: compile, native check, measurement
    warm, _ = _annotate(annotator, {"slow": SLOW, "fast": FAST})
    assert sandbox.launches == 6 and warm.equals(cold)
    changed = SimulatorConfig(
        values={**config.values, "judge": {"float_tolerance": 1e-6}}, hash="different", path=config.path
    )
    rerun = Annotator(changed, str(tmp_path / "cache"), sandbox)
    _annotate(rerun, {"slow": SLOW, "fast": FAST})
    assert sandbox.launches == 6 + 2 * 2  # binaries reused, tests re-judged and re-measured


def test_a_program_is_measured_by_its_code_not_its_id(tmp_path):
    """A generation byte-identical to an earlier program, under another id and through a fresh
    Annotator on the same cache, runs nothing: the compile and outcome caches key on content.
    The submission path is the same measurement with `submission_id` in front."""
    config = _config(tmp_path)
    sandbox = CountingSandbox()
    cases = runtime_cases(_tests())
    first = Annotator(config, str(tmp_path / "cache"), sandbox).measure_program(
        Program.from_text("gen-1", SLOW.decode()), "p0", cases
    )
    assert sandbox.launches == 3  # compile, native check, measurement
    assert first.summary["all_pass"] and "submission_id" not in first.tests[0]
    assert "submission_id" not in first.summary
    again = Annotator(config, str(tmp_path / "cache"), sandbox).measure_program(
        Program("gen-2", SLOW, hashlib.sha256(SLOW).hexdigest()), "p0", cases
    )
    assert sandbox.launches == 3 and again == first
    submission = {
        "submission_id": "s1",
        "status": "Accepted",
        "code": SLOW.decode(),
        "code_encoding": "utf-8",
        "code_sha256": hashlib.sha256(SLOW).hexdigest(),
    }
    rows, summary = Annotator(config, str(tmp_path / "cache"), sandbox).submission_rows(submission, "p0", cases, "pie")
    assert sandbox.launches == 3
    assert rows == [{"submission_id": "s1", **row, "test_set": "pie"} for row in first.tests]
    assert summary == {"submission_id": "s1", **first.summary, "codenet_status": "Accepted", "test_set": "pie"}
    assert list(rows[0]) == list(ANNOTATION_SCHEMA) and list(summary) == list(SUBMISSION_RUNTIME_SCHEMA)


def test_program_from_text_hashes_the_encoded_bytes():
    program = Program.from_text("gen-1", "// é\n", encoding="latin-1")
    assert program.code == b"// \xe9\n"
    assert program.code_sha256 == hashlib.sha256(b"// \xe9\n").hexdigest()


def test_config_sensor_fires_on_change_only(tmp_path, instance):
    """Every change of the config hash re-simulates, a return to an earlier config included
    (A → B → A → B: three re-simulations), each under run keys the sensor never used before:
    the daemon drops a request whose run key this sensor has launched already."""
    config_file = tmp_path / "simulator.toml"
    shutil.copy(DEFAULT_CONFIG_PATH, config_file)
    resources = {"simulator": SimulatorResource(config_path=str(config_file), cache_dir=str(tmp_path / "c"))}
    instance.add_dynamic_partitions(PROBLEMS, [f"p{i:05d}" for i in range(150)])
    configs = {"A": config_file.read_text()}
    configs["B"] = configs["A"].replace("Bcm = 10", "Bcm = 20")  # one field

    def tick(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
        return runtime_config_sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor))

    first = tick(None)
    assert first.run_requests == []  # the baseline
    assert isinstance(tick(first.cursor), dg.SkipReason)
    cursor, launched = first.cursor, set()
    for name in ("B", "A", "B"):
        config_file.write_text(configs[name])
        fired = tick(cursor)
        ranges = [(r.partition_key_range.start, r.partition_key_range.end) for r in fired.run_requests]
        assert ranges == [("p00000", "p00099"), ("p00100", "p00149")]  # every partition, batched
        assert all(list(r.asset_selection) == RUNTIME_KEYS for r in fired.run_requests)
        assert all(r.tags["pie/stage"] == "runtime" for r in fired.run_requests)  # the deployment's queue limit
        run_keys = {r.run_key for r in fired.run_requests}
        assert len(run_keys) == 2 and not run_keys & launched  # none is dropped as a duplicate
        launched |= run_keys
        assert isinstance(tick(fired.cursor), dg.SkipReason)
        cursor = fired.cursor
    assert len(launched) == 6

    # The cursor of earlier releases, the plain hash, still reads.
    old_cursor = SimulatorConfig.load(config_file).hash
    assert isinstance(tick(old_cursor), dg.SkipReason)
    config_file.write_text(configs["A"])
    assert len(tick(old_cursor).run_requests) == 2


def test_runtime_assets_materialize_with_code_version(quirky, instance, tmp_path):
    """On the samples (`--test-set samples`): the problem's page samples and CodeNet's derived test."""
    root, extra = quirky
    settings = Settings(
        codenet_root=str(root), warehouse=str(tmp_path / "wh"), extra_tests=str(extra), test_set="samples"
    )
    defs = build_defs(settings)
    assets, resources = list(defs.assets), dict(defs.resources)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00002"])
    tags = partition_range_tags("p00001", "p00002")
    dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        tags=tags,
        raise_on_error=False,
        selection=["submissions", "test_cases", "ingest_rejects", "problem_statements"],
    )
    result = dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        tags=tags,
        raise_on_error=False,
        selection=[k.to_user_string() for k in RUNTIME_KEYS],
    )
    assert not result.success  # p00002 has no submissions (its metadata CSV is malformed) ...
    assert "submissions has no partition p00002" in result.get_step_failure_events()[0].step_failure_data.error.message
    assert instance.get_materialized_partitions(RUNTIME_KEYS[0]) == {"p00001"}  # ... p00001 landed anyway
    event = instance.get_latest_materialization_event(RUNTIME_KEYS[0])
    assert event.asset_materialization.tags["dagster/code_version"] == SimulatorConfig.load(test_set="samples").hash
    annotations = pl.read_parquet(tmp_path / "wh" / "runtime_annotations" / "problem_id=p00001" / "data.parquet")
    # C++ of p00001, every status: s000000001 (A+B), s000000004 (the same code, filed under C/),
    # s000000008 (odd bytes, prints nothing), s000000002 (Wrong Answer) and s000000009 (Compile
    # Error); 3 sample rows, of which 2 distinct inputs (the page's first sample is also the derived
    # input.txt): each input is measured once; PIE's extra test is not in the set.
    assert set(annotations["test_set"]) == {"samples"}
    by_sub = annotations.group_by("submission_id").agg(pl.col("status").unique().sort(), pl.col("cost").sum(), pl.len())
    got = {r["submission_id"]: (r["status"], r["len"]) for r in by_sub.iter_rows(named=True)}
    assert got == {
        "s000000001": (["OK"], 2),
        "s000000004": (["OK"], 2),
        "s000000008": (["WA"], 2),
        "s000000002": (["WA"], 2),
        "s000000009": (["CE"], 2),
    }
    costs = dict(zip(by_sub["submission_id"], by_sub["cost"], strict=True))
    assert costs["s000000001"] == costs["s000000004"] > 0
    # s000000008 is Accepted by CodeNet and WA here: listed by the warning, and the partition landed.
    (warning,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "accepted_programs_pass_here"]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["failing_rows"].value == 1
    (listed,) = warning.metadata["rows"].value.records
    assert listed.data["submission_id"] == "s000000008" and listed.data["status"] == "WA"
    assert listed.data["detail"] == "html_sample_2: 0.000 of expected lines matched"


def test_ingested_problems_request_their_runtime_annotation(quirky_settings, instance):
    """Eager automation: a freshly ingested partition asks for its runtimes, an idle one does not."""
    defs = build_defs(quirky_settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00003"])
    baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)  # the sensor's previous tick
    dg.materialize(
        list(defs.assets),
        instance=instance,
        resources=dict(defs.resources),
        partition_key="p00001",
        selection=["submissions", "test_cases", "ingest_rejects", "problem_statements"],
    )
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
    # Every asset that could follow an ingestion: the runtimes, the generated tests and the SQL models (the others are
    # partitioned on sets this test does not populate).
    candidates = [
        key
        for key in defs.resolve_asset_graph().get_all_asset_keys()
        if key.to_user_string() not in ("model_evaluations",)
    ]
    requested = {
        (key.to_user_string(), partition) for key in candidates for partition in result.get_requested_partitions(key)
    }
    # The runtimes do not wait for the generated tests (`auto` sums over PIE's tests where a problem has some).
    assert requested == {
        ("runtime_annotations", "p00001"),
        ("submission_runtimes", "p00001"),
        ("generated_tests", "p00001"),
        ("generated_test_trials", "p00001"),
    }


def test_pie_measure_byte_identical_programs_at_different_paths(tmp_path):
    """`pie measure` on two copies of one program in different places, with separate caches:
    the same cost to the unit, so the 'speedup' between them is exactly 1.000."""
    import json
    import os
    import subprocess
    import sys

    data, expected = _input()
    (tmp_path / "in.txt").write_bytes(data)
    costs = []
    for place in ("alice/solutions", "bob"):
        source = tmp_path / place / "main.cpp"
        source.parent.mkdir(parents=True)
        source.write_bytes(SLOW)
        env = {**os.environ, "PIE_CACHE": str(tmp_path / place / "cache")}
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "pie_assets.cli",
                "measure",
                str(source),
                "--input",
                str(tmp_path / "in.txt"),
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
        row = json.loads(out.stdout)
        assert row["status"] == "OK" and row["backend"] == "cachegrind" and row["counters"]["Ir"] == row["instructions"]
        costs.append(row["cost"])
    assert f"{costs[0] / costs[1]:.3f}" == "1.000" and costs[0] == costs[1]


@pytest.mark.parametrize("program, status", [(BROKEN, "CE"), (CRASH, "RE"), (WRONG, "WA")])
def test_pie_measure_exits_2_whenever_the_status_is_not_ok(tmp_path, program, status):
    """Compile errors included: the row is printed (status CE and g++'s excerpt), exit code 2."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "prog.cpp").write_bytes(program)
    (tmp_path / "in.txt").write_text("1 2\n")
    (tmp_path / "expected.txt").write_text("3\n")
    args = ["--expected", str(tmp_path / "expected.txt")] if status == "WA" else []
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pie_assets.cli",
            "measure",
            str(tmp_path / "prog.cpp"),
            "--input",
            str(tmp_path / "in.txt"),
            *args,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIE_CACHE": str(tmp_path / "cache")},
    )
    assert out.returncode == 2, out.stderr
    row = json.loads(out.stdout)
    assert row["status"] == status and row["cost"] is None
    if status == "CE":
        assert "error" in row["detail"]
