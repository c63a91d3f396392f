"""The evaluation loop on two sample problems (p90006 is the seeded test split, p90001 trains the
retrieval): `pie run` evaluates the baselines and human references; a tiny local model dropped
under the checkpoints root and an OpenAI-compatible endpoint in the models file are registered and
evaluated by the checkpoint sensor's run requests; the nightly schedule requests nothing until an
input changes. Real Dagster instance, real sandboxed measurement, a real HTTP server."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from support.json_http_server import serve_json
from support.model_runs import SMALL_EVALUATION_CONFIG, rows

from pie_assets.code_location import build_defs
from pie_assets.defs.evaluation.partitions import CHECKPOINTS
from pie_assets.runner import run_pipeline
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS, Settings

PROBLEMS = ["p90001", "p90006"]


@dataclass
class Lake:
    settings: Settings
    instance: dg.DagsterInstance
    config_file: Path
    automation_cursor: object = None  # the scoring automation's, as the daemon keeps it

    def defs(self) -> dg.Definitions:
        return build_defs(self.settings)

    def evaluations(self, checkpoint: str) -> list[dict]:
        found = rows(
            Path(self.settings.warehouse),
            f"select to_json(e) from model_evaluations e where checkpoint = '{checkpoint}' order by strategy, k",
        )
        return [json.loads(r[0]) for r in found]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Lake:
    root = tmp_path_factory.mktemp("evaluation")
    config_file = root / "evaluation.toml"
    config_file.write_text(SMALL_EVALUATION_CONFIG)
    old = os.environ.get("PIE_EVALUATION_CONFIG")
    os.environ["PIE_EVALUATION_CONFIG"] = str(config_file)
    home = root / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    settings = Settings(
        codenet_root=str(SAMPLE_CODENET_ROOT),
        warehouse=str(root / "warehouse"),
        extra_tests=str(SAMPLE_EXTRA_TESTS),
        checkpoints_dir=str(root / "checkpoints"),
        models_file=str(root / "models.toml"),
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        outcome = run_pipeline(settings, instance, problems=PROBLEMS)
        assert outcome.failed_steps == [], outcome.failed_steps
        built = Lake(settings, instance, config_file)
        assert _score(built) == []  # pie run scored every checkpoint after generating
        yield built
    if old is None:
        os.environ.pop("PIE_EVALUATION_CONFIG", None)
    else:
        os.environ["PIE_EVALUATION_CONFIG"] = old


def _tick(lake: Lake, cursor: str | None = None) -> dg.SensorResult:
    defs = lake.defs()
    sensor = defs.get_sensor_def("checkpoint_sensor")
    # As context managers: a context that is never exited leaves its instance's storage set as the
    # current one for the rest of the session.
    with dg.build_sensor_context(instance=lake.instance, cursor=cursor, resources=defs.resources) as context:
        return sensor(context)


def _checkpoint(request: dg.RunRequest) -> str:
    return request.tags["pie/checkpoint"]


def _score(lake: Lake) -> list[str]:
    """What the daemon does for `evaluation_automation_sensor`: evaluate model_evaluations'
    automation condition and launch what it requests; returns the checkpoints scored."""
    defs = lake.defs()
    result = dg.evaluate_automation_conditions(
        defs=defs,
        instance=lake.instance,
        cursor=lake.automation_cursor,
        asset_selection=dg.AssetSelection.assets("model_evaluations"),
    )
    lake.automation_cursor = result.cursor
    scored = sorted(result.get_requested_partitions(dg.AssetKey("model_evaluations")))
    for checkpoint in scored:
        assert dg.materialize(
            list(defs.assets),
            instance=lake.instance,
            resources=defs.resources,
            selection=["model_evaluations"],
            partition_key=checkpoint,
        ).success
    return scored


def _execute(lake: Lake, result: dg.SensorResult) -> list[str]:
    """What the daemon does with a sensor result: add the partitions, launch the generation runs
    (checkpoint x every test problem); then the scoring automation's tick."""
    for request in result.dynamic_partitions_requests or []:
        lake.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    defs = lake.defs()
    launched = []
    for request in result.run_requests or []:
        outcome = dg.materialize(
            list(defs.assets),
            instance=lake.instance,
            resources=defs.resources,
            selection=request.asset_selection,
            tags=request.tags,
        )
        assert outcome.success
        launched.append(_checkpoint(request))
    assert _score(lake) == sorted(launched)
    return launched


