"""Where checkpoints, the models file, the retrieval index and the reports are, and the config."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pie_assets.evaluation.checkpoints import CheckpointSpec, directory_spec, discover, resolve
from pie_assets.evaluation.config import EvaluationConfig


class EvaluationResource(dg.ConfigurableResource):
    config_path: str
    checkpoints_dir: str
    models_file: str
    index_dir: str
    reports_dir: str

    def config(self) -> EvaluationConfig:
        return EvaluationConfig.load(self.config_path)

    def checkpoints(self) -> list[CheckpointSpec]:
        config = self.config()
        return discover(self.checkpoints_dir, self.models_file, config.baselines, config.human_references)

    def checkpoint(self, name: str, model_path: str = "") -> CheckpointSpec:
        """The registered checkpoint `name`; with `model_path`, that directory under this name
        (`pie eval --model DIR` on a model outside the checkpoints root)."""
        if model_path:
            spec = directory_spec(Path(model_path), name)
            if spec is None:
                raise ValueError(
                    f"{model_path} is neither a model directory (config.json) nor a peft adapter (adapter_config.json)"
                )
            return spec
        try:
            config = self.config()
            return resolve(name, self.checkpoints_dir, self.models_file, config.baselines, config.human_references)
        except KeyError as err:  # a step failure with the message, not a KeyError's repr
            raise ValueError(err.args[0]) from None
