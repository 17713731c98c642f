"""The model and its generation: the cache, seeds, stop strings, streaming, long prompts."""

from __future__ import annotations

import pytest
import torch

from plugins.gpt import GPTGenerator
from plugins.gpt.sampling import generate_text
from plugins.textkit.params import SamplingOptions
from plugins.textkit.stream import StopFilter
from studio.api import GenerateRequest, RunContext, TextChunk
from studio.engine.train.loop_params import training_schema

CPU = torch.device("cpu")


def tiny_model(**overrides):
    generator = GPTGenerator()
    params = training_schema(generator).validate({"preset": "tiny", "dropout": 0.0, **overrides})
    torch.manual_seed(0)
    model = generator.create_model(params, None)
    model.module.eval()
    return generator, model


def run(generator, model, prompt="", seed=0, logs=None, **params) -> list[TextChunk]:
    request = GenerateRequest(generator.generate_params.validate(params), prompt, seed)
    context = RunContext(CPU, log=(logs.append if logs is not None else lambda m: None))
    with torch.no_grad():
        return list(generator.generate(model, request, context))


def test_cached_logits_match_a_full_forward_pass() -> None:
    _, model = tiny_model()
    from plugins.gpt.model import KVCache

    module = model.module
    ids = torch.randint(0, 256, (1, 40))
    with torch.no_grad():
        full, _ = module(ids, ids)  # logits at every position
        cache = KVCache(module.config, 1, CPU, torch.float32)
        module(ids[:, :25], cache=cache)  # a prompt read at once
        for t in range(25, 40):  # then one token at a time
            step, _ = module(ids[:, t : t + 1], cache=cache)
            torch.testing.assert_close(step[0, -1], full[0, t], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("bias", [False, True])
def test_one_token_decoder_matches_a_full_forward_pass(bias: bool) -> None:
    from plugins.gpt.decode import TokenDecoder
    from plugins.gpt.model import GPT, GPTConfig, KVCache
    from plugins.gpt.presets import PRESETS

    torch.manual_seed(0)
    module = GPT(GPTConfig(**PRESETS["tiny"], bias=bias)).eval()
    for parameter in module.parameters():  # biases start at zero: make them count
        torch.nn.init.normal_(parameter, std=0.2)
    ids = torch.randint(0, 256, (1, module.config.block_size))
    decode_one = TokenDecoder(module)
    with torch.inference_mode():
        full, _ = module(ids, ids)
        cache = KVCache(module.config, 1, CPU, torch.float32)
        module(ids[:, :10], cache=cache)
        for t in range(10, ids.shape[1]):  # to the last position of the window
            logits = decode_one(int(ids[0, t]), cache)
            torch.testing.assert_close(logits, full[0, t], atol=1e-4, rtol=1e-4)
        assert cache.length == module.config.block_size
        with pytest.raises(ValueError, match="cache is full"):
            decode_one(1, cache)


def test_cache_and_no_cache_write_the_same_text_within_one_window() -> None:
    generator, model = tiny_model()
    # The window is 64 bytes: 40 new ones after a 3-byte prompt never slide it.
    kwargs = {"prompt": "Once", "seed": 5, "max_new_tokens": 40, "temperature": 0.7}
    cached = "".join(c.text for c in run(generator, model, use_cache=True, **kwargs))
    plain = "".join(c.text for c in run(generator, model, use_cache=False, **kwargs))
    assert cached == plain and cached


def test_same_seed_same_text_other_seed_other_text() -> None:
    generator, model = tiny_model()
    kwargs = {
        "prompt": "春眠",
        "max_new_tokens": 80,
        "top_k": 50,
        "top_p": 0.9,
        "repetition_penalty": 1.3,
    }
    first = run(generator, model, seed=11, **kwargs)
    again = run(generator, model, seed=11, **kwargs)
    other = run(generator, model, seed=12, **kwargs)
    assert first == again
    assert "".join(c.text for c in first) != "".join(c.text for c in other)
    assert {c.seed for c in first} == {11}


def test_streamed_chunks_are_valid_utf8_and_join_to_the_full_text() -> None:
    generator, model = tiny_model()
    # An untrained byte model emits arbitrary bytes: the hardest case for streaming.
    chunks = run(generator, model, prompt="Ça", seed=3, max_new_tokens=150, temperature=1.5)
    assert len(chunks) > 10
    for chunk in chunks:
        chunk.text.encode("utf-8")
    whole = "".join(c.text for c in chunks)
    options = SamplingOptions(max_new_tokens=150, temperature=1.5)
    at_once = "".join(
        generate_text(model.module, model.module.tokenizer, "Ça", options, seed=3, device=CPU)
    )
    assert whole == at_once


def test_stop_strings_stop_before_the_stop_text() -> None:
    generator, model = tiny_model()
    full = "".join(c.text for c in run(generator, model, seed=7, max_new_tokens=200))
    stop = full[60:63]
    assert len(stop) == 3
    stopped = "".join(
        c.text for c in run(generator, model, seed=7, max_new_tokens=200, stop=f"never-seen|{stop}")
    )
    assert stopped == full[: full.find(stop)]
    assert len(stopped) < len(full)


def test_stop_filter_holds_back_a_possible_start_of_a_stop() -> None:
    stops = StopFilter(("END",))
    assert stops.feed("the E") == "the "
    assert stops.feed("N") == ""
    assert stops.feed("ding") == "ENding"
    assert stops.feed(" at the EN") == " at the "
    assert stops.feed("D and more") == "" and stops.stopped


def test_a_prompt_longer_than_the_context_is_cut_from_the_left_with_a_notice() -> None:
    generator, model = tiny_model()
    logs: list[str] = []
    long_prompt = "x" * 500 + "the end"
    chunks = run(generator, model, prompt=long_prompt, seed=1, logs=logs, max_new_tokens=5)
    assert any("longer than the model's context of 64" in m for m in logs)
    short_prompt = long_prompt[-64:]
    assert chunks == run(generator, model, prompt=short_prompt, seed=1, max_new_tokens=5)


def test_generation_past_the_window_slides_the_cache() -> None:
    generator, model = tiny_model()
    chunks = run(generator, model, seed=2, max_new_tokens=110, temperature=0.0)
    text = "".join(c.text for c in chunks)
    assert len(text.encode("utf-8", errors="surrogatepass")) >= 100


def test_top_k_one_is_greedy() -> None:
    generator, model = tiny_model()
    greedy = run(generator, model, seed=1, max_new_tokens=30, temperature=0.0)
    top1 = run(generator, model, seed=99, max_new_tokens=30, temperature=1.0, top_k=1)
    assert "".join(c.text for c in greedy) == "".join(c.text for c in top1)