def test_pie_run_evaluates_the_baselines_and_the_human_references(lake):
    by_name = {name: lake.evaluations(name) for name in ("identity", "nearest-pair", "human-target", "human-fastest")}
    (identity,) = by_name["identity"]
    assert (identity["strategy"], identity["mode"], identity["k"], identity["n_pairs"]) == ("none", "full", 1, 3)
    # The slow program itself: correct everywhere, never faster than itself.
    assert identity["speedup"] == 1.0 and identity["pct_opt"] == 0.0 and identity["pct_correct"] == 100.0
    # ... and so is every resample of its problems: its intervals are exact, not approximately so.
    bounds = [identity[f"{m}_{end}"] for m in ("speedup", "pct_opt", "pct_correct") for end in ("low", "high")]
    assert bounds == [1.0, 1.0, 0.0, 0.0, 100.0, 100.0] and identity["n_problems"] == 1
    warehouse = Path(lake.settings.warehouse)
    # Human references are measured again here, by the same backend and config as the lake's labels:
    # tgt over src, unclipped, is the mean of the test pairs' speedups.
    (pairs_speedup,) = rows(
        warehouse, "select avg(speedup) from eval_pairs e join trajectory_pairs t using (src_id, tgt_id)"
    )[0]
    (target,) = by_name["human-target"]
    assert target["speedup"] == pytest.approx(pairs_speedup, rel=1e-12)
    assert target["clipped"] is False and target["pct_correct"] == 100.0
    (fastest_speedup,) = rows(
        warehouse,
        "select avg(e.dataset_src_cost / f.agg_cost) from eval_pairs e join fastest_human f using (problem_id)",
    )[0]
    assert by_name["human-fastest"][0]["speedup"] == pytest.approx(fastest_speedup, rel=1e-12)
    # nearest-pair copies another problem's fast program: it fails this problem's tests.
    assert by_name["nearest-pair"][0]["pct_correct"] == 0.0 and by_name["nearest-pair"][0]["speedup"] == 1.0
    # src and generation share the backend: generation_runtimes says which.
    assert rows(warehouse, "select distinct backend from generation_runtimes") == [("cachegrind",)]
    # ... and the test set: the human labels' (auto: the sample's problems have PIE's tests).
    sets = "select distinct test_set from {} where problem_id in (select problem_id from eval_pairs)"
    assert rows(warehouse, sets.format("generation_runtimes")) == rows(warehouse, sets.format("submission_runtimes"))
    assert rows(warehouse, sets.format("generation_runtimes")) == [("pie",)]
    # The leaderboard puts them beside the paper's reported figures, labelled as such.
    board = rows(warehouse, "select source, checkpoint from leaderboard order by all")
    assert sum(1 for source, _ in board if source == "measured") == 4
    # ... with the intervals of Best@n: one test problem here, so every resample is the sample itself.
    (target_bounds,) = rows(
        warehouse, "select speedup_low, speedup, speedup_high from leaderboard where checkpoint = 'human-target'"
    )
    assert target_bounds == pytest.approx((target["speedup"],) * 3, rel=1e-12)
    assert ("reported (PIE paper)", "codellama-13b (PIE paper)") in board
    # The plots are files, and Markdown images in the description of an observation recorded after the
    # materialisation (the Events tab draws them inline), which links to it.
    partition = dg.AssetRecordsFilter(asset_key=dg.AssetKey("model_evaluations"), asset_partitions=["human-target"])
    record = lake.instance.fetch_materializations(partition, limit=1).records[0]
    metadata = record.asset_materialization.metadata
    assert metadata["plots"].value.endswith(
        " plots, in the Events tab](/assets/model_evaluations?view=events&partition=human-target)"
    )
    assert metadata["dagster/row_count"].value == 1
    observation = lake.instance.fetch_observations(partition, limit=1).records[0]
    assert observation.storage_id > record.storage_id
    assert observation.asset_observation.description.startswith(
        "**%OPT and SPEEDUP against k**\n\n![%OPT and SPEEDUP against k](data:image/png;base64,"
    )
    assert (warehouse.parent / "warehouse" / "reports" / "human-target" / "topk.png").read_bytes()[
        :8
    ] == b"\x89PNG\r\n\x1a\n"


