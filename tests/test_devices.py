"""Device choice and the figures the status bar shows."""

from __future__ import annotations

import sys

import pytest
import torch

from studio.api import StudioError
from studio.engine.device.devices import describe_device, resolve_device


def test_cpu_is_described_with_the_memory_the_app_holds() -> None:
    before = describe_device(torch.device("cpu"))
    assert before["type"] == "cpu" and before["name"]
    if not sys.platform.startswith("linux"):
        pytest.skip("resident memory is read from /proc here")
    assert 10 * 2**20 < before["memory_used"] < before["memory_total"]
    ballast = torch.ones(64 * 2**20 // 4)  # 64 MiB, touched
    after = describe_device(torch.device("cpu"))
    assert after["memory_used"] - before["memory_used"] > 48 * 2**20
    del ballast


def test_an_unknown_device_is_refused_with_the_choices() -> None:
    with pytest.raises(StudioError, match="choose one of auto, cpu, cuda, mps"):
        resolve_device("tpu")
