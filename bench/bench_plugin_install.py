"""What installing a plugin costs the user, and what the safety adds: the user's commands, timed.

Builds examples/studio-charlstm into a wheel (offline), then, in a fresh library each round and
interleaved, times as subprocesses:

- a bare ``pip install --no-deps --target`` of the wheel (the floor: no resolution, no checks),
- ``studio plugin install WHEEL --dry-run`` (resolution only),
- ``studio plugin install WHEEL`` (dry run + snapshot + install),
- ``studio plugin install FOLDER`` (the same after building the wheel),
- ``studio plugin uninstall`` and ``studio plugin rollback``,
- ``studio plugins`` with no plugin site, and with the installed plugin awaiting approval.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_plugin_install.py [--rounds 5] [--write]

``--write`` puts the figures into docs/benchmarks.md (the ``## Plugin install`` section).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from report import machine, median, write_section  # noqa: E402

EXAMPLE = ROOT / "examples" / "studio-charlstm"
PIP = [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check"]
STUDIO = [sys.executable, "-m", "studio"]


def timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-plugin-"))
    try:
        source = shutil.copytree(
            EXAMPLE, work / "src", ignore=shutil.ignore_patterns("build", "*.egg-info")
        )
        env = dict(os.environ)
        build = timed([*PIP, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                       "-w", str(work / "dist"), str(source)], env)  # fmt: skip
        (wheel,) = (work / "dist").glob("*.whl")
        cases: dict[str, list[float]] = {}
        for round_ in range(args.rounds):
            home = work / f"home{round_}"
            env = {**os.environ, "STUDIO_HOME": str(home)}
            steps = [
                ("`studio plugins`, no plugin site", [*STUDIO, "plugins"]),
                ("bare `pip install --no-deps --target` (floor)",
                 [*PIP, "install", "-q", "--no-index", "--no-deps", "--target",
                  str(work / f"bare{round_}"), str(wheel)]),
                ("`studio plugin install WHEEL --dry-run`",
                 [*STUDIO, "plugin", "install", str(wheel), "--dry-run"]),
                ("`studio plugin install WHEEL`", [*STUDIO, "plugin", "install", str(wheel)]),
                ("`studio plugins`, plugin awaiting approval", [*STUDIO, "plugins"]),
                ("`studio plugin uninstall`", [*STUDIO, "plugin", "uninstall", "charlstm"]),
                ("`studio plugin rollback`", [*STUDIO, "plugin", "rollback"]),
                ("`studio plugin install FOLDER`", [*STUDIO, "plugin", "install", str(source)]),
            ]  # fmt: skip
            for name, command in steps:
                cases.setdefault(name, []).append(timed(command, env))
        site = work / f"home{args.rounds - 1}" / "plugins" / "site"
        site_kb = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1024
        floor = median(cases["bare `pip install --no-deps --target` (floor)"])
        rows = "\n".join(
            f"| {name} | {median(values):.2f} s | {median(values) / floor:.1f}x |"
            for name, values in cases.items()
        )
        body = (
            f"{machine()}; {args.rounds} rounds, each in a fresh library, cases interleaved.\n"
            "Command: `flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_plugin_install.py "
            "--write`\n\n"
            f"examples/studio-charlstm: wheel {wheel.stat().st_size / 1024:.1f} KiB, built "
            f"offline in {build:.2f} s (`pip wheel --no-deps --no-build-isolation`); installed "
            f"plugin site {site_kb:.0f} KiB (no dependency copied: torch and studio are the "
            "app's).\n\n"
            "| what (a subprocess each) | median wall time | vs bare pip |\n|---|---|---|\n"
            f"{rows}\n\n"
            "The install's extra time over bare pip is the offline dry-run resolution against the "
            "app's pinned environment (one more pip process) and Studio's own start-up; uninstall "
            "and rollback are file operations, without pip."
        )
        print(body)
        if args.write:
            write_section("Plugin install", body)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