def test_generation_tables_are_partitioned_per_checkpoint_and_problem_on_hive_paths(lake):
    warehouse = Path(lake.settings.warehouse)
    assert lake.instance.get_dynamic_partitions("eval_problems") == ["p90006"]
    for table in ("prompts", "generations", "generation_runtimes"):
        materialized = lake.instance.get_materialized_partitions(dg.AssetKey(table))
        assert {"identity|p90006", "human-target|p90006"} <= materialized, table
    path = warehouse / "generation_runtimes" / "checkpoint=identity" / "problem_id=p90006" / "data.parquet"
    assert path.is_file()
    # The catalog view reads the hive paths; the dimensions are the tables' own columns.
    assert rows(
        warehouse, "select count(*), count(distinct problem_id) from generation_runtimes where checkpoint = 'identity'"
    ) == [(3, 1)]
    record = lake.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("generation_runtimes"), asset_partitions=["identity|p90006"]),
        limit=1,
    ).records[0]
    assert record.asset_materialization.metadata["dagster/row_count"].value == 3
    # Lineage: the test pairs' version, and the same checkpoint x problem of generations.
    tags = record.asset_materialization.tags
    assert tags["dagster/input_event_pointer/eval_pairs"] != "NULL"
    assert "dagster/input_data_version/generations" in tags


def test_selfplay_pairs_feed_the_pie_export_marked_synthetic(lake):
    from pie_assets.dataset.exports import latest_export
    from pie_assets.lake.storage import Warehouse

    directory = latest_export(Warehouse(lake.settings.warehouse), "pie_export")
    manifest = json.loads((directory / "manifest.json").read_text())
    (count,) = rows(Path(lake.settings.warehouse), "select count(*) from selfplay_pairs")[0]
    # The model-free default finds nothing on the sample (no problem has 20 tests): an empty file, still marked.
    assert manifest["synthetic"]["file"] == "synthetic_train" and manifest["synthetic"]["rows"] == count == 0
    assert {f["name"]: f["rows"] for f in manifest["files"]}["synthetic_train.jsonl"] == 0


def test_sensor_registers_and_evaluates_a_new_local_model(lake):
    pytest.importorskip("transformers", reason="local models need the ml extra: pip install -e '.[test,ml]'")
    from support.tiny_models import build_tiny_causal_lm

    first = _tick(lake)
    assert first.run_requests == []  # everything pie run evaluated is up to date
    build_tiny_causal_lm(Path(lake.settings.checkpoints_dir) / "tiny-lm")
    result = _tick(lake, first.cursor)
    assert [_checkpoint(r) for r in result.run_requests] == ["tiny-lm"]
    assert list(result.dynamic_partitions_requests[0].partition_keys) == ["tiny-lm"]
    # One run: the new checkpoint on every test problem (registered by pie run: p90006).
    assert result.run_requests[0].partition_key_range == dg.PartitionKeyRange("tiny-lm|p90006", "tiny-lm|p90006")
    assert _execute(lake, result) == ["tiny-lm"]
    assert "tiny-lm" in lake.instance.get_dynamic_partitions(CHECKPOINTS)
    evaluations = lake.evaluations("tiny-lm")
    assert [(e["strategy"], e["k"]) for e in evaluations] == [
        ("instruction", 1),
        ("instruction", 2),
        ("perf_conditioned", 1),
        ("perf_conditioned", 2),
    ]
    assert all(e["kind"] == "transformers" and e["n_pairs"] == 3 and e["speedup"] >= 1.0 for e in evaluations)
    warehouse = Path(lake.settings.warehouse)
    # 2 strategies x 3 pairs x 2 samples, every one measured through the sandbox path.
    assert rows(warehouse, "select count(*) from generations where checkpoint = 'tiny-lm'") == [(12,)]
    assert rows(warehouse, "select count(*) from generation_runtimes where checkpoint = 'tiny-lm'") == [(12,)]
    assert rows(warehouse, "select count(distinct prompt_hash) from prompts where checkpoint = 'tiny-lm'") == [(6,)]
    # The next tick has nothing to do.
    assert _tick(lake, result.cursor).run_requests == []


