"""Writing with an imported model: seeded, streamed in whole characters, stops where asked."""

from __future__ import annotations

import pytest
from support import tiny_lm

from studio.engine import Finished, GenerateJob, Log, SampleEvent


def _generate(host, home, model, prompt="Le chat", seed=5, **params):
    events = list(
        GenerateJob(host, home, "lm", model=model, prompt=prompt, seed=seed, params=params).run()
    )
    assert isinstance(events[-1], Finished), events[-1]
    chunks = [e.sample.text for e in events if isinstance(e, SampleEvent) and not e.final]
    whole = [e.sample.text for e in events if isinstance(e, SampleEvent) and e.final]
    return chunks, whole[0], events


def test_seeded_generation_repeats(lm_host, home, llama) -> None:
    _, first, _ = _generate(lm_host, home, llama, max_new_tokens=30)
    _, again, _ = _generate(lm_host, home, llama, max_new_tokens=30)
    _, other, _ = _generate(lm_host, home, llama, seed=6, max_new_tokens=30)
    assert first == again and first != other and len(first) > 10


def test_the_cache_changes_nothing_but_speed(lm_host, home, llama) -> None:
    _, cached, _ = _generate(lm_host, home, llama, max_new_tokens=25, top_k=20)
    _, uncached, _ = _generate(lm_host, home, llama, max_new_tokens=25, top_k=20, use_cache=False)
    assert cached == uncached


def test_streamed_chunks_are_whole_characters_and_join_to_the_text(lm_host, home, llama) -> None:
    chunks, whole, _ = _generate(lm_host, home, llama, max_new_tokens=60, temperature=1.2)
    assert len(chunks) > 5 and "".join(chunks) == whole
    for chunk in chunks:
        chunk.encode("utf-8")  # no lone surrogates: every chunk is valid UTF-8


def test_a_character_split_across_tokens_streams_whole(sources) -> None:
    """Byte-level BPE spells an emoji with several tokens: no piece ever holds half of it."""
    from transformers import AutoTokenizer

    from plugins.lm.tokens import HFTokens
    from plugins.textkit.stream import StreamDecoder

    tokens = HFTokens(AutoTokenizer.from_pretrained(sources["llama"]))
    text = "🙂 ünï 中文 👩‍👩‍👧 ok"
    ids = tokens.encode(text)
    assert len(ids) > len(text.split())  # several tokens per character somewhere
    decoder = StreamDecoder(tokens)
    pieces = [decoder.push(t) for t in ids] + [decoder.flush()]
    assert "".join(pieces) == text and "\ufffd" not in "".join(pieces)
    assert "" in pieces  # some token ended mid-character, and nothing was shown for it


def test_stop_strings_end_the_text_before_them(lm_host, home, llama) -> None:
    _, free, _ = _generate(lm_host, home, llama, max_new_tokens=60, temperature=0.0)
    stop = free[20:23]
    assert len(stop) == 3 and stop not in free[:20]
    _, stopped, _ = _generate(lm_host, home, llama, max_new_tokens=60, temperature=0.0, stop=stop)
    assert stopped == free[: free.index(stop)]


def test_a_long_prompt_is_cut_from_the_left_with_a_notice(lm_host, home, llama) -> None:
    prompt = tiny_lm.TEXT * 20  # far more than the model's 256 positions
    _, _text, events = _generate(lm_host, home, llama, prompt=prompt, max_new_tokens=5)
    notices = [e.message for e in events if isinstance(e, Log)]
    assert any("longer than the model's context of 255" in n for n in notices), notices


@pytest.mark.parametrize("kind", ["gpt2", "gguf"])
def test_other_shapes_generate(lm_host, home, sources, kind) -> None:
    from lm_support import import_model

    name = import_model(lm_host, home, sources[kind]).result["name"]
    _, text, _ = _generate(lm_host, home, name, max_new_tokens=10)
    assert text


def test_instruction_mode_wraps_the_prompt_in_the_chat_template(lm_host, home, llama) -> None:
    from plugins.lm import LMGenerator
    from plugins.lm.generate import prompt_ids
    from studio.engine import resolve_device
    from studio.engine.store import checkpoints as ckpt
    from studio.engine.store.library import resolve_checkpoint

    handle = ckpt.load_model(
        LMGenerator(), resolve_checkpoint(home, llama), resolve_device("cpu"), home.base_models
    )
    tokens = handle.module.tokens
    wrapped = prompt_ids(handle.module, "Write a poem", "instruction", print)
    assert tokens.tokenizer.decode(wrapped) == "<|user|>Write a poem\n<|assistant|>"
    assert tokens.tokenizer.decode(prompt_ids(handle.module, "Write", "completion", print)) == (
        "Write"
    )


def test_one_token_attention_matches_transformers_sdpa() -> None:
    """The repeated-heads path computes what the grouped-query kernel computes."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    from plugins.lm.attention import attention

    class Layer(torch.nn.Module):
        num_key_value_groups = 3
        is_causal = True

    torch.manual_seed(0)
    query, key, value = torch.randn(1, 9, 1, 16), torch.randn(1, 3, 7, 16), torch.randn(1, 3, 7, 16)
    mask = torch.ones(1, 1, 1, 7, dtype=torch.bool)
    mask[..., 0] = False
    ours, _ = attention(Layer(), query, key, value, mask, scaling=0.25)
    theirs, _ = sdpa_attention_forward(Layer(), query, key, value, mask, scaling=0.25)
    assert torch.allclose(ours, theirs, atol=1e-6)
