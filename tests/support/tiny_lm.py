"""Tiny random pretrained-model shapes, written with the field's own tools, for the lm and export
tests.

Each is what a user would have on disk: a Hugging Face folder saved by transformers
(``save_pretrained``, safetensors) with a byte-level BPE tokenizer trained on a few sentences, or
a ``.gguf`` file written with the ``gguf`` package. Exporters and loaders meet the exact files a
user's model folder holds. Seconds to build; nothing is downloaded; the weights are random
(seeded).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The lm tests' text: several scripts and an emoji, so byte-level tokens are exercised.
TEXT = (
    "The cat sat on the mat. Le chat est sur le tapis. Die Katze sitzt auf der Matte. "
    "猫がマットの上に座った。 Кошка сидит на коврике. 🙂 emoji and ünïcödé.\n"
)
EOS = "<|endoftext|>"
CHAT = (
    "{% for m in messages %}<|user|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

# The export tests' text, and the ChatML template and special tokens of their Llama.
HARBOUR_TEXT = (
    "The harbour was quiet when the boats came home. She counted the lights on the water, "
    "one by one, and wrote their names in the book. Überall war Nebel; the gulls cried. "
) * 8
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def byte_level_bpe(texts: list[str], specials: list[str], vocab_size: int = 320, **tokens: Any):
    """A GPT-2-style byte-level BPE learnt from ``texts``, as transformers' tokenizer type;
    ``tokens`` names its special tokens (``eos_token=``...) and may give a ``chat_template``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, **tokens)


def tokenizer(vocab_size: int = 320):
    """The lm tests' tokenizer: learnt on ``TEXT``, one special token for both ends."""
    return byte_level_bpe([TEXT] * 20, [EOS], vocab_size, eos_token=EOS, bos_token=EOS)


def chatml_tokenizer(vocab_size: int = 320):
    """The export tests' tokenizer: learnt on ``HARBOUR_TEXT``, with ChatML's tokens."""
    return byte_level_bpe(
        [HARBOUR_TEXT],
        SPECIALS,
        vocab_size,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        chat_template=CHATML,
    )


def llama_config(vocab_size: int, *, hidden: int = 32, layers: int = 2, **extra: Any):
    """A tiny ``LlamaConfig``: 4 attention heads over 2 key/value heads, 256 positions, an MLP
    twice the width; ``extra`` for the rest (token ids, tied embeddings, init range)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        **extra,
    )


def widen(module) -> None:
    """A random init gives near-uniform logits; widen them so that top-1 agreement means
    something (and top-1 choices are not near-ties)."""
    import torch

    with torch.no_grad():
        for param in module.parameters():
            if param.dim() > 1:
                param.mul_(4.0)


def _saved(model, tok, folder: Path) -> Path:
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def llama_folder(folder: Path, *, chat: bool = True, seed: int = 0) -> Path:
    """The lm tests' Llama folder (``TEXT``'s tokenizer, with ``CHAT`` when ``chat``)."""
    import torch
    from transformers import LlamaForCausalLM

    tok = tokenizer()
    if chat:
        tok.chat_template = CHAT
    config = llama_config(
        len(tok),
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
        tie_word_embeddings=False,
        # Wider than transformers' 0.02: a random model that is not near-uniform, so a small
        # adapter moves its predictions the way a pretrained model's move.
        initializer_range=0.2,
    )
    torch.manual_seed(seed)
    return _saved(LlamaForCausalLM(config), tok, folder)


def write_tiny_llama(
    folder: Path, *, seed: int = 0, tie: bool = False, vocab_pad: int = 8, layers: int = 2
) -> Path:
    """The export tests' Llama: a random ``LlamaForCausalLM`` with the ChatML tokenizer, saved to
    ``folder``; returns ``folder``.

    The model has ``vocab_pad`` more embeddings than the tokenizer has tokens, as real models
    often do (rounded vocabularies), so exporters must pad the token list.
    """
    import torch
    from transformers import LlamaForCausalLM

    tok = chatml_tokenizer()
    config = llama_config(
        len(tok) + vocab_pad,
        hidden=64,
        layers=layers,
        tie_word_embeddings=tie,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    widen(model)
    return _saved(model, tok, folder)


def gpt2_folder(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tok = tokenizer()
    config = GPT2Config(
        vocab_size=len(tok),
        n_embd=32,
        n_layer=2,
        n_head=4,
        n_positions=256,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
    )
    torch.manual_seed(seed)
    return _saved(GPT2LMHeadModel(config), tok, folder)


def _permute(weight, heads: int):
    # llama.cpp stores q and k with each head's rotary halves interleaved; transformers' reader
    # undoes exactly this when it loads a GGUF file.
    rows = weight.shape[0]
    return (
        weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def gguf_file(path: Path, seed: int = 0) -> tuple[Path, dict]:
    """A llama-architecture GGUF (F32 tensors, GPT-2 style tokenizer); also the source weights."""
    import gguf
    import numpy as np
    import torch
    from transformers import LlamaForCausalLM

    tok = tokenizer()
    config = llama_config(len(tok), tie_word_embeddings=False)
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    layers = config.num_hidden_layers
    torch.manual_seed(seed)
    state = {k: v.numpy() for k, v in LlamaForCausalLM(config).state_dict().items()}
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-llama-gguf")
    writer.add_block_count(layers)
    writer.add_context_length(256)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_vocab_size(len(tok))
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    vocab = tok.convert_ids_to_tokens(list(range(len(tok))))
    merges = json.loads(tok.backend_tokenizer.to_str())["model"]["merges"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt2")
    writer.add_token_list(vocab)
    writer.add_token_merges(merges)
    types = [gguf.TokenType.CONTROL if t == EOS else gguf.TokenType.NORMAL for t in vocab]
    writer.add_token_types(types)
    writer.add_bos_token_id(tok.eos_token_id)
    writer.add_eos_token_id(tok.eos_token_id)
    names = {
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    }
    per_layer = {
        "input_layernorm": "attn_norm",
        "self_attn.q_proj": "attn_q",
        "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "post_attention_layernorm": "ffn_norm",
        "mlp.gate_proj": "ffn_gate",
        "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down",
    }
    for layer in range(layers):
        for hf, gg in per_layer.items():
            names[f"model.layers.{layer}.{hf}.weight"] = f"blk.{layer}.{gg}.weight"
    for hf_name, gguf_name in names.items():
        tensor = state[hf_name].astype(np.float32)
        if ".q_proj." in hf_name:
            tensor = _permute(tensor, heads)
        elif ".k_proj." in hf_name:
            tensor = _permute(tensor, kv_heads)
        writer.add_tensor(gguf_name, np.ascontiguousarray(tensor))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path, {k: torch.from_numpy(v) for k, v in state.items()}
