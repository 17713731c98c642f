"""Paying torch's import costs early, on the worker, before the user acts.

``import torch`` takes over a second, and the first optimiser also imports ``torch._dynamo``;
both hold the GIL in long C stretches. The window calls :func:`prewarm` on its worker thread right
after it shows, so those stalls land while the user is still reading the screen.
"""

from __future__ import annotations

import sys


def prewarm() -> None:
    """Import torch and build a throwaway optimiser (which imports torch._dynamo).

    A short switch interval during the imports lets the UI thread take the GIL back more often.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        import torch

        parameter = torch.zeros(1, requires_grad=True)
        torch.optim.AdamW([parameter], lr=0.1).step()
    finally:
        sys.setswitchinterval(previous)
