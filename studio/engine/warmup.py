"""Paying torch's import costs early, on the worker, before the user acts.

``import torch`` takes over a second, and the first optimiser also imports ``torch._dynamo``;
both hold the GIL in long stretches. The window calls :func:`prewarm` on its worker thread right
after it shows, so those stalls land while the user is still reading the screen.
"""

from __future__ import annotations


def prewarm() -> None:
    import torch

    # Constructing (not stepping) an optimiser pulls in torch._dynamo and the optimiser modules.
    parameter = torch.nn.Parameter(torch.zeros(1))
    torch.optim.AdamW([parameter], lr=1e-3)
