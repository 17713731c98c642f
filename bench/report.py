"""Shared by the benchmark scripts: medians, the machine line, and docs/benchmarks.md sections.

Each benchmark owns one ``## `` section of docs/benchmarks.md and rewrites only that section, so
benchmarks can be rerun one at a time without losing the others' figures.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import time
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Figures measured by the scripts in `bench/`; each section names the command that made it.\n"
    "The machines are shared and noisy, so the figures are medians, and comparisons are ratios\n"
    "measured side by side in one run.\n"
)


def machine() -> str:
    """One line saying where and when a figure was measured."""
    import importlib.metadata as md

    try:
        torch_version = md.version("torch")
    except md.PackageNotFoundError:
        torch_version = "absent"
    return (
        f"{os.cpu_count()} vCPU {platform.machine()}, {platform.system()}, "
        f"Python {platform.python_version()}, torch {torch_version}, "
        f"measured {time.strftime('%Y-%m-%d')}"
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def write_section(heading: str, body: str) -> None:
    """Replace (or add) the ``## heading`` section of docs/benchmarks.md with ``body``."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    block = f"## {heading}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    text = (
        pattern.sub(lambda _m: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block
    )
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text.rstrip() + "\n", encoding="utf-8")
