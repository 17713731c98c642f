"""A tiny random Llama with a real byte-level BPE tokenizer, written as a transformers folder.

Made with transformers' and tokenizers' own classes (config, random init, ``save_pretrained`` in
safetensors; a BPE trained on a few sentences), so exporters and loaders meet the exact files a
user's model folder holds. Seconds to build, no download.
"""

from __future__ import annotations

from pathlib import Path

TEXT = (
    "The harbour was quiet when the boats came home. She counted the lights on the water, "
    "one by one, and wrote their names in the book. Überall war Nebel; the gulls cried. "
) * 8

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def byte_level_tokenizer(vocab_size: int = 320):
    """A GPT-2-style byte-level BPE learned from ``TEXT``, wrapped for ``save_pretrained``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([TEXT], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        chat_template=CHATML,
    )


def write_tiny_llama(
    folder: Path, *, seed: int = 0, tie: bool = False, vocab_pad: int = 8, layers: int = 2
) -> Path:
    """Save a random ``LlamaForCausalLM`` and its tokenizer to ``folder``; returns ``folder``.

    The model has ``vocab_pad`` more embeddings than the tokenizer has tokens, as real models
    often do (rounded vocabularies), so exporters must pad the token list.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = byte_level_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer) + vocab_pad,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=tie,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    # A random init gives near-uniform logits; widen them so that top-1 agreement means something.
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:
                param.mul_(4.0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
