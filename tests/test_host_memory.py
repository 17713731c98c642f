"""The training job's heap setting: on glibc it takes effect, and memory is released after."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from studio.engine.device import host_memory


def test_keep_and_release() -> None:
    took = host_memory.keep_freed_memory()
    assert took == (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
    blocks = [bytearray(4 * 1024 * 1024) for _ in range(8)]  # heap memory, then freed
    del blocks
    host_memory.release()  # returns the free heap to the system; must not raise


GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# A fresh process per setting (glibc's thresholds are process-wide and never go back): touch
# 300 MiB in 1 MiB blocks, free every other one, and report how much resident memory went back.
FREED_BACK = """
import sys
from studio.engine.device import host_memory
getattr(host_memory, sys.argv[1])()

def resident_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

blocks = [bytearray(b"x" * (1 << 20)) for _ in range(300)]
full = resident_mib()
del blocks[::2]  # the survivors pin the heap: nothing freed can be trimmed from its top
print(full - resident_mib())
"""


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's")
def test_lean_hands_freed_blocks_back_and_reuse_keeps_them() -> None:
    def freed_back(setting: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", FREED_BACK, setting], capture_output=True, text=True, check=True
        )
        return float(out.stdout)

    assert freed_back("return_freed_memory") > 100  # about 150 MiB goes back at once
    assert freed_back("keep_freed_memory") < 20  # kept in the heap for the next step


def test_lm_goes_lean_only_for_a_model_big_beside_the_memory(monkeypatch) -> None:
    """``host_memory=auto``: a small model keeps freed memory (fast); one whose fast peak would
    take much of the machine's memory hands it back; the setting can force either."""
    import torch

    from plugins.lm import trainer
    from plugins.lm.module import LMModule

    module = LMModule(torch.nn.Linear(256, 256), tokens=None)  # 256 KiB of weights
    said: list[str] = []
    assert trainer.host_memory_choice(module, "auto", said.append) == "reuse" and not said
    assert trainer.host_memory_choice(module, "lean", said.append) == "lean"
    assert trainer.host_memory_choice(module, "fast", said.append) == "reuse"
    monkeypatch.setattr(trainer, "_physical_memory", lambda: 4 * 1024 * 1024)  # a 4 MiB machine
    assert trainer.host_memory_choice(module, "auto", said.append) == "lean"
    assert "lean host memory" in said[0]
