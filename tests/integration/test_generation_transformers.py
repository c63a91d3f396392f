"""TransformersGenerator on a tiny random-init Llama built locally, and a LoRA adapter over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from support.tiny_models import build_tiny_causal_lm, build_tiny_lora_adapter

from pie_assets.evaluation.generate import generate_samples
from pie_assets.evaluation.sampling import GenerationRequest, SamplingSettings
from pie_assets.evaluation.transformers_backend import TransformersGenerator, weights_digest

SETTINGS = SamplingSettings(n=3, temperature=0.7, max_new_tokens=16)
REQUEST = GenerationRequest(
    key="s|t",
    prompt="This is a slow program we want to optimize 10/10. ### Program:\n"
    "int main() {\n}\n\n### Optimized Version with score 10/10:\n",
    src_code="int main() {\n}\n",
    problem_id="p00001",
)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tiny")
    base = build_tiny_causal_lm(root / "base")
    return base, build_tiny_lora_adapter(base, root / "adapter")


@pytest.fixture(scope="module")
def base_samples(models):
    return TransformersGenerator(str(models[0]), device="cpu").generate(REQUEST, 3, SETTINGS)


def test_samples_are_decoded_new_tokens_and_reproducible(models, base_samples) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    generator = TransformersGenerator(str(models[0]), device="cpu")
    tokenizer = AutoTokenizer.from_pretrained(models[0])
    model = AutoModelForCausalLM.from_pretrained(models[0])
    inputs = tokenizer(REQUEST.prompt, return_tensors="pt")
    prompt_length = inputs["input_ids"].shape[1]
    torch.manual_seed(generator.call_seed(REQUEST.prompt, 0))
    output = model.generate(
        **inputs,
        do_sample=True,
        temperature=0.7,
        top_p=1.0,
        top_k=0,
        max_new_tokens=16,
        num_return_sequences=3,
        pad_token_id=tokenizer.pad_token_id,
    )
    # A random model rarely says end-of-text: each sample is its 16 new tokens, the prompt left out.
    assert output.shape == (3, prompt_length + 16) and tokenizer.eos_token_id not in output[:, prompt_length:]
    expected = [tokenizer.decode(sequence[prompt_length:], skip_special_tokens=True) for sequence in output]
    assert [(c.text, c.finish_reason) for c in base_samples] == [(text, "length") for text in expected]
    assert len(set(expected)) == 3  # sampled, not one greedy copy

    assert generator.generate(REQUEST, 3, SETTINGS) == base_samples
    other_seed = TransformersGenerator(str(models[0]), device="cpu", seed=1).generate(REQUEST, 3, SETTINGS)
    assert [c.text for c in other_seed] != [c.text for c in base_samples]


def test_adapter_loads_over_its_base_and_changes_the_samples(models, base_samples) -> None:
    base_dir, adapter_dir = models
    base = TransformersGenerator(str(base_dir), device="cpu")
    adapter = TransformersGenerator(str(adapter_dir), device="cpu")
    assert adapter.base_path == str(base_dir)
    assert adapter.identity == (
        f"TransformersGenerator:{weights_digest(str(adapter_dir))}+{weights_digest(str(base_dir))}:seed=0"
    )
    assert base.identity == f"TransformersGenerator:{weights_digest(str(base_dir))}:seed=0"
    from peft import PeftModel

    samples = adapter.generate(REQUEST, 3, SETTINGS)
    assert isinstance(adapter._loaded[0], PeftModel)
    assert len(samples) == 3 and samples != base_samples


def test_identity_follows_the_weights(tmp_path) -> None:
    directory = build_tiny_causal_lm(tmp_path / "model", seed=0)
    first = TransformersGenerator(str(directory)).identity
    assert TransformersGenerator(str(directory)).identity == first
    assert TransformersGenerator(str(directory), use_chat_template=True).identity == first + ":chat"
    build_tiny_causal_lm(directory, seed=1)  # retrained in place
    assert TransformersGenerator(str(directory)).identity != first
    assert TransformersGenerator("org/hub-model").identity == "TransformersGenerator:org/hub-model:seed=0"


def test_finish_reasons_and_greedy_decoding(models, tmp_path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    short = TransformersGenerator(str(models[0]), device="cpu").generate(REQUEST, 2, SamplingSettings(max_new_tokens=2))
    assert [c.finish_reason for c in short] == ["length", "length"]
    # A model whose logits are all zero: greedy decoding takes the first token, id 0, end-of-text.
    rigged_dir = tmp_path / "says_eos"
    model = AutoModelForCausalLM.from_pretrained(models[0])
    model.lm_head.weight.data.zero_()
    model.save_pretrained(rigged_dir)
    tokenizer = AutoTokenizer.from_pretrained(models[0])
    tokenizer.save_pretrained(rigged_dir)
    assert tokenizer.eos_token_id == 0
    rigged = TransformersGenerator(str(rigged_dir), device="cpu")
    greedy = rigged.generate(REQUEST, 2, SamplingSettings(temperature=0.0, max_new_tokens=16))
    assert [(c.text, c.finish_reason) for c in greedy] == [("", "stop"), ("", "stop")]


def test_chat_template_is_applied(models, tmp_path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    chat_dir = tmp_path / "chat"
    AutoModelForCausalLM.from_pretrained(models[0]).save_pretrained(chat_dir)
    tokenizer = AutoTokenizer.from_pretrained(models[0])
    tokenizer.chat_template = (
        "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{% endfor %}"
        "{% if add_generation_prompt %}[assistant] {% endif %}"
    )
    tokenizer.save_pretrained(chat_dir)
    chat = TransformersGenerator(str(chat_dir), device="cpu", use_chat_template=True)
    plain = TransformersGenerator(str(chat_dir), device="cpu")
    greedy = SamplingSettings(temperature=0.0, max_new_tokens=16)
    templated = GenerationRequest("k", f"[user] {REQUEST.prompt}[assistant] ", "", "p00001")
    chat_samples = chat.generate(REQUEST, 1, greedy)
    assert chat_samples == plain.generate(templated, 1, greedy)
    assert chat_samples != plain.generate(REQUEST, 1, greedy)


def test_generate_samples_caches_and_resumes_with_new_samples(models, base_samples, tmp_path) -> None:
    generator = TransformersGenerator(str(models[0]), device="cpu")
    cache = str(tmp_path / "cache")
    first = generate_samples(generator, [REQUEST], SETTINGS, cache, concurrency=2)
    assert first.errors == {}
    assert [(s.text, s.finish_reason, s.cached) for s in first.samples["s|t"]] == [
        (c.text, c.finish_reason, False) for c in base_samples
    ]

    more = generate_samples(
        TransformersGenerator(str(models[0]), device="cpu"),
        [REQUEST],
        SamplingSettings(n=5, temperature=0.7, max_new_tokens=16),
        cache,
    )
    grown = more.samples["s|t"]
    assert [s.cached for s in grown] == [True, True, True, False, False]
    assert [s.text for s in grown[:3]] == [c.text for c in base_samples]
    assert not {s.text for s in grown[3:]} & {c.text for c in base_samples}  # new samples, not repeats
    entries = [name for _, _, names in os.walk(os.path.join(cache, "generation")) for name in names]
    assert len(entries) == 5  # one per sample
