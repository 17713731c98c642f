"""How fast Studio starts, headless: ``import studio``, plugin discovery, ``studio plugins``.

Each figure is the median of repeated fresh processes, side by side with a bare interpreter start
in the same run, so the cost Studio adds is the difference.

    .venv/bin/python bench/bench_startup.py [--runs 15] [--write]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, median, write_section

CASES = {
    "bare python": [sys.executable, "-c", "pass"],
    "import studio": [sys.executable, "-c", "import studio"],
    "import studio.api": [sys.executable, "-c", "import studio.api"],
    "discover plugins": [
        sys.executable,
        "-c",
        "from studio.engine.session import open_session; open_session()",
    ],
    "studio plugins": [sys.executable, "-m", "studio", "plugins"],
    "studio plugins --json": [sys.executable, "-m", "studio", "plugins", "--json"],
    "import torch (for scale)": [sys.executable, "-c", "import torch"],
}


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ, STUDIO_HOME=tempfile.mkdtemp(prefix="studio-bench-"))
    times: dict[str, list[float]] = {name: [] for name in CASES}
    # Interleaved, so a burst of load on the shared machine hits every case alike.
    for command in CASES.values():
        wall(command, env)  # warm the file cache
    for _ in range(args.runs):
        for name, command in CASES.items():
            times[name].append(wall(command, env))
    bare = median(times["bare python"])
    rows = ["| what | median wall time | above a bare interpreter |", "|---|---|---|"]
    for name, values in times.items():
        rows.append(
            f"| `{name}` | {median(values) * 1000:.0f} ms | "
            f"{(median(values) - bare) * 1000:+.0f} ms |"
        )
    body = "\n".join(
        [
            f"{machine()}; {args.runs} fresh processes per case, interleaved.",
            "Command: `.venv/bin/python bench/bench_startup.py --write`",
            "",
            *rows,
            "",
            "None of the Studio cases imports torch (a test checks it in a subprocess).",
        ]
    )
    print(body)
    if args.write:
        write_section("Start-up (headless)", body)


if __name__ == "__main__":
    main()
