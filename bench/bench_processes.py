"""Jobs in a child process against in-process, and two CPU processes (torchrun, gloo) against one.

1. The same ``gpt`` run (nanoGPT's CPU configuration, bench_gpt.NANOGPT_CPU) in-process and
   isolated, alternating rounds: median steps/s after the first 10 steps, and the start-up time
   (job start to the first step's metric).
2. ``studio train gpt --nproc-per-node 2`` (batch 6 per rank, one thread each) against one
   process (batch 12, two threads): the same global batch, so the same losses; tokens/s over the
   run and the wall time to reach the one-process run's final held-out loss.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_processes.py [--steps 200] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_gpt import DATA, NANOGPT_CPU  # noqa: E402
from report import machine, median, write_section  # noqa: E402

from studio.engine import Metric, load_plugins, train_job  # noqa: E402
from studio.engine.home import Home  # noqa: E402


def one_job(host, home, steps: int, isolate: bool) -> tuple[float, float]:
    """(steps per second after step 10, seconds from start to the first step's metric)."""
    params = {**NANOGPT_CPU, "steps": steps, "eval_every": 0, "checkpoint_every": steps}
    job = train_job(host, home, None, isolate=isolate, generator_id="gpt", data=DATA, params=params)
    began = time.perf_counter()
    seen: dict[int, float] = {}
    for event in job.run():
        if isinstance(event, Metric):
            seen[event.step] = time.perf_counter()
    first = seen[1] - began
    rate = (steps - 10) / (seen[steps] - seen[10])
    return rate, first


def isolation(steps: int, rounds: int) -> dict:
    home = Home.open(Path(tempfile.mkdtemp(prefix="bench-proc-")))
    host = load_plugins()
    results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for index in range(rounds * 2):
        isolate = index % 2 == 1
        results[isolate].append(one_job(host, home, steps, isolate))
        print(f"isolate={isolate}: {results[isolate][-1]}", flush=True)
    return {
        "in_rate": median([r for r, _ in results[False]]),
        "iso_rate": median([r for r, _ in results[True]]),
        "in_start": median([s for _, s in results[False]]),
        "iso_start": median([s for _, s in results[True]]),
    }


def ranks_run(steps: int, processes: int) -> list[dict]:
    home = Path(tempfile.mkdtemp(prefix="bench-ranks-"))
    batch = 12 // processes
    params = {**NANOGPT_CPU, "batch_size": batch, "eval_every": 50, "eval_batches": 20}
    params.update(steps=steps, checkpoint_every=steps)
    command = [sys.executable, "-m", "studio", "train", "gpt", "--data", str(DATA), "--name", "r"]
    for key, value in params.items():
        if key != "steps":
            command += ["--set", f"{key}={value}"]
    command += ["--steps", str(steps), "--nproc-per-node", str(processes)]
    env = {**os.environ, "STUDIO_HOME": str(home), "OMP_NUM_THREADS": str(2 // processes)}
    subprocess.run(command, env=env, check=True, capture_output=True)
    lines = (home / "runs" / "r" / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def scaling(steps: int) -> dict:
    out = {}
    for processes in (1, 2):
        rows = ranks_run(steps, processes)
        seconds = rows[-1]["time"] - rows[0]["time"]
        tokens = (len(rows) - 1) * 12 * NANOGPT_CPU["block_size"]
        vals = [
            (r["time"] - rows[0]["time"], r["values"]["loss/val"])
            for r in rows
            if "loss/val" in r["values"]
        ]
        out[processes] = {"tokens_per_s": tokens / seconds, "vals": vals}
        print(processes, out[processes], flush=True)
    target = out[1]["vals"][-1][1]
    for processes in (1, 2):
        reached = [t for t, v in out[processes]["vals"] if v <= target + 1e-6]
        out[processes]["to_target"] = reached[0] if reached else float("nan")
    out["target"] = target
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    iso = isolation(args.steps, args.rounds)
    scale = scaling(args.steps)
    ratio = iso["iso_rate"] / iso["in_rate"]
    body = f"""{machine()}. Command: `flock /tmp/studio-cpu.lock .venv/bin/python
bench/bench_processes.py --steps {args.steps} --rounds {args.rounds} --write`.

gpt with nanoGPT's CPU configuration, {args.steps} steps, {args.rounds} alternating rounds each:

| | steps/s (median, after step 10) | start-up (job start to step 1) |
|---|---|---|
| in-process | {iso["in_rate"]:.2f} | {iso["in_start"]:.2f} s |
| isolated (child process) | {iso["iso_rate"]:.2f} | {iso["iso_start"]:.2f} s |

Isolated throughput: **{ratio:.3f}x** in-process (target >= 0.97x); the isolated job's start-up
costs {iso["iso_start"] - iso["in_start"]:.2f} s more (a fresh interpreter importing torch and
the plugins).

Two CPU processes (torchrun, gloo, batch 6 per rank, 1 thread each) against one (batch 12,
2 threads); the same global batch, so the same losses:

| processes | tokens/s | time to held-out loss {scale["target"]:.3f} |
|---|---|---|
| 1 | {scale[1]["tokens_per_s"]:.0f} | {scale[1]["to_target"]:.1f} s |
| 2 | {scale[2]["tokens_per_s"]:.0f} | {scale[2]["to_target"]:.1f} s |

This machine has 2 vCPUs: two ranks split the same two cores that one process's two threads
use, and add a gradient all-reduce per step, so no speed-up is possible here; the figures show
the cost of the machinery. A GPU machine (one rank per GPU) is where this scales.
"""
    print(body)
    if args.write:
        write_section("Jobs in processes, and torchrun", body)


if __name__ == "__main__":
    main()
