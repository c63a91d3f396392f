"""Generation with a local Hugging Face causal LM, or a peft adapter over one (the models this
project fine-tunes), on the GPU in bfloat16 when there is one.

Reproducible: torch is seeded from (seed, prompt, first sample index) before each call, so the
same generator settings give the same samples for a prompt, and samples asked for after cached
ones are new ones. The identity hashes the weights (and the adapter's base), so retrained weights
in the same directory never reuse the old samples.

torch, transformers and peft are the optional extra `pie-lakehouse[ml]`, imported on first use.

On a Ray cluster a request is a one-CPU task and the generator travels as its recipe (path and
settings, never weights): each worker process loads the model once, on its first request, and
keeps it for the next ones (`engine.worker_instance`). The path must be readable on every node
(a shared filesystem, or a hub name).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

from pie_assets.evaluation.sampling import Completion, GenerationRequest, SamplingSettings
from pie_assets.runtime.engine import worker_instance

HASHED_FILE_LIMIT = 64 * 1024 * 1024  # larger files (weight shards) count by size and mtime


def weights_digest(directory: str) -> str:
    """sha256 over the sorted (relative path, size, content sha256) of the files of a model
    directory; files of HASHED_FILE_LIMIT bytes or more by (size, mtime) instead, to keep it fast."""
    entries = []
    root = Path(directory)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = path.stat()
        if stat.st_size < HASHED_FILE_LIMIT:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = f"mtime={stat.st_mtime_ns}"
        entries.append([path.relative_to(root).as_posix(), stat.st_size, content])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def _model_version(path: str) -> str:
    """A local directory's weights digest; a hub name stands for itself."""
    return weights_digest(path) if os.path.isdir(path) else path


def _adapter_base(path: str) -> str | None:
    """The base model of a peft adapter directory, None for a plain model (or a hub name). A base
    named relative to the adapter (`../_bases/tiny`: `pie train` names a base in the same
    checkpoints root so) is the one beside this adapter, wherever the directories were moved."""
    config = Path(path) / "adapter_config.json"
    if not config.is_file():
        return None
    base = json.loads(config.read_text())["base_model_name_or_path"]
    return str((Path(path) / base).resolve()) if base.startswith((f".{os.sep}", f"..{os.sep}")) else base


def _import_ml() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ImportError("local models need torch and transformers: pip install 'pie-lakehouse[ml]'") from exc
    return torch, transformers


