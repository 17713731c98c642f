"""The training job's heap setting: on glibc it takes effect, and memory is released after."""

from __future__ import annotations

import platform

from studio.engine.device import host_memory


def test_keep_and_release() -> None:
    took = host_memory.keep_freed_memory()
    assert took == (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
    blocks = [bytearray(4 * 1024 * 1024) for _ in range(8)]  # heap memory, then freed
    del blocks
    host_memory.release()  # returns the free heap to the system; must not raise
