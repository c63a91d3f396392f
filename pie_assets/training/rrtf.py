"""RRTF as a small trainer on transformers' Trainer: each example is one prompt with all of its
ranked responses; a micro-batch of prompts is scored in one forward pass and the loss is
`rrtf_loss.rrtf_loss` (the ranking hinge plus SFT on the best). The optimizer, schedule,
accumulation, checkpointing and precision are the Trainer's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from datasets import Dataset
from transformers import Trainer, TrainingArguments

from pie_assets.training.config import Hyperparameters
from pie_assets.training.rrtf_loss import response_logprobs, rrtf_loss


@dataclass
class RankedCollator:
    """Tokens of prompt + response (+ end-of-text) for every response of the batch's prompts.
    A prompt keeps at most half of `max_length` (its end, nearest the response), so every
    response keeps tokens to score; the sequence is then cut to `max_length`."""

    tokenizer: Any
    max_length: int

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        sequences, masks, ranks, groups = [], [], [], []
        for group, example in enumerate(examples):
            prompt = self.tokenizer(example["prompt"])["input_ids"][-(self.max_length // 2) :]
            for response, rank in zip(example["responses"], example["ranks"], strict=True):
                answer = self.tokenizer(response, add_special_tokens=False)["input_ids"] + [self.tokenizer.eos_token_id]
                ids = (prompt + answer)[: self.max_length]
                sequences.append(ids)
                masks.append([0] * len(prompt) + [1] * (len(ids) - len(prompt)))
                ranks.append(rank)
                groups.append(group)
        width = max(map(len, sequences))
        pad = self.tokenizer.pad_token_id
        return {
            "input_ids": torch.tensor([s + [pad] * (width - len(s)) for s in sequences]),
            "attention_mask": torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in sequences]),
            "response_mask": torch.tensor([m + [0] * (width - len(m)) for m in masks]),
            "ranks": torch.tensor(ranks),
            "groups": torch.tensor(groups),
        }


class RRTFTrainer(Trainer):
    loss_is_scaled_for_ga = False  # a mean per micro-batch: the Trainer divides by the accumulation steps

    def compute_loss(
        self, model: Any, inputs: dict[str, torch.Tensor], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        outputs = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        logprobs = response_logprobs(outputs.logits, inputs["input_ids"], inputs["response_mask"])
        loss = rrtf_loss(logprobs, inputs["ranks"], inputs["groups"])
        return (loss, outputs) if return_outputs else loss


def rrtf_trainer(
    model: Any,
    tokenizer: Any,
    examples: list[dict[str, Any]],
    h: Hyperparameters,
    arguments: dict[str, Any],
    peft_config: Any | None,
    callbacks: list[Any],
) -> RRTFTrainer:
    if peft_config is not None:
        from peft import get_peft_model

        model = get_peft_model(model, peft_config)
        if h.gradient_checkpointing:  # the frozen embeddings must pass gradients to the checkpointed blocks
            model.enable_input_require_grads()
    args = TrainingArguments(**arguments, remove_unused_columns=False)
    return RRTFTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        data_collator=RankedCollator(tokenizer, h.max_length),
        callbacks=callbacks,
    )
