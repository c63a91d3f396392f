"""The generation backend of a model checkpoint."""

from __future__ import annotations

import functools

from pie_assets.evaluation.checkpoints import CheckpointSpec
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.sampling import Generator


@functools.lru_cache(maxsize=2)
def _local_model(path: str, version: str) -> Generator:
    """Loaded weights are reused by the next evaluation of the same checkpoint version in this process."""
    from pie_assets.evaluation.transformers_backend import TransformersGenerator

    return TransformersGenerator(path)


def make_generator(spec: CheckpointSpec, config: EvaluationConfig) -> Generator:
    if spec.kind == "openai":
        from pie_assets.evaluation.openai_backend import OpenAIGenerator

        return OpenAIGenerator(
            model=spec.model,
            base_url=spec.location,
            api_key_env=spec.key_env,
            api=spec.api,
            max_retries=config.max_retries,
            timeout_s=config.timeout_s,
        )
    if spec.kind in ("transformers", "peft"):
        return _local_model(spec.location, spec.version)
    raise ValueError(f"checkpoint {spec.name!r} ({spec.kind}) is not a model: it has no generation backend")
