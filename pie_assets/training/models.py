"""Loading the base for training, and the LoRA adapter config (peft) over it."""

from __future__ import annotations

from typing import Any

from pie_assets.training.base import BaseModel
from pie_assets.training.config import Hyperparameters
from pie_assets.training.hardware import Hardware


def load_base(base: BaseModel, hardware: Hardware) -> tuple[Any, Any]:
    """(model, tokenizer) in the hardware's dtype. A tokenizer without a pad token pads with its
    end-of-text token (Llama's do), which the trainers mask out of the loss."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base.path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base.path, dtype=hardware.torch_dtype())
    return model, tokenizer


def lora_config(h: Hyperparameters) -> Any:
    from peft import LoraConfig

    targets = h.lora_target_modules if isinstance(h.lora_target_modules, str) else list(h.lora_target_modules)
    return LoraConfig(
        r=h.lora_r,
        lora_alpha=h.lora_alpha,
        lora_dropout=h.lora_dropout,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
    )