def test_trained_checkpoints_are_registered_and_evaluated_by_the_sensor(lake):
    """The training loop closed, each method: `pie train` writes a checkpoint, the sensor evaluates it."""
    pytest.importorskip("trl", reason="training needs the ml extra: pip install -e '.[test,ml]'")
    from pie_assets.training.train import train

    followers = dg.AssetSelection.assets("leaderboard", "checkpoint_comparisons")
    before = dg.evaluate_automation_conditions(defs=lake.defs(), instance=lake.instance, asset_selection=followers)
    names = []
    for method in ("sft", "sft-perf", "dpo", "rrtf"):
        result = train(
            method,
            "tiny",
            lake.settings.warehouse,
            checkpoints_dir=lake.settings.checkpoints_dir,
            name=f"trained-{method}",
            progress_bar=False,
        )
        assert result.manifest["method"] == method
        names.append(result.path.name)
    ticked = _tick(lake)
    # ... and the base they were trained from (pie train's `_bases/tiny`), so they can be compared with it.
    assert sorted(_checkpoint(r) for r in ticked.run_requests) == sorted([*names, "base-tiny"])
    _execute(lake, ticked)
    perf = lake.evaluations("trained-sft-perf")
    # Evaluated with the prompt it was trained on (its manifest's evaluation_strategies).
    assert {e["strategy"] for e in perf} == {"perf_conditioned"} and [e["k"] for e in perf] == [1, 2]
    assert {e["kind"] for e in perf} == {"peft"}
    for method, strategy in (("sft", "instruction"), ("dpo", "instruction"), ("rrtf", "instruction")):
        evaluations = lake.evaluations(f"trained-{method}")
        assert [(e["strategy"], e["k"]) for e in evaluations] == [(strategy, 1), (strategy, 2)]
    # dpo and rrtf trained on the optimisation set (the default): prompts shaped like the evaluation's
    warehouse = Path(lake.settings.warehouse)
    for method in ("dpo", "rrtf"):
        manifest = json.loads((Path(lake.settings.checkpoints_dir) / f"trained-{method}" / "manifest.json").read_text())
        assert manifest["preference"] == "optimization" and manifest["evaluation_strategies"] == ["instruction"]
        assert manifest["data"][0]["file"] == f"optimization/{method}.jsonl" and manifest["data"][0]["examples"] > 0
    assert rows(
        warehouse,
        "select count(*) > 0 from optimization_preference_pairs join problem_splits using (problem_id) "
        "where split = 'train'",
    ) == [(True,)]
    # The leaderboard and the paired comparisons follow model_evaluations under automation: no hand
    # step shows the new rows.
    defs = lake.defs()
    requested = dg.evaluate_automation_conditions(
        defs=defs, instance=lake.instance, asset_selection=followers, cursor=before.cursor
    )
    assert requested.get_num_requested(dg.AssetKey("leaderboard")) == 1
    assert requested.get_num_requested(dg.AssetKey("checkpoint_comparisons")) == 1
    assert dg.materialize(
        list(defs.assets),
        instance=lake.instance,
        resources=defs.resources,
        selection=["leaderboard", "checkpoint_comparisons"],
    ).success
    bounds = ", ".join(f"{m}_low, {m}, {m}_high" for m in ("speedup", "pct_opt", "pct_correct"))
    leaderboard = rows(
        warehouse,
        f"select checkpoint, strategy, k, {bounds} from leaderboard "
        "where checkpoint in ('trained-dpo', 'trained-rrtf') order by 1",
    )
    assert [r[:3] for r in leaderboard] == [("trained-dpo", "instruction", 2), ("trained-rrtf", "instruction", 2)]
    for row in leaderboard:  # intervals on every metric, around the value
        for low, value, high in (row[3:6], row[6:9], row[9:12]):
            assert low is not None and high is not None and low <= value <= high, row
    # Each trained checkpoint against its base on the same 3 pairs: every metric at Best@1 and Best@2.
    compared = rows(
        warehouse,
        "select checkpoint_a, strategy, count(*), count(diff_low), count(p_value), min(n_pairs), "
        "bool_and(abs(difference - (value_a - value_b)) < 1e-9) from checkpoint_comparisons "
        "where checkpoint_b = 'base-tiny' and checkpoint_a like 'trained-%' group by all order by 1",
    )
    assert compared == [
        (f"trained-{method}", strategy, 6, 6, 6, 3, True)
        for method, strategy in (
            ("dpo", "instruction"),
            ("rrtf", "instruction"),
            ("sft", "instruction"),
            ("sft-perf", "perf_conditioned"),
        )
    ]


