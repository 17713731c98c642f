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


def _section(heading: str) -> re.Pattern[str]:
    """The ``## heading`` section, up to the next section or the end; group 1 is its body."""
    return re.compile(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def read_section(heading: str) -> str:
    """The body of the ``## heading`` section of docs/benchmarks.md ("" when there is none)."""
    found = _section(heading).search(DOC.read_text(encoding="utf-8")) if DOC.exists() else None
    return found.group(1) if found else ""


def keep_lines(body: str, old: str, starts: tuple[str, ...], note: str) -> str:
    """``body`` plus the lines of ``old`` that begin with one of ``starts``, and ``note``.

    For a benchmark run that measured only some of its section's rows: the rows it did not
    measure (table lines) go at the end of the new table, their other lines at the end.
    """
    kept = [line for line in old.splitlines() if starts and line.startswith(starts)]
    if not kept:
        return body
    lines = body.splitlines()
    table_end = max(i for i, line in enumerate(lines) if line.startswith("|")) + 1
    rows = [line for line in kept if line.startswith("|")]
    notes = [line for line in kept if not line.startswith("|")]
    return "\n".join([*lines[:table_end], *rows, *lines[table_end:], *notes, note])


def write_section(heading: str, body: str) -> None:
    """Replace (or add) the ``## heading`` section of docs/benchmarks.md with ``body``."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    block = f"## {heading}\n\n{body.strip()}\n\n"
    pattern = _section(heading)
    text = (
        pattern.sub(lambda _m: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block
    )
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text.rstrip() + "\n", encoding="utf-8")
