"""Paying torch's import costs early, on the worker, before the user acts.

``import torch`` takes over a second, and the first optimiser also imports ``torch._dynamo``;
both hold the GIL in long C stretches. The window calls :func:`prewarm` on its worker thread right
after it shows, so those stalls land while the user is still reading the screen.

Then the objects the imports made are frozen out of the garbage collector. With torch loaded a
process holds ~330,000 objects, and a full collection walks all of them holding the GIL: ~100-190
ms measured here, whichever thread triggers it. Python runs one now and then on its own while a
model trains, and the engine runs one after every job; each froze the window for that long.
Frozen, they are skipped: a full collection then takes well under a millisecond.
"""

from __future__ import annotations

import gc
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
        # Not collected first: that alone would hold the GIL for the ~150 ms being avoided.
        gc.freeze()
    finally:
        sys.setswitchinterval(previous)
