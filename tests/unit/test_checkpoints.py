"""Checkpoint discovery: model and adapter directories, the models file, built-ins, versions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pie_assets.evaluation.checkpoints import BASELINES, HUMAN_REFERENCES, discover, read_models_file, resolve


def _model_dir(path: Path, marker: str = "config.json") -> Path:
    path.mkdir(parents=True)
    (path / marker).write_text("{}")
    (path / "model.safetensors").write_bytes(b"weights")
    return path


def test_directories_adapters_and_skipped_names(tmp_path):
    root = tmp_path / "checkpoints"
    _model_dir(root / "full-model")
    _model_dir(root / "lora-adapter", "adapter_config.json")
    _model_dir(root / "half.partial")  # a trainer still writing: never seen
    _model_dir(root / ".hidden")
    _model_dir(root / "_private")
    (root / "notes").mkdir()  # neither marker
    # The bases pie train starts from are checkpoints too, named base-<name>; a base still being built is not.
    _model_dir(root / "_bases" / "tiny")
    _model_dir(root / "_bases" / ".tiny.partial-x1")
    specs = {s.name: s for s in discover(str(root), str(tmp_path / "absent.toml"))}
    assert list(specs)[:4] == [*BASELINES, *HUMAN_REFERENCES]
    assert {n: s.kind for n, s in specs.items() if s.kind in ("transformers", "peft")} == {
        "full-model": "transformers",
        "lora-adapter": "peft",
        "base-tiny": "transformers",
    }
    assert specs["base-tiny"].location == str((root / "_bases" / "tiny").resolve())
    assert specs["full-model"].location == str((root / "full-model").resolve())


def test_a_rewritten_file_is_a_new_version_and_the_manifest_names_the_strategies(tmp_path):
    root = tmp_path / "checkpoints"
    model = _model_dir(root / "m")
    (before,) = [s for s in discover(str(root), "") if s.name == "m"]
    assert before.strategies == ()
    (model / "manifest.json").write_text(json.dumps({"evaluation_strategies": ["perf_conditioned"]}))
    (after,) = [s for s in discover(str(root), "") if s.name == "m"]
    assert after.version != before.version and after.strategies == ("perf_conditioned",)
    os.utime(model / "model.safetensors", ns=(1, 1))
    assert [s for s in discover(str(root), "") if s.name == "m"][0].version != after.version


def test_models_file_entries_and_their_errors(tmp_path):
    file = tmp_path / "models.toml"
    file.write_text(
        '[[model]]\nname = "gpt"\nbase_url = "http://127.0.0.1:8000/v1"\nmodel = "gpt-x"\n'
        'api = "completions"\nstrategies = ["cot"]\ntemperature_note = "kept"\n'
    )
    (spec,) = read_models_file(str(file))
    assert (spec.kind, spec.location, spec.model, spec.api, spec.key_env, spec.strategies) == (
        "openai",
        "http://127.0.0.1:8000/v1",
        "gpt-x",
        "completions",
        "OPENAI_API_KEY",
        ("cot",),
    )
    assert spec.extra == {"temperature_note": "kept"}
    assert resolve("gpt", str(tmp_path / "none"), str(file)) == spec
    file.write_text('[[model]]\nname = "gpt"\nbase_url = "u"\nmodel = "m"\napi = "rpc"\n')
    with pytest.raises(ValueError, match="entry 1: api 'rpc'"):
        read_models_file(str(file))
    file.write_text('[[model]]\nname = "identity"\nbase_url = "u"\nmodel = "m"\n')
    with pytest.raises(ValueError, match="'identity' is used twice"):
        discover(str(tmp_path / "none"), str(file))
    with pytest.raises(KeyError, match="no checkpoint 'nope'"):
        resolve("nope", str(tmp_path / "none"), str(tmp_path / "absent.toml"))


def test_the_evaluation_config_chooses_the_builtins(tmp_path):
    """`[evaluation] baselines` / `human_references` decide which built-ins are checkpoints; a name
    that is not a built-in fails at the config, naming the ones there are."""
    from pie_assets.defs.evaluation.resources import EvaluationResource
    from pie_assets.evaluation.config import EvaluationConfig, config_path

    narrowed = tmp_path / "evaluation.toml"
    text = config_path().read_text()
    narrowed.write_text(
        text.replace('baselines = ["identity", "nearest-pair"]', 'baselines = ["identity"]').replace(
            'human_references = ["human-target", "human-fastest"]', "human_references = []"
        )
    )
    resource = EvaluationResource(
        config_path=str(narrowed),
        checkpoints_dir=str(tmp_path / "none"),
        models_file="",
        index_dir=str(tmp_path),
        reports_dir=str(tmp_path),
    )
    assert [s.name for s in resource.checkpoints()] == ["identity"]
    with pytest.raises(ValueError, match="not an enabled built-in"):
        resource.checkpoint("nearest-pair")

    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace('baselines = ["identity", "nearest-pair"]', 'baselines = ["identity", "copy"]'))
    with pytest.raises(ValueError, match=r"\[evaluation\] baselines: 'copy' is not one of identity, nearest-pair"):
        assert EvaluationConfig.load(wrong).baselines
