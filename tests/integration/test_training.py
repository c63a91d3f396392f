"""Training on the versioned exports: every method writes a checkpoint the evaluation loads, with a
manifest that says how; SFT and DPO learn on toy sets; a failed run leaves nothing behind.

The exports are written by `publish_export` into a temp warehouse, in the real layout; the base is
the tiny random Llama built under `<checkpoints>/_bases/tiny`. CPU only, a few steps per run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

from pie_assets.dataset.exports import jsonl_file, parquet_file, publish_export
from pie_assets.dataset.pie_format import TRAIN_FIELDS, performance_prompt
from pie_assets.evaluation.checkpoints import discover_directories
from pie_assets.evaluation.extract import extract_program
from pie_assets.evaluation.prompts import fenced, strategy
from pie_assets.evaluation.sampling import GenerationRequest, SamplingSettings
from pie_assets.evaluation.transformers_backend import TransformersGenerator
from pie_assets.lake.storage import Warehouse
from pie_assets.training.config import TrainingConfig
from pie_assets.training.train import train

SLOW = (
    "int main() {\n  int n; cin >> n;\n  long long s = 0;\n  for (int i = 1; i <= n; i++) s += i;\n"
    "  cout << s << endl;\n}\n"
)
FAST = "int main() {\n  long long n; cin >> n;\n  cout << n * (n + 1) / 2 << '\\n';\n}\n"
SLOW_IO = "int main() {\n  int a, b; cin >> a >> b;\n  cout << a + b << endl;\n}\n"
FAST_IO = 'int main() {\n  int a, b; scanf("%d %d", &a, &b);\n  printf("%d\\n", a + b);\n}\n'
STATEMENT = "Print the sum 1 + 2 + ... + N.\n\nInput\nN\n"
BROKEN = "int main() {\n  cout << \n"
TINY_VALUES = {
    "steps": 3,
    "learning_rate": 1e-2,
    "batch_size": 2,
    "gradient_accumulation_steps": 1,
    "gradient_checkpointing": False,
    "max_length": 512,
    "lr_scheduler_type": "constant",
    "warmup_steps": 0,
    "logging_steps": 1,
    "seed": 0,
    "beta": 0.1,
    "lora_r": 4,
    "lora_alpha": 8,
    "lora_dropout": 0.0,
    "lora_target_modules": ["q_proj", "v_proj"],
}


def tiny_config(**overrides) -> TrainingConfig:
    return TrainingConfig.from_values({"defaults": {**TINY_VALUES, **overrides}})


def pair_row(src_id: str, tgt_id: str, src: str, tgt: str, tier: int) -> dict:
    row = dict.fromkeys(TRAIN_FIELDS)
    row.update(
        src_id=src_id,
        tgt_id=tgt_id,
        problem_id="p00001",
        user_id="u1",
        src_code=src,
        tgt_code=tgt,
        src_status="Accepted",
        tgt_status="Accepted",
        src_agg_runtime=2.0,
        tgt_agg_runtime=1.0,
        speedup=2.0,
        target_reward_updated_pct_bin=tier,
        src_reward_updated_pct_bin=tier - 3,
    )
    return row


def publish(warehouse: Warehouse, export: str, records: dict[str, list[dict]]) -> str:
    import polars as pl

    files = []
    for name, rows in records.items():
        files += [jsonl_file(f"{name}.jsonl", rows), parquet_file(f"{name}.parquet", pl.DataFrame(rows))]
    return publish_export(warehouse, export, files, {"runtime": {"unit": "test"}}).version


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, str]:
    """A warehouse with the three exports training reads; their versions, and the root."""
    root = tmp_path_factory.mktemp("warehouse")
    warehouse = Warehouse(str(root))
    pairs = [pair_row("s1", "s2", SLOW, FAST, 9), pair_row("s3", "s4", SLOW_IO, FAST_IO, 7)]
    prompts = [
        {
            "prompt": performance_prompt(r["src_code"], r["target_reward_updated_pct_bin"]),
            "completion": r["tgt_code"],
            "src_id": r["src_id"],
            "tgt_id": r["tgt_id"],
            "problem_id": r["problem_id"],
            "tier": r["target_reward_updated_pct_bin"],
        }
        for r in pairs
    ]
    codedpo = [
        {
            "prompt": STATEMENT,
            "chosen": FAST,
            "rejected": rejected,
            "kind": kind,
            "problem_id": "p00001",
            "chosen_id": "s2",
            "rejected_id": rejected_id,
        }
        for kind, rejected, rejected_id in (("correctness", BROKEN, "s9"), ("efficiency", SLOW, "s1"))
    ]
    # The optimisation set: the evaluation's instruction prompt on the slow program, fenced answers.
    optimize = strategy("instruction").build(SLOW)
    optimization = [
        {
            **row,
            "prompt": optimize,
            "chosen": fenced(FAST),
            "rejected": fenced(row["rejected"]),
            "src_id": "s1",
            "prompt_template": "instruction",
        }
        for row in codedpo
    ]
    ranked = [(FAST, 1, "all_pass"), (SLOW, 2, "all_pass"), (BROKEN, 3, "compile_error")]
    rrtf = [
        {
            "prompt": STATEMENT,
            "response": code,
            "rank": rank,
            "outcome_class": outcome,
            "outcome_score": 4 - rank,
            "agg_cost": 1.0,
            "problem_id": "p00001",
            "submission_id": f"s{rank}",
        }
        for code, rank, outcome in ranked
    ]
    optimization_rrtf = [
        {
            **row,
            "prompt": optimize,
            "response": fenced(row["response"]),
            "src_id": "s1",
            "candidate_id": row["submission_id"],
            "prompt_template": "instruction",
        }
        for row in rrtf
    ]
    preference = {
        "codedpo/dpo": codedpo,
        "codedpo/rrtf": rrtf,
        "optimization/dpo": optimization,
        "optimization/rrtf": optimization_rrtf,
    }
    return {
        "root": str(root),
        "pie_export": publish(warehouse, "pie_export", {"train": pairs, "hq_train": pairs[:1]}),
        "perf_prompts_export": publish(warehouse, "perf_prompts_export", {"train": prompts}),
        "preference_export": publish(warehouse, "preference_export", preference),
    }


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> Path:
    """One checkpoints root for the module: the tiny base is built once under its `_bases`."""
    return tmp_path_factory.mktemp("checkpoints")


def generate(path: Path, prompt: str, settings: SamplingSettings) -> list:
    request = GenerationRequest(key="k", prompt=prompt, src_code="", problem_id="p00001")
    return TransformersGenerator(str(path), device="cpu").generate(request, settings.n, settings)


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if ".partial" in p.name)


METHOD_EXPORTS = {
    "sft": ("pie_export", "train.jsonl", 2, ["instruction"]),
    "sft-perf": ("perf_prompts_export", "train.jsonl", 2, ["perf_conditioned"]),
    "dpo": ("preference_export", "optimization/dpo.jsonl", 2, ["instruction"]),
    "rrtf": ("preference_export", "optimization/rrtf.jsonl", 1, ["instruction"]),
}


@pytest.mark.parametrize("method", list(METHOD_EXPORTS))
def test_each_method_writes_a_checkpoint_the_evaluation_loads(method, exports, checkpoints) -> None:
    export, file, examples, strategies = METHOD_EXPORTS[method]
    # rrtf exercises accumulation and gradient checkpointing (with LoRA: input gradients on)
    changed = {"gradient_accumulation_steps": 2, "gradient_checkpointing": True} if method == "rrtf" else {}
    config = tiny_config(**changed)
    seen = []
    result = train(
        method,
        "tiny",
        exports["root"],
        checkpoints_dir=str(checkpoints),
        config=config,
        progress_bar=False,
        on_progress=seen.append,
    )

    path, manifest = result.path, result.manifest
    base = checkpoints / "_bases" / "tiny"
    assert path.parent == checkpoints and path.name.startswith(f"{method}-tiny-{exports[export][:8]}-")
    assert json.loads((path / "manifest.json").read_text()) == manifest
    assert manifest["name"] == path.name and manifest["method"] == method and manifest["lora"] is True
    # The base beside it in the checkpoints root is named relative to the checkpoint: they move together.
    assert manifest["base"] == {"name": "tiny", "path": "../_bases/tiny", "kind": "tiny"}
    assert manifest["data"] == [
        {
            "export": export,
            "version": exports[export],
            "file": file,
            "rows": 3 if method == "rrtf" else 2,
            "examples": examples,
            "selection": {"sft": "all", "dpo": "both"}.get(method, "train"),
        }
    ]
    assert manifest["hyperparameters"] == {**TINY_VALUES, **changed}
    assert manifest["config"]["hash"] == config.hash and manifest["seed"] == 0 and manifest["steps"] == 3
    assert [entry["step"] for entry in manifest["losses"]] == [1, 2, 3]
    assert manifest["final_loss"] == manifest["losses"][-1]["loss"] and math.isfinite(manifest["final_loss"])
    assert [(p.step, p.steps, p.loss) for p in seen] == [(e["step"], 3, e["loss"]) for e in manifest["losses"]]
    assert set(manifest["library_versions"]) >= {"torch", "transformers", "peft", "trl"}
    assert manifest["hardware"]["device"] == "cpu" and manifest["hardware"]["dtype"] == "float32"
    assert manifest["evaluation_strategies"] == strategies
    assert manifest["preference"] == ("optimization" if method in ("dpo", "rrtf") else None)
    assert manifest["created_at"].endswith("+00:00")

    adapter = json.loads((path / "adapter_config.json").read_text())
    assert (
        adapter["base_model_name_or_path"] == "../_bases/tiny" and (path / "../_bases/tiny").resolve() == base.resolve()
    )
    assert not (path / "trainer").exists() and leftovers(checkpoints) == []
    [spec] = [s for s in discover_directories(str(checkpoints)) if s.name == path.name]
    assert spec.kind == "peft" and spec.strategies == tuple(strategies)
    samples = generate(path, "int main() {", SamplingSettings(n=2, temperature=1.0, max_new_tokens=8))
    assert len(samples) == 2 and all(s.finish_reason in ("stop", "length") for s in samples)


def test_an_adapter_loads_the_base_beside_it_after_its_checkpoints_root_moves(exports, tmp_path) -> None:
    """A warehouse (and the checkpoints root in it) moved or copied: the adapter names its tiny
    base relative to itself, so it loads the moved base, the original being gone."""
    result = train(
        "sft-perf",
        "tiny",
        exports["root"],
        name="portable",
        checkpoints_dir=str(tmp_path / "old"),
        config=tiny_config(steps=1),
        progress_bar=False,
    )
    identity = TransformersGenerator(str(result.path), device="cpu").identity
    (tmp_path / "old").rename(tmp_path / "new")

    moved = TransformersGenerator(str(tmp_path / "new" / "portable"), device="cpu")
    assert moved.base_path == str((tmp_path / "new" / "_bases" / "tiny").resolve())
    assert moved.identity == identity  # the same weights: the generation cache still applies
    request = GenerationRequest(key="k", prompt="int main() {", src_code="", problem_id="p00001")
    assert len(moved.generate(request, 1, SamplingSettings(n=1, temperature=1.0, max_new_tokens=4))) == 1


def test_sft_learns_a_repeated_pair_and_answers_in_the_evaluated_shape(exports, checkpoints) -> None:
    """Full fine-tuning on the one HQ pair: the loss falls, and greedy decoding of the
    instruction prompt gives back the fast program in a ```cpp block that extraction reads."""
    config = tiny_config(steps=40, logging_steps=10)
    result = train(
        "sft",
        "tiny",
        exports["root"],
        lora=False,
        data_subset="hq",
        name="sft-hq-full",
        checkpoints_dir=str(checkpoints),
        config=config,
        progress_bar=False,
    )
    manifest = result.manifest
    assert (result.path / "config.json").is_file() and not (result.path / "adapter_config.json").exists()
    assert manifest["lora"] is False and manifest["data"][0]["file"] == "hq_train.jsonl"
    assert manifest["data"][0]["selection"] == "hq" and manifest["data"][0]["examples"] == 1
    losses = [entry["loss"] for entry in manifest["losses"]]
    assert [entry["step"] for entry in manifest["losses"]] == [1, 10, 20, 30, 40]
    assert losses == sorted(losses, reverse=True) and losses[0] > 5 and losses[-1] < 0.5, losses
    [answer] = generate(
        result.path, strategy("instruction").build(SLOW), SamplingSettings(n=1, temperature=0.0, max_new_tokens=120)
    )
    assert answer.text == fenced(FAST) and answer.finish_reason == "stop"
    assert extract_program(answer.text).code == FAST


def test_dpo_loss_falls_from_log_2_on_pairs_that_differ(exports, checkpoints) -> None:
    """With LoRA the reference is the adapter-disabled base, and the adapter starts at zero, so the
    first loss is exactly -log sigmoid(0) = log 2; preferring chosen over rejected lowers it."""
    result = train(
        "dpo",
        "tiny",
        exports["root"],
        preference_kind="correctness",
        checkpoints_dir=str(checkpoints),
        config=tiny_config(steps=8, learning_rate=2e-2, beta=0.5),
        progress_bar=False,
    )
    losses = [entry["loss"] for entry in result.manifest["losses"]]
    assert result.manifest["data"][0]["selection"] == "correctness" and result.manifest["data"][0]["examples"] == 1
    assert losses[0] == pytest.approx(math.log(2), abs=1e-4)
    assert losses[-1] < losses[0] - 0.05, losses


def test_a_failed_run_leaves_nothing_and_a_name_is_never_overwritten(exports, checkpoints) -> None:
    bad = tiny_config(lora_target_modules=["no_such_proj"])  # peft refuses it inside the run
    with pytest.raises(ValueError, match="no_such_proj"):
        train(
            "sft-perf",
            "tiny",
            exports["root"],
            name="doomed",
            checkpoints_dir=str(checkpoints),
            config=bad,
            progress_bar=False,
        )
    assert not (checkpoints / "doomed").exists() and leftovers(checkpoints) == []

    def interrupt(progress) -> None:
        if progress.step == 2:
            raise KeyboardInterrupt  # mid-training, after the staging directory holds a model

    with pytest.raises(KeyboardInterrupt):
        train(
            "sft-perf",
            "tiny",
            exports["root"],
            name="interrupted",
            checkpoints_dir=str(checkpoints),
            config=tiny_config(),
            on_progress=interrupt,
            progress_bar=False,
        )
    assert not (checkpoints / "interrupted").exists() and leftovers(checkpoints) == []

    first = train(
        "sft-perf",
        "tiny",
        exports["root"],
        name="taken",
        checkpoints_dir=str(checkpoints),
        config=tiny_config(steps=1),
        progress_bar=False,
    )
    before = (first.path / "manifest.json").read_bytes()
    with pytest.raises(FileExistsError, match="never overwritten"):
        train(
            "sft-perf",
            "tiny",
            exports["root"],
            name="taken",
            checkpoints_dir=str(checkpoints),
            config=tiny_config(steps=1),
            progress_bar=False,
        )
    assert (first.path / "manifest.json").read_bytes() == before and leftovers(checkpoints) == []
    with pytest.raises(ValueError, match="not one the checkpoint sensor registers"):
        train(
            "sft-perf",
            "tiny",
            exports["root"],
            name="_hidden",
            checkpoints_dir=str(checkpoints),
            config=tiny_config(steps=1),
            progress_bar=False,
        )


def test_config_merges_sections_and_refuses_bad_values() -> None:
    config = TrainingConfig.from_values({"defaults": TINY_VALUES, "dpo": {"learning_rate": 5e-5}, "tiny": {"steps": 7}})
    assert config.hyperparameters("sft").learning_rate == 1e-2
    assert config.hyperparameters("dpo").learning_rate == 5e-5 and config.hyperparameters("dpo").steps == 3
    assert config.hyperparameters("dpo", tiny=True).steps == 7
    assert TrainingConfig.load().hyperparameters("rrtf").batch_size == 1  # the versioned file loads
    for values, message in [
        ({"defaults": {**TINY_VALUES, "lerning_rate": 1}}, "unknown keys lerning_rate"),
        ({"defaults": {**TINY_VALUES, "steps": 0}}, "steps must be positive"),
        ({"defaults": {**TINY_VALUES, "steps": "3"}}, "steps = '3' is not a int"),
        ({"defaults": TINY_VALUES, "sft_perf": {}}, "unknown sections sft_perf"),
    ]:
        with pytest.raises(ValueError, match=message):
            TrainingConfig.from_values(values).hyperparameters("sft")
    with pytest.raises(ValueError, match="unknown training method"):
        config.hyperparameters("ppo")


def test_data_version_selects_the_export_version(exports, tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no complete version 'feedfacefeedface'"):
        train(
            "sft",
            "tiny",
            exports["root"],
            data_version="feedfacefeedface",
            checkpoints_dir=str(tmp_path),
            config=tiny_config(),
        )
    with pytest.raises(FileNotFoundError, match="no published version"):
        train("sft", "tiny", str(tmp_path / "empty"), checkpoints_dir=str(tmp_path), config=tiny_config())
    assert not (tmp_path / "_bases").exists()  # the data is checked before any model is built


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "training.toml"
    path.write_text("[defaults]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in TINY_VALUES.items()) + "\n")
    return path


def test_pie_train_writes_into_the_settings_checkpoints_root(
    exports, checkpoints, config_file, monkeypatch, capsys
) -> None:
    from pie_assets.cli import main

    monkeypatch.setenv("PIE_CHECKPOINTS", str(checkpoints))
    assert (
        main(
            [
                "train",
                "--method",
                "dpo",
                "--base",
                "tiny",
                "--preference-kind",
                "efficiency",
                "--preference",
                "codedpo",
                "--name",
                "from-cli",
                "--warehouse",
                exports["root"],
                "--config",
                str(config_file),
                "--quiet",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    manifest = json.loads((checkpoints / "from-cli" / "manifest.json").read_text())
    summary = (
        f"checkpoint from-cli: 3 steps, final loss {manifest['final_loss']:.4f}, on cpu (float32); "
        f"data: preference_export {exports['preference_export']} (1 examples)"
    )
    assert out == [summary, str(checkpoints / "from-cli")]
    assert manifest["config"]["path"] == str(config_file) and manifest["data"][0]["selection"] == "efficiency"
    assert manifest["preference"] == "codedpo" and manifest["data"][0]["file"] == "codedpo/dpo.jsonl"


def test_the_dagster_job_trains_into_the_evaluation_checkpoints_root(
    exports, checkpoints, config_file, monkeypatch
) -> None:
    import dagster as dg

    from pie_assets.defs.evaluation.resources import EvaluationResource
    from pie_assets.defs.shared.resources import LakeResource
    from pie_assets.defs.training.jobs import train_checkpoint_job

    monkeypatch.setenv("PIE_TRAINING_CONFIG", str(config_file))
    version = exports["perf_prompts_export"]
    instance = dg.DagsterInstance.ephemeral()
    result = train_checkpoint_job.execute_in_process(
        run_config={
            "ops": {
                "train": {
                    "config": {"method": "sft-perf", "base": "tiny", "data_version": version, "name": "from-dagster"}
                }
            }
        },
        resources={
            "lake": LakeResource(warehouse=exports["root"]),
            "evaluation": EvaluationResource(
                config_path="", checkpoints_dir=str(checkpoints), models_file="", index_dir="", reports_dir=""
            ),
        },
        instance=instance,
    )
    assert result.success and result.output_for_node("train") == str(checkpoints / "from-dagster")
    [materialized] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = materialized.event_specific_data.metadata
    assert metadata["manifest"].data["data"][0]["version"] == version and metadata["steps"].value == 3
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert sum(m.startswith("step ") and ": loss " in m for m in messages) == 3 and any("3/3" in m for m in messages)
    assert "from-dagster" in {s.name for s in discover_directories(str(checkpoints))}
