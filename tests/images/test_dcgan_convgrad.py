"""The DCGAN's convolutions: the GEMM weight gradient equals torch's, in every layer and layout."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from plugins.dcgan import convgrad
from plugins.dcgan.model import GAN


def _torch_layers(model: nn.Module) -> nn.Module:
    """The same model (same weights) with torch's own convolution classes."""
    model = copy.deepcopy(model)
    for module in model.modules():
        if type(module) is convgrad.Conv2d:
            module.__class__ = nn.Conv2d
        elif type(module) is convgrad.ConvTranspose2d:
            module.__class__ = nn.ConvTranspose2d
    return model


@pytest.mark.parametrize("channels_last", [True, False])
@pytest.mark.parametrize("channels", [1, 3])
def test_gradients_match_torch(channels_last: bool, channels: int, monkeypatch) -> None:
    calls = []
    real_weight_grad = convgrad.weight_grad
    monkeypatch.setattr(
        convgrad, "weight_grad", lambda *args: calls.append(1) or real_weight_grad(*args)
    )
    torch.manual_seed(0)
    config = {"resolution": 32, "channels": channels, "latent": 8, "g_width": 8, "d_width": 8}
    ours = GAN(config)
    if channels_last:
        ours.to(memory_format=torch.channels_last)
    theirs = _torch_layers(ours)
    # Batch 8: the layers beside the 4x4 map take the GEMM path (8 * 16 <= 4 * 32), the rest
    # torch's; the generator's first layer too (a 1x1 input).
    assert convgrad.use_gemm(8, (4, 4), 32, True) and not convgrad.use_gemm(8, (8, 8), 16, True)
    z, real = torch.randn(8, 8, 1, 1), torch.randn(8, channels, 32, 32)
    for model in (ours, theirs):
        fake = model.generator(z)
        # The discriminator twice (real, fake) as a training step does, then a frozen pass.
        loss = model.discriminator(real).sum() + model.discriminator(fake.detach()).pow(2).sum()
        loss.backward()
        model.discriminator.requires_grad_(False)
        model.discriminator(fake).mean().backward()
        model.discriminator.requires_grad_(True)
    for (name, mine), (_, reference) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        assert mine.grad is not None, name
        scale = reference.grad.abs().max().clamp_min(1e-12)
        assert (mine.grad - reference.grad).abs().max() / scale < 1e-4, name
    # Channels-last: D's last stride-2 layer twice (real, fake), G's first two layers once.
    assert len(calls) == (4 if channels_last else 0)


def test_weight_grad_is_the_convolution_gradient() -> None:
    torch.manual_seed(1)
    x = torch.randn(4, 16, 8, 8).contiguous(memory_format=torch.channels_last)
    weight = torch.randn(32, 16, 4, 4, requires_grad=True)
    out = nn.functional.conv2d(x, weight, stride=2, padding=1)
    grad = torch.randn_like(out)
    (expected,) = torch.autograd.grad(out, weight, grad)
    got = convgrad.weight_grad(x, grad, 4, 2, 1)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_no_weight_gradient_wanted_is_torch_call() -> None:
    layer = convgrad.Conv2d(3, 8, 4, 2, 1, bias=False)
    with torch.no_grad():
        assert convgrad._plain(layer)
    assert not convgrad._plain(layer)
    layer.weight.requires_grad_(False)
    assert convgrad._plain(layer)
