"""The image kit's pieces on their own: augmentation, the adaptive probability, KID, nearest."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugins.imagekit.ada import AdaptiveProbability, update_ema
from plugins.imagekit.augment import POLICIES, augment
from plugins.imagekit.nearest import nearest, sheet
from plugins.imagekit.params import POLICY_NAMES, augmentation_choice, check_policy
from plugins.imagekit.quality import features, kid
from studio.api import ParamError


def _squares(count: int, seed: int, size: int = 32) -> torch.Tensor:
    """Pictures in [0, 1]: a bright square of random colour and place on a dark ground."""
    rng = np.random.default_rng(seed)
    images = np.full((count, 3, size, size), 0.1, np.float32)
    for image in images:
        y, x = rng.integers(0, size // 2, 2)
        image[:, y : y + size // 2, x : x + size // 2] = rng.uniform(0.5, 1.0, (3, 1, 1))
    return torch.from_numpy(images)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_each_augmentation_is_differentiable_and_alters_the_image(name) -> None:
    torch.manual_seed(0)
    x = (_squares(8, 0) * 2 - 1).double().requires_grad_(True)
    out = POLICIES[name](x, torch.ones(8, dtype=torch.bool))
    assert out.shape == x.shape and not torch.equal(out, x)
    weights = torch.randn_like(out)
    (out * weights).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # The gradient is the true one: check it against finite differences on a small batch.
    small = x.detach()[:2, :, :8, :8].clone().requires_grad_(True)
    mask = torch.ones(2, dtype=torch.bool)
    state = torch.random.get_rng_state()

    def same_draw(images: torch.Tensor) -> torch.Tensor:
        torch.random.set_rng_state(state)  # the same random alteration every call
        return POLICIES[name](images, mask)

    assert torch.autograd.gradcheck(same_draw, (small,), eps=1e-6, atol=1e-5)


def test_probability_zero_is_the_identity_and_unmasked_images_are_untouched() -> None:
    x = _squares(6, 1) * 2 - 1
    assert augment(x, 0.0, POLICY_NAMES) is x
    mask = torch.tensor([True, False, True, False, False, True])
    for policy in POLICIES.values():
        out = policy(x, mask)
        assert torch.equal(out[~mask], x[~mask])


def test_policy_and_setting_checks() -> None:
    assert check_policy("colour, flip") == ("colour", "flip")
    with pytest.raises(ParamError, match=r"augment_policy.*'blur'"):
        check_policy("colour,blur")
    assert augmentation_choice("auto", 100)[0] is True
    assert "small folder" in augmentation_choice("auto", 100)[1]
    assert augmentation_choice("auto", 50_000)[0] is False
    assert augmentation_choice("off", 10)[0] is False


def test_adaptive_probability_follows_the_sign_of_real_logits() -> None:
    ada = AdaptiveProbability(target=0.6, ramp_images=64, interval=2)
    for _ in range(8):  # a discriminator sure of every real picture: r_t = 1
        ada.observe(torch.full((16,), 3.0))
    assert ada.signal == 1.0 and ada.p == 1.0
    for _ in range(4):  # one at chance: r_t = 0, so p falls again
        ada.observe(torch.tensor([1.0, -1.0] * 8))
    assert ada.signal == 0.0 and ada.p == 0.0
    ada.observe(torch.full((16,), 3.0))
    again = AdaptiveProbability(target=0.6, ramp_images=64, interval=2)
    again.load_state_dict(ada.state_dict())
    ada.observe(torch.full((16,), 3.0))
    again.observe(torch.full((16,), 3.0))  # the half-finished interval was kept
    assert again.p == ada.p == 0.5


def test_moving_average_warms_up_then_lags() -> None:
    model, average = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    average.load_state_dict(model.state_dict())
    with torch.no_grad():
        model.weight.add_(1.0)
    update_ema(average, model, 0.999, step=0)  # decay (1 + 0) / 10: mostly the new weights
    assert torch.allclose(average.weight, model.weight - 0.1)
    update_ema(average, model, 0.999, step=100_000)  # decay 0.999: barely moves
    assert not torch.equal(average.weight, model.weight)


def test_kid_is_near_zero_for_a_folder_against_itself_and_positive_against_noise() -> None:
    folder, again = _squares(120, 2), _squares(120, 3)  # two draws of the same kind of picture
    noise = torch.rand(120, 3, 32, 32)
    f_folder, f_again, f_noise = features(folder), features(again), features(noise)
    self_kid, self_std = kid(f_folder, f_folder, subsets=20, subset_size=60)
    same_kind, _ = kid(f_folder, f_again, subsets=20, subset_size=60)
    noise_kid, noise_std = kid(f_folder, f_noise, subsets=20, subset_size=60)
    assert noise_kid > 0.05 and noise_kid > 10 * noise_std
    assert abs(self_kid) < 0.01 * noise_kid and self_std < 0.01 * noise_kid
    assert abs(same_kind) < 0.05 * noise_kid
    # The features are fixed: the same pictures give the same figures in another call.
    assert np.array_equal(features(folder), f_folder)


def test_nearest_finds_a_planted_copy() -> None:
    training = (_squares(30, 4) * 255).round().to(torch.uint8)
    generated = _squares(5, 5)
    generated[3] = training[17].float() / 255  # a copy of training image 17
    index, distance = nearest(generated, training)
    assert index[3] == 17 and distance[3] < 1e-6
    assert (np.delete(distance, 3) > 0.01).all()
    pixels = lambda images: (images.permute(0, 2, 3, 1) * 255).round().byte().numpy()  # noqa: E731
    view = sheet(pixels(generated), pixels(training[index].float() / 255), distance)
    assert view.dtype == np.uint8 and view.shape[2] == 3
