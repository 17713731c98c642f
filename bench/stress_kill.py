"""The long version of the SIGKILL fault test: many random kills, mid-save included.

Trains the test generator in a subprocess, kills it with SIGKILL at random moments, checks after
every kill that the newest complete checkpoint loads, resumes, and finally stops it with Ctrl+C and
checks that every step was logged exactly once.

    .venv/bin/python bench/stress_kill.py [--kills 100] [--write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]
from report import machine, write_section  # noqa: E402
from support.entrypoints import install_test_generators, subprocess_env  # noqa: E402
from support.killing import interrupt_and_check, kill_and_resume  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="studio-stress-"))
    site, home = work / "site", work / "home"
    install_test_generators(site)
    home.mkdir()
    (home / "settings.json").write_text('{"approved_plugins": ["testgen"]}')
    sys.path[:0] = [str(site), str(ROOT / "tests" / "testplugins")]
    corpus = work / "corpus.txt"
    corpus.write_text("Studio keeps every checkpoint whole. " * 200, encoding="utf-8")
    env = subprocess_env(site, home)
    began = time.perf_counter()
    report = kill_and_resume(corpus, env, home, kills=args.kills, seed=args.seed)
    code, step, logged = interrupt_and_check(env, home)
    elapsed = time.perf_counter() - began
    exact_log = logged == list(range(1, step + 1))
    body = "\n".join(
        [
            f"{machine()}.",
            f"Command: `.venv/bin/python bench/stress_kill.py --kills {args.kills} --write`",
            "",
            "| figure | value |",
            "|---|---|",
            f"| SIGKILLs | {report.kills} |",
            f"| kills that left an unfinished checkpoint (mid-save) | {report.mid_save} |",
            f"| resumes, each from the newest complete checkpoint | {len(report.resumed_from)} |",
            f"| problems (a checkpoint that did not load, a wrong resume step) | "
            f"{len(report.problems)} |",
            f"| final Ctrl+C exit code | {code} |",
            f"| steps trained in all / every step logged once, in order | {step} / {exact_log} |",
            f"| wall time | {elapsed:.0f} s |",
        ]
    )
    print(body)
    for problem in report.problems:
        print("PROBLEM:", problem)
    if args.write:
        write_section("Checkpoints under SIGKILL", body)
    sys.exit(1 if report.problems or not exact_log else 0)


if __name__ == "__main__":
    main()
