"""`train_checkpoint`: one training run (`pie_assets.training.train.train`) as a Dagster job, for
the launchpad and for schedules. It reads the warehouse from the `lake` resource and writes into
the `evaluation` resource's checkpoints root, so the checkpoint sensor, which watches that root,
evaluates the new checkpoint without a hand step. The torch stack is imported when the op runs:
the code location loads without the `ml` extra.
"""

import dagster as dg
from pydantic import Field

from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.shared.resources import LakeResource


class TrainCheckpointConfig(dg.Config):
    method: str = Field("sft-perf", description="sft | sft-perf | dpo | rrtf")
    base: str = Field("tiny", description="a local Hugging Face model directory, a hub name, or tiny")
    lora: bool = Field(True, description="a LoRA adapter (peft); false: full fine-tuning")
    data_version: str = Field("", description="the export version to train on; empty: the export's LATEST")
    name: str = Field("", description="the checkpoint's name; empty: <method>-<base>-<version>-<UTC time>")
    data_subset: str = Field(
        "all", description="sft: all | hq | synthetic (pie_export's train, hq_train or synthetic_train pairs)"
    )
    preference_kind: str = Field("both", description="dpo: both | correctness | efficiency")
    preference: str = Field(
        "optimization",
        description="dpo, rrtf: the preference set, optimization (prompts shaped like the evaluation's) or codedpo "
        "(the problem statement)",
    )


@dg.op(name="train", tags={"kind": "training"})
def train_checkpoint_op(
    context: dg.OpExecutionContext, config: TrainCheckpointConfig, lake: LakeResource, evaluation: EvaluationResource
) -> dg.Output[str]:
    """Trains, logs each logged loss, and returns the checkpoint's path with its manifest as metadata."""
    from pie_assets.training.train import train

    result = train(
        config.method,
        config.base,
        lake.warehouse,
        lora=config.lora,
        data_version=config.data_version or None,
        name=config.name or None,
        checkpoints_dir=evaluation.checkpoints_dir,
        data_subset=config.data_subset,
        preference_kind=config.preference_kind,
        preference=config.preference,
        progress_bar=False,
        on_progress=lambda p: context.log.info(f"step {p.step}/{p.steps}: loss {p.loss:.4f}"),
    )
    manifest = result.manifest
    context.log.info(f"checkpoint {manifest['name']} written to {result.path}")
    return dg.Output(
        str(result.path),
        metadata={
            "checkpoint": manifest["name"],
            "path": dg.MetadataValue.path(str(result.path)),
            "method": manifest["method"],
            "preference": dg.MetadataValue.text(str(manifest["preference"])),
            "base": manifest["base"]["path"],
            "data": dg.MetadataValue.json(manifest["data"]),
            "steps": manifest["steps"],
            "final_loss": dg.MetadataValue.float(float(manifest["final_loss"]))
            if manifest["final_loss"] is not None
            else dg.MetadataValue.null(),
            "manifest": dg.MetadataValue.json(manifest),
        },
    )


@dg.job(name="train_checkpoint", tags={"kind": "training"})
def train_checkpoint_job() -> None:
    """Train one checkpoint (SFT, perf-conditioned, DPO or RRTF) from the exports into the
    checkpoints directory, where the checkpoint sensor finds and evaluates it."""
    train_checkpoint_op()
