"""Tiny image models run on one thread: with two, an oversubscribed CPU (other jobs running)
makes OpenMP's spinning threads tens of times slower on layers this small."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
