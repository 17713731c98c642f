"""Writing with int8 weights: close to the full-precision model, adapters merged in, nothing of
the loaded model changed or copied."""

from __future__ import annotations

import pytest
import torch
from lm_support import import_model

from plugins.lm.int8 import Int8Linear, int8_copy
from plugins.lm.module import LMModule, attach_adapter, load_base, set_adapters_enabled

ADAPTER = {"mode": "lora", "rank": 4, "alpha": 8.0, "dropout": 0.0, "targets": "all-linear"}


def test_an_int8_layer_multiplies_by_its_rounded_weights() -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(48, 40)
    layer = Int8Linear(linear.weight, linear.bias)
    x = torch.randn(3, 5, 48)
    exact = linear(x).detach()
    rounded = layer.dequantised()
    # Weights rounded per row to 8 bits: each within half a step of its row's scale.
    steps = linear.weight.detach().abs().amax(dim=1, keepdim=True) / 127
    assert ((rounded - linear.weight.detach()).abs() <= steps / 2 + 1e-6).all()
    # Inputs are rounded to 8 bits too: a small error, far below the outputs' spread.
    assert (layer(x) - exact).abs().max() < 0.03 * exact.abs().max()
    assert layer(x).shape == exact.shape and layer(x).dtype == torch.float32


@pytest.fixture
def tuned(sources) -> LMModule:
    """The tiny Llama with a LoRA adapter whose B matrices are not zero (as after training)."""
    model, tokens = load_base(sources["llama"])
    module = LMModule(model, tokens)
    attach_adapter(module, ADAPTER)
    torch.manual_seed(1)
    with torch.no_grad():
        for name, parameter in module.hf.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.2)
    return module.eval()


def test_the_int8_twin_writes_like_the_tuned_model(tuned: LMModule) -> None:
    ids = torch.tensor([tuned.tokens.encode("Le chat dort sur le tapis rouge.")])
    with torch.no_grad():
        full = tuned.hf(input_ids=ids).logits
        set_adapters_enabled(tuned, False)
        base = tuned.hf(input_ids=ids).logits
        set_adapters_enabled(tuned, True)
        twin = int8_copy(tuned.hf)
        rounded = twin(input_ids=ids).logits
    assert not any(isinstance(m, torch.nn.Linear) for m in twin.modules())
    # The adapter is merged in: the twin follows the tuned model, not the base.
    assert (rounded - full).abs().max() < 0.2 * (base - full).abs().max()
    assert (rounded.argmax(-1) == full.argmax(-1)).float().mean() > 0.9


def test_the_twin_shares_the_loaded_weights_and_changes_none(tuned: LMModule) -> None:
    before = {n: p.detach().clone() for n, p in tuned.hf.named_parameters()}
    twin = int8_copy(tuned.hf)
    embedding = tuned.hf.get_input_embeddings().weight
    assert twin.get_input_embeddings().weight.data_ptr() == embedding.data_ptr()
    for name, parameter in tuned.hf.named_parameters():
        assert torch.equal(parameter, before[name]), name
    assert any(p.requires_grad for p in tuned.hf.parameters())  # the adapter still trains


def test_generation_with_int8_weights_repeats_and_full_differs(lm_host, home, sources) -> None:
    from studio.engine import Finished, GenerateJob, SampleEvent

    name = import_model(lm_host, home, sources["llama"], "llama").result["name"]

    def text(weights: str, seed: int = 3) -> str:
        params = {"max_new_tokens": 40, "weights": weights, "temperature": 0.0}
        job = GenerateJob(
            lm_host, home, "lm", model=name, prompt="Le chat", seed=seed, params=params
        )
        events = list(job.run())
        assert isinstance(events[-1], Finished), events[-1]
        return next(e.sample.text for e in events if isinstance(e, SampleEvent) and e.final)

    assert text("int8") == text("int8") == text("auto")  # auto is int8 on the CPU
    assert len(text("full")) > 10


def test_the_thread_chooser_follows_what_it_measures() -> None:
    """Quiet machine: all threads win; another program on a core: half of them; re-checked."""
    from plugins.lm.generate import ThreadChooser

    chooser = ThreadChooser(2)
    cost = {2: 0.02, 1: 0.03}  # quiet: two threads faster
    for _ in range(ThreadChooser.RECHECK):
        threads = chooser.threads()
        chooser.record(threads, cost[threads])
    assert chooser.chosen == 2
    cost = {2: 0.12, 1: 0.04}  # busy: two threads wait for each other
    used = []
    for _ in range(ThreadChooser.RECHECK):
        threads = chooser.threads()
        used.append(threads)
        chooser.record(threads, cost[threads])
    assert chooser.chosen == 1 and used[-1] == 1 and set(used[:6]) == {1, 2}
    assert ThreadChooser(1).candidates == [1]  # one thread: nothing to choose