def _oracle(pairs: dict[str, str], seen: list[str]):
    """An OpenAI-compatible chat endpoint that answers with the human's faster program of the
    pair whose slow program is in the prompt, in prose and a code fence, as chat models answer."""

    def answer(path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        prompt = body["messages"][-1]["content"]
        seen.append(prompt)
        tgt = next(code for src, code in pairs.items() if src.strip() in prompt)
        text = f"The input loop is the bottleneck; here is a faster version.\n\n```cpp\n{tgt}\n```\nIt reads faster."
        choices = [
            {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            for i in range(body.get("n", 1))
        ]
        return (
            200,
            {},
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1700000000,
                "model": body["model"],
                "choices": choices,
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )

    return answer


def test_an_openai_compatible_endpoint_in_the_models_file_is_evaluated_the_same_way(lake):
    warehouse = Path(lake.settings.warehouse)
    pairs = dict(rows(warehouse, "select src_code, tgt_code from eval_pairs"))
    seen: list[str] = []
    with serve_json(_oracle(pairs, seen)) as url:
        Path(lake.settings.models_file).write_text(
            f'[[model]]\nname = "oracle"\nbase_url = "{url}"\nmodel = "oracle-1"\nkey_env = "PIE_TEST_NO_KEY"\n'
            'strategies = ["instruction"]\n'
        )
        result = _tick(lake)
        assert "oracle" in [_checkpoint(r) for r in result.run_requests]
        _execute(
            lake,
            dg.SensorResult(
                run_requests=[r for r in result.run_requests if _checkpoint(r) == "oracle"],
                dynamic_partitions_requests=result.dynamic_partitions_requests,
            ),
        )
        assert len(seen) == 3  # one request per pair (n = 2 choices each)
        evaluations = lake.evaluations("oracle")
        target = lake.evaluations("human-target")[0]
        # The oracle returns the human tgt: every pair improves, speedups as the humans' (all > 1, so clipping is moot).
        assert [e["k"] for e in evaluations] == [1, 2]
        assert evaluations[-1]["speedup"] == pytest.approx(target["speedup"], rel=1e-12)
        assert evaluations[-1]["pct_opt"] == 100.0 and evaluations[-1]["pct_correct"] == 100.0
        statuses = rows(warehouse, "select distinct extraction_status from generations where checkpoint = 'oracle'")
        assert statuses == [("fenced",)]
        # A re-evaluation queries nothing: every sample is in the generation cache.
        defs = lake.defs()
        (oracle,) = [r for r in result.run_requests if _checkpoint(r) == "oracle"]
        dg.materialize(
            list(defs.assets),
            instance=lake.instance,
            resources=defs.resources,
            selection=oracle.asset_selection,
            tags=oracle.tags,
        )
        assert len(seen) == 3
        assert rows(warehouse, "select bool_and(cached) from generations where checkpoint = 'oracle'") == [(True,)]


def test_schedule_requests_nothing_until_an_input_changes_then_every_checkpoint(lake):
    defs = lake.defs()
    schedule = defs.get_schedule_def("nightly_evaluation")
    with dg.build_schedule_context(
        instance=lake.instance, resources=defs.resources, repository_def=defs.get_repository_def()
    ) as context:
        data = schedule.evaluate_tick(context)
    assert data.run_requests == [] and "changed" in (data.skip_message or "")
    original = lake.config_file.read_text()
    try:
        lake.config_file.write_text(original.replace("tests_per_problem = 1", "tests_per_problem = 2"))
        defs = lake.defs()
        with dg.build_schedule_context(
            instance=lake.instance, resources=defs.resources, repository_def=defs.get_repository_def()
        ) as context:
            ticked = defs.get_schedule_def("nightly_evaluation").evaluate_tick(context)
        requested = sorted(_checkpoint(r) for r in ticked.run_requests)
        registered = set(lake.instance.get_dynamic_partitions(CHECKPOINTS))
        assert set(requested) == registered >= {"identity", "nearest-pair", "human-target", "human-fastest"}
    finally:
        lake.config_file.write_text(original)


def test_fast_mode_fidelity_of_the_full_evaluations(lake):
    """Fast mode on the full evaluations' own generations, measured for real (cached by content)."""
    defs = lake.defs()
    assert dg.materialize(
        list(defs.assets), instance=lake.instance, resources=defs.resources, selection=["fast_mode_fidelity"]
    ).success
    warehouse = Path(lake.settings.warehouse)
    found = rows(
        warehouse,
        "select checkpoint, full_value, fast_value, fast_low, fast_high, covered, n_pairs_full, n_pairs_fast "
        "from fast_mode_fidelity where metric = 'speedup' and k = 1 and strategy = 'none' order by checkpoint",
    )
    by_name = {r[0]: r[1:] for r in found}
    assert {"identity", "nearest-pair", "human-target", "human-fastest"} <= set(by_name)
    # identity is exact in both modes; fast keeps one pair of the problem's three.
    assert by_name["identity"] == (1.0, 1.0, 1.0, 1.0, True, 3, 1)
    # The fast value is the mean over its one pair, measured on fast mode's tests.
    full_target, fast_target = by_name["human-target"][:2]
    assert full_target > 1.0 and fast_target > 1.0
    ranking = rows(
        warehouse, "select distinct spearman, n_ranked from fast_mode_fidelity where metric = 'speedup' and k = 1"
    )
    assert len(ranking) == 1 and ranking[0][1] >= 4 and -1.0 <= ranking[0][0] <= 1.0


def test_fast_mode_is_named_in_every_row(lake):
    outcome = run_pipeline(
        lake.settings,
        lake.instance,
        selection="key:generation_runtimes or key:model_evaluations",
        checkpoints=["identity"],
        evaluation_request={"fast": True},
    )
    assert outcome.failed_steps == []
    (row,) = lake.evaluations("identity")
    assert (row["mode"], row["n_pairs"]) == ("fast", 1)
    warehouse = Path(lake.settings.warehouse)
    assert rows(warehouse, "select distinct mode, n_tests from generation_runtimes where checkpoint = 'identity'") == [
        ("fast", 1)
    ]


def test_a_malformed_models_file_is_reported_on_the_tick(lake):
    models = Path(lake.settings.models_file)
    before = models.read_text() if models.exists() else None
    models.write_text('[[model]]\nname = "x"\n')
    try:
        result = _tick(lake)
        assert isinstance(result, dg.SkipReason) and re.search("missing base_url, model", result.skip_message)
    finally:
        if before is None:
            models.unlink()
        else:
            models.write_text(before)
