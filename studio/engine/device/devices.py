"""Which device a job runs on: CUDA when present, Apple MPS where present, else the CPU.

The user may choose; ``auto`` picks the best one available. Out-of-memory is recognised here so
it can end a job with advice instead of killing the app.
"""

from __future__ import annotations

import functools
import gc
import os
import platform
import sys
from typing import TYPE_CHECKING, Any

from studio.api import StudioError
from studio.engine.device import host_memory

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(choice: str = "auto") -> torch.device:
    import torch

    choice = (choice or "auto").lower()
    cuda_ok = torch.cuda.is_available()
    mps_ok = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if choice == "auto":
        if cuda_ok:
            return torch.device("cuda")
        return torch.device("mps" if mps_ok else "cpu")
    if choice.startswith("cuda"):
        if not cuda_ok:
            raise StudioError(
                "CUDA was chosen but no CUDA GPU is available; choose 'auto' or 'cpu'"
            )
        return torch.device(choice)
    if choice == "mps":
        if not mps_ok:
            raise StudioError("MPS was chosen but Apple's Metal backend is not available")
        return torch.device("mps")
    if choice == "cpu":
        return torch.device("cpu")
    raise StudioError(f"unknown device '{choice}'; choose one of {', '.join(DEVICE_CHOICES)}")


def describe_device(device: torch.device) -> dict[str, Any]:
    """Name and memory figures for the status bar."""
    import torch

    info: dict[str, Any] = {"type": device.type, "name": "CPU", "memory_used": None}
    if device.type == "cpu":
        # On the CPU a model lives in the app's own memory: show what the process holds.
        info["name"] = cpu_name()
        info["memory_used"] = process_memory()
        info["memory_total"] = physical_memory()
    elif device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        info["name"] = torch.cuda.get_device_name(index)
        info["memory_used"] = torch.cuda.memory_allocated(index)
        info["memory_total"] = torch.cuda.get_device_properties(index).total_memory
    elif device.type == "mps":
        info["name"] = "Apple GPU (MPS)"
        info["memory_used"] = torch.mps.current_allocated_memory()
    return info


@functools.cache
def cpu_name() -> str:
    """The processor's model name where the system says it, with the core count."""
    name = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    name = name or platform.processor() or "CPU"
    cores = os.cpu_count()
    return f"{name}, {cores} cores" if cores else name


def process_memory() -> int | None:
    """Bytes of memory this process holds now (resident set); None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            resident_pages = int(handle.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):
        return None
    # macOS reports bytes, other systems kilobytes; this is the peak, the best they offer.
    return peak if sys.platform == "darwin" else peak * 1024


def physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError, AttributeError):
        return None


def is_out_of_memory(error: BaseException) -> bool:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(error, getattr(torch, "OutOfMemoryError", ())):
        return True
    return isinstance(error, (MemoryError, RuntimeError)) and "out of memory" in str(error).lower()


def free_memory() -> None:
    """Return cached device memory after a job, so the next one (or another app) can use it."""
    # The window switches automatic collection off and collects on its own thread (a collection
    # here, on its worker, could destroy Qt objects off the UI thread: studio/ui/collector.py).
    if gc.isenabled():
        gc.collect()
    host_memory.release()  # the heap memory a training job kept for reuse
    torch = sys.modules.get("torch")
    if torch is None:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.empty_cache()
