"""A process that goes when its parent goes (Linux), as a job inside that parent would.

Used by an isolated job's child and by each rank under torchrun (whose agent starts ranks in
sessions of their own): no orphan keeps training and writing a run the user may already be
resuming.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def die_with_parent(parent: int | None = None) -> None:
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid() if parent is None else parent
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it went before prctl took effect
        os._exit(1)
