"""Tiny local causal LMs (`pie train --base tiny`, the tests, the offline demo): nothing can be
downloaded, so a byte-level BPE tokenizer is trained here on a few C++ snippets and a random-init
Llama of a few thousand parameters is saved beside it, as `from_pretrained` expects; optionally a
LoRA adapter over it, saved by peft. Both are deterministic: the corpus is fixed and torch seeded.

The end-of-text token is id 0 and the pad token id 1 (the trainer's special tokens come first).
"""

from __future__ import annotations

from pathlib import Path

EOS = "<|endoftext|>"
PAD = "<pad>"
BOS = "<s>"
CPP_SNIPPETS = (
    "#include <bits/stdc++.h>\nusing namespace std;\nint main() {\n    int n;\n    cin >> n;\n"
    "    cout << n * (n + 1) / 2 << endl;\n    return 0;\n}\n",
    '#include <cstdio>\nint main() {\n    long long a, b;\n    scanf("%lld %lld", &a, &b);\n'
    '    printf("%lld\\n", a + b);\n}\n',
    "#include <vector>\n#include <algorithm>\nint main() {\n    std::vector<int> v(100000);\n"
    "    for (int i = 0; i < (int)v.size(); i++) v[i] = i % 7;\n    std::sort(v.begin(), v.end());\n}\n",
    "This is a slow program we want to optimize 10/10. ### Program:\n",
    "### Optimized Version with score 10/10:\n",
)


def build_tiny_causal_lm(directory: Path, *, seed: int = 0) -> Path:
    """A random-init LlamaForCausalLM (hidden 32, 2 layers) and its tokenizer, saved to `directory`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=[EOS, PAD, BOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(CPP_SNIPPETS, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS, pad_token=PAD, bos_token=BOS)

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_tiny_lora_adapter(base_dir: Path, directory: Path) -> Path:
    """A LoRA adapter over the model at `base_dir`, saved to `directory` with the tokenizer.
    `init_lora_weights=False` gives random B matrices too, so the adapter changes the outputs
    (peft's default starts B at zero: an adapter equal to its base)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(base_dir)
    torch.manual_seed(1)
    adapted = get_peft_model(
        base,
        LoraConfig(
            r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False, task_type="CAUSAL_LM"
        ),
    )
    directory.mkdir(parents=True, exist_ok=True)
    adapted.save_pretrained(str(directory))
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(directory)
    return directory
