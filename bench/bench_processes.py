"""Jobs in a child process against in-process, and two CPU processes (torchrun, gloo) against one.

1. The same ``gpt`` run (nanoGPT's CPU configuration, bench_gpt.NANOGPT_CPU) in-process and
   isolated, alternating rounds: median steps/s after the first 10 steps, and the start-up time
   (job start to the first step's metric).
2. ``studio train gpt --nproc-per-node 2`` (batch 6 per rank, one thread each) against one
   process (batch 12) on two threads and on one: the same global batch, so about the same
   losses; tokens/s over the run and the wall time to reach the one-process run's final
   held-out loss.

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

from studio.engine import Metric, Session, open_session  # noqa: E402


def one_job(session: Session, steps: int, isolate: bool) -> tuple[float, float]:
    """(steps per second after step 10, seconds from start to the first step's metric)."""
    params = {**NANOGPT_CPU, "steps": steps, "eval_every": 0, "checkpoint_every": steps}
    session.isolate = isolate  # what --isolate does; gpt is built in, so in-process otherwise
    job = session.train_job("gpt", data=DATA, params=params)
    began = time.perf_counter()
    seen: dict[int, float] = {}
    for event in job.run():
        if isinstance(event, Metric):
            seen[event.step] = time.perf_counter()
    first = seen[1] - began
    rate = (steps - 10) / (seen[steps] - seen[10])
    return rate, first


def isolation(steps: int, rounds: int) -> dict:
    session = open_session(Path(tempfile.mkdtemp(prefix="bench-proc-")))
    results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for index in range(rounds * 2):
        isolate = index % 2 == 1
        results[isolate].append(one_job(session, steps, isolate))
        print(f"isolate={isolate}: {results[isolate][-1]}", flush=True)
    return {
        "in_rate": median([r for r, _ in results[False]]),
        "iso_rate": median([r for r, _ in results[True]]),
        "in_start": median([s for _, s in results[False]]),
        "iso_start": median([s for _, s in results[True]]),
        "in_rounds": ", ".join(f"{r:.1f}" for r, _ in results[False]),
        "iso_rounds": ", ".join(f"{r:.1f}" for r, _ in results[True]),
    }


def ranks_run(steps: int, processes: int, threads: int) -> list[dict]:
    home = Path(tempfile.mkdtemp(prefix="bench-ranks-"))
    batch = 12 // processes
    params = {**NANOGPT_CPU, "batch_size": batch, "eval_every": 50, "eval_batches": 20}
    params.update(steps=steps, checkpoint_every=steps)
    command = [sys.executable, "-m", "studio", "train", "gpt", "--data", str(DATA), "--name", "r"]
    for key, value in params.items():
        if key != "steps":
            command += ["--set", f"{key}={value}"]
    command += ["--steps", str(steps), "--nproc-per-node", str(processes)]
    env = {**os.environ, "STUDIO_HOME": str(home), "OMP_NUM_THREADS": str(threads)}
    subprocess.run(command, env=env, check=True, capture_output=True)
    lines = (home / "runs" / "r" / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


# (processes, threads each): one process on both cores, one on one core, two ranks of one thread.
LAYOUTS = ((1, 2), (1, 1), (2, 1))


def scaling(steps: int) -> dict:
    """Tokens/s from step 1 to the last, and held-out losses with their time since step 1."""
    out: dict = {}
    for layout in LAYOUTS:
        rows = ranks_run(steps, *layout)
        seconds = rows[-1]["time"] - rows[0]["time"]
        tokens = (len(rows) - 1) * 12 * NANOGPT_CPU["block_size"]
        vals = [
            (r["time"] - rows[0]["time"], r["values"]["loss/val"])
            for r in rows
            if "loss/val" in r["values"]
        ]
        out[layout] = {"tokens_per_s": tokens / seconds, "vals": vals}
        print(layout, out[layout], flush=True)
    # The one-process run's last held-out loss; every layout trains on the same global batches.
    target = out[LAYOUTS[0]]["vals"][-1][1] if out[LAYOUTS[0]]["vals"] else float("nan")
    for layout in LAYOUTS:
        reached = [t for t, v in out[layout]["vals"] if v <= target + 1e-6]
        out[layout]["to_target"] = reached[0] if reached else float("nan")
        out[layout]["final"] = out[layout]["vals"][-1][1] if out[layout]["vals"] else float("nan")
    out["target"] = target
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    load_before = f"{os.getloadavg()[0]:.1f}"
    iso = isolation(args.steps, args.rounds)
    scale = scaling(args.steps)
    load_after = f"{os.getloadavg()[0]:.1f}"
    two = scale[(2, 1)]["tokens_per_s"]
    two_vs_one = two / scale[(1, 2)]["tokens_per_s"]
    two_vs_core = two / scale[(1, 1)]["tokens_per_s"]
    ratio = iso["iso_rate"] / iso["in_rate"]
    header = (
        f"| processes x threads | tokens/s | held-out loss at {args.steps} "
        f"| time to held-out loss {scale['target']:.3f} |"
    )
    rows = "\n".join(
        f"| {p} x {t} | {scale[(p, t)]['tokens_per_s']:.0f} | {scale[(p, t)]['final']:.3f} "
        f"| {scale[(p, t)]['to_target']:.1f} s |"
        for p, t in LAYOUTS
    )
    body = f"""{machine()}. Command: `flock /tmp/studio-cpu.lock .venv/bin/python
bench/bench_processes.py --steps {args.steps} --rounds {args.rounds} --write`.

gpt with nanoGPT's CPU configuration, {args.steps} steps, {args.rounds} alternating rounds each:

| | steps/s (median, after step 10) | start-up (job start to step 1) |
|---|---|---|
| in-process | {iso["in_rate"]:.2f} | {iso["in_start"]:.2f} s |
| isolated (child process) | {iso["iso_rate"]:.2f} | {iso["iso_start"]:.2f} s |

Each round's steps/s, in order: in-process {iso["in_rounds"]}; isolated {iso["iso_rounds"]}.
On this shared machine the rounds spread more than the two sides differ: read the ratio as "no
throughput lost to the child process", not as a gain.

Isolated throughput: **{ratio:.3f}x** in-process (target >= 0.97x); the isolated job's start-up
costs {iso["iso_start"] - iso["in_start"]:.2f} s more (a fresh interpreter importing torch and
the plugins).

Two CPU processes (`--nproc-per-node 2`: torchrun, gloo, batch 6 per rank, 1 thread each)
against one process (batch 12) on 2 threads and on 1; the same global batch of 12, so about the
same losses. Tokens/s and times count from step 1 (start-up excluded), evaluation included:

{header}
|---|---|---|---|
{rows}

Load average (other programs on the shared machine): {load_before} before, {load_after} after.
Two ranks against one process on both cores: **{two_vs_one:.2f}x** the tokens/s; against one
process on one core: {two_vs_core:.2f}x. On {os.cpu_count()} vCPUs two ranks share the cores
that one process's threads would use and add a gradient all-reduce per step, so this measures
the machinery's cost, not a speed-up; one rank per GPU is where torchrun scales.
"""
    print(body)
    if args.write:
        write_section("Jobs in processes, and torchrun", body)


if __name__ == "__main__":
    main()
