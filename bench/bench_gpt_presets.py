"""Speed of each ``gpt`` preset, for the table in docs/gpt.md (CPU) and bench_gpu.py (CUDA).

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
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plugins.gpt import GPTGenerator  # noqa: E402
from plugins.gpt.presets import PRESETS  # noqa: E402
from studio.api import DataReport, RunContext  # noqa: E402
from studio.engine.train.batching import EpochSampler, default_collate, gather  # noqa: E402
from studio.engine.train.loop_params import training_schema  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"


def measure_presets(device_name: str, steps: int) -> list[dict[str, Any]]:
    """Each preset's median ms/step (after 5 warm-up steps) on ``device_name``, batch 12."""
    generator = GPTGenerator()
    device = torch.device(device_name)
    rows = []
    for preset, sizes in PRESETS.items():
        params = training_schema(generator).validate({"preset": preset, "steps": steps})
        data = generator.load_data(DATA, params, None, DataReport())
        torch.manual_seed(0)
        model = generator.create_model(params, data)
        model.module.to(device)
        context = RunContext(device, total_steps=steps)
        trainer = generator.create_trainer(model, data, params, context)
        sampler = EpochSampler(len(data.train), params["batch_size"], 0)
        times = []
        for step in range(1, steps + 6):
            batch = default_collate(gather(data.train, sampler.next_indices())).to(device)
            began = time.perf_counter()
            trainer.step(batch, step)  # returns floats: on a GPU the step has synchronised
            times.append((time.perf_counter() - began) * 1000)
        ms = statistics.median(times[5:])
        tokens = params["batch_size"] * model.config["block_size"]
        rows.append(
            {
                "preset": preset,
                "shape": "/".join(
                    str(sizes[k]) for k in ("n_layer", "n_head", "n_embd", "block_size")
                ),
                "params_m": model.module.num_params() / 1e6,
                "ms_per_step": ms,
                "tokens_per_s": tokens / ms * 1000,
                "precision": str(trainer.dtype or "fp32"),
            }
        )
        del model, trainer
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} is missing")
        return 0
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, load average {os.getloadavg()[0]:.1f}")
    print("| preset | layers/heads/width/context | parameters | ms/step (batch 12) |")
    print("|---|---|---|---|")
    for row in measure_presets("cpu", args.steps):
        print(
            f"| {row['preset']} | {row['shape']} | {row['params_m']:.2f} M "
            f"| {row['ms_per_step']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
