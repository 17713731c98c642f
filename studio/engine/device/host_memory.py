"""The CPU's counterpart of CUDA's caching allocator, for the length of a training job.

glibc hands every freed stretch at the top of the heap back to the kernel once it exceeds the
trim threshold (dynamic, at most 64 MiB), and serves big blocks with fresh ``mmap``s. A training
step allocates and frees hundreds of MiB of activations, so every step the heap shrank and grew
again, and the kernel zero-filled each new page on first touch: 20,000-30,000 page faults per
DCGAN step at 64 px on the 2-vCPU test machine, 8-15% of the step's time. A training job raises
the thresholds (they stay fixed for the process: glibc cannot go back to its dynamic ones), so
freed memory is reused instead; after every job :func:`release` returns what is free to the
system, as ``torch.cuda.empty_cache()`` does for the GPU. A trainer whose model is big beside the
machine's memory asks for the opposite (``Trainer.host_memory = "lean"``,
:func:`return_freed_memory`): kept blocks fragment, and the heap grows far past what is in use.

Only glibc (Linux) has these knobs; elsewhere both functions do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import platform
from typing import Any

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's own ceiling for its dynamic mmap threshold on 64-bit: bigger blocks (a whole image
# cache, a token array) still get their own mapping and go back to the system when freed.
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 1024 * 1024 * 1024
LEAN_THRESHOLD = 128 * 1024  # glibc's defaults for both, before its dynamic adjustment


@functools.cache
def _libc() -> Any:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def keep_freed_memory() -> bool:
    """Keep freed heap memory for reuse until :func:`release`; True where that took effect."""
    return _thresholds(MMAP_THRESHOLD, TRIM_THRESHOLD)


def return_freed_memory() -> bool:
    """Hand blocks from 128 KiB up back to the system as soon as they are freed (glibc's own
    starting thresholds, fixed); True where that took effect. For trainers that ask for
    ``host_memory = "lean"``: SmolLM2-135M's LoRA step peaked at 2.4 GB with freed memory kept
    and at 1.25 GB this way, but ran about 40 % slower (each fresh page is cleared again)."""
    return _thresholds(LEAN_THRESHOLD, LEAN_THRESHOLD)


def _thresholds(mmap_bytes: int, trim_bytes: int) -> bool:
    libc = _libc()
    if libc is None:
        return False
    return bool(
        libc.mallopt(_M_MMAP_THRESHOLD, mmap_bytes) and libc.mallopt(_M_TRIM_THRESHOLD, trim_bytes)
    )


def release() -> None:
    """Give the free heap memory back to the system (after a job)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