class TransformersGenerator:
    cacheable = True
    task_cpus = 1.0  # the model computes on the worker

    def __init__(
        self, path: str, *, device: str = "auto", dtype: str = "auto", seed: int = 0, use_chat_template: bool = False
    ) -> None:
        _import_ml()  # fail here, naming the extra, rather than on the first generation
        self.path = path
        self.base_path = _adapter_base(path)
        self.device = device
        self.dtype = dtype
        self.seed = seed
        self.use_chat_template = use_chat_template
        versions = [_model_version(path)] + ([] if self.base_path is None else [_model_version(self.base_path)])
        # seed and the chat template change every sample; device and dtype only their rounding.
        self.identity = f"{type(self).__name__}:{'+'.join(versions)}:seed={seed}{':chat' if use_chat_template else ''}"
        self.name = f"transformers {path}" + ("" if self.base_path is None else f" (adapter over {self.base_path})")
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, str] | None = None

    def __reduce__(self):
        """Pickled (a Ray task's argument) as its recipe; each worker process loads the model once."""
        return (
            worker_transformers_generator,
            (self.identity, self.path, self.device, self.dtype, self.seed, self.use_chat_template),
        )

    def _load(self) -> tuple[Any, Any, str]:
        """(model, tokenizer, device), loaded once: generate_samples calls from many threads."""
        if self._loaded is not None:
            return self._loaded
        torch, transformers = _import_ml()
        device = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device
        if self.dtype != "auto":
            dtype = getattr(torch, self.dtype)
        elif device.startswith("cuda") and torch.cuda.is_bf16_supported():
            dtype = torch.bfloat16
        else:
            dtype = torch.float32
        model = transformers.AutoModelForCausalLM.from_pretrained(self.base_path or self.path, dtype=dtype)
        if self.base_path is not None:
            try:
                from peft import PeftModel
            except ImportError as exc:
                raise ImportError("peft adapters need peft: pip install 'pie-lakehouse[ml]'") from exc
            model = PeftModel.from_pretrained(model, self.path)
        model.to(device).eval()
        tokenizer_path = (
            self.path
            if self.base_path is None or (Path(self.path) / "tokenizer_config.json").is_file()
            else self.base_path
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_path)
        self._loaded = (model, tokenizer, device)
        return self._loaded

    def generate(
        self, request: GenerationRequest, n: int, settings: SamplingSettings, *, first_index: int = 0
    ) -> list[Completion]:
        with self._lock:
            torch, _ = _import_ml()
            model, tokenizer, device = self._load()
            if self.use_chat_template:
                inputs = tokenizer.apply_chat_template(
                    [{"role": "user", "content": request.prompt}],
                    add_generation_prompt=True,
                    return_dict=True,
                    return_tensors="pt",
                )
            else:
                inputs = tokenizer(request.prompt, return_tensors="pt")
            inputs = {name: tensor.to(device) for name, tensor in inputs.items()}
            eos_ids = _eos_ids(model, tokenizer)
            pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_ids[0]
            sampling = settings.temperature > 0
            options: dict[str, Any] = dict(
                max_new_tokens=settings.max_new_tokens, pad_token_id=pad_id, eos_token_id=eos_ids, do_sample=sampling
            )
            if sampling:
                # top_k=0: only temperature and top_p shape the distribution, as on the OpenAI API.
                options.update(temperature=settings.temperature, top_p=settings.top_p, top_k=0, num_return_sequences=n)
            torch.manual_seed(self.call_seed(request.prompt, first_index))
            with torch.no_grad():
                output = model.generate(**inputs, **options)
            new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
            if not sampling:  # greedy: one sequence is every sample
                new_tokens = new_tokens * n
            return [_completion(tokens, eos_ids, tokenizer) for tokens in new_tokens]

    def call_seed(self, prompt: str, first_index: int) -> int:
        """The torch seed of one generate call: a function of the generator's seed and the call."""
        material = f"{self.seed}|{first_index}|{hashlib.sha256(prompt.encode()).hexdigest()}"
        return int(hashlib.sha256(material.encode()).hexdigest()[:15], 16)


def worker_transformers_generator(
    identity: str, path: str, device: str, dtype: str, seed: int, use_chat_template: bool
) -> TransformersGenerator:
    """This worker process's generator for the recipe: its weights are loaded once, then reused.
    Keyed by the driver's identity (the weights' digest), so retrained weights are loaded afresh,
    and refused when this node's weights at `path` are not the driver's (its samples would be
    cached under the driver's identity)."""

    def build() -> TransformersGenerator:
        generator = TransformersGenerator(
            path, device=device, dtype=dtype, seed=seed, use_chat_template=use_chat_template
        )
        if generator.identity != identity:
            raise ValueError(
                f"{path} on {socket.gethostname()} holds other weights than the driver's "
                f"({generator.identity} != {identity}): share the checkpoint with every Ray node"
            )
        return generator

    return worker_instance("transformers", (identity, path, device, dtype, seed, use_chat_template), build)


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    """The generation config's end tokens (chat models list several), else the tokenizer's."""
    configured = model.generation_config.eos_token_id
    ids = configured if isinstance(configured, list) else [] if configured is None else [configured]
    if not ids and tokenizer.eos_token_id is not None:
        ids = [tokenizer.eos_token_id]
    if not ids:
        raise ValueError("the model has no end-of-sequence token")
    return ids


def _completion(tokens: list[int], eos_ids: list[int], tokenizer: Any) -> Completion:
    """The text before the first end token; "stop" when there is one, else the token limit cut it."""
    end = next((i for i, token in enumerate(tokens) if token in eos_ids), None)
    text = tokenizer.decode(tokens if end is None else tokens[:end], skip_special_tokens=True)
    return Completion(text, "length" if end is None else "stop")
