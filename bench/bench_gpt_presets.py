"""CPU speed of each ``gpt`` preset, for the table in docs/gpt.md.

Each preset trains byte-level on tinyshakespeare for a few steps through the plugin's own trainer
and the engine's batching (``EpochSampler``), batch 12; the median ms/step after 5 warm-up steps.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_gpt_presets.py [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plugins.gpt import GPTGenerator  # noqa: E402
from plugins.gpt.model import PRESETS  # noqa: E402
from studio.api import DataReport, RunContext  # noqa: E402
from studio.engine.batching import EpochSampler, default_collate, gather  # noqa: E402
from studio.engine.loop_params import training_schema  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} is missing")
        return 0
    torch.set_num_threads(args.threads)
    generator = GPTGenerator()
    print(f"threads {args.threads}, load average {os.getloadavg()[0]:.1f}")
    print("| preset | layers/heads/width/context | parameters | ms/step (batch 12) |")
    print("|---|---|---|---|")
    for preset, sizes in PRESETS.items():
        params = training_schema(generator).validate({"preset": preset, "steps": args.steps})
        data = generator.load_data(DATA, params, None, DataReport())
        torch.manual_seed(0)
        model = generator.create_model(params, data)
        context = RunContext(torch.device("cpu"), total_steps=args.steps)
        trainer = generator.create_trainer(model, data, params, context)
        sampler = EpochSampler(len(data.train), params["batch_size"], 0)
        times = []
        for step in range(1, args.steps + 6):
            began = time.perf_counter()
            trainer.step(default_collate(gather(data.train, sampler.next_indices())), step)
            times.append((time.perf_counter() - began) * 1000)
        shape = "/".join(str(sizes[k]) for k in ("n_layer", "n_head", "n_embd", "block_size"))
        count = model.module.num_params()
        print(f"| {preset} | {shape} | {count / 1e6:.2f} M | {statistics.median(times[5:]):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
