"""The built-in generators on a CUDA GPU: the same benchmarks as on the CPU, through the engine.

Studio's users train on their own GPUs; this script measures the CUDA path end to end (the
engine's device choice, bf16 autocast, fused AdamW, channels-last convolutions, the KV cache) on
the data the CPU benchmarks use:

- gpt, nanoGPT's Shakespeare configuration (``bench_gpt.py``'s): ms/iteration and validation loss
  at the last step; generation ms/token with and without the KV cache;
- gpt, each preset: ms/step at batch 12 and tokens/s;
- dcgan at 64 px, batch 64: seconds/iteration, with pytorch/examples' step on the same GPU side by
  side;
- the MLP VAE: seconds/epoch; the default conv VAE: test loss after ``--conv-seconds`` of training.

    python bench/bench_gpu.py [--write]      # the "GPU" section of docs/benchmarks.md

It needs a CUDA device and exits with a message without one. The data are read from
``../shared/data`` as on the CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import bench_gpt  # noqa: E402
import bench_images  # noqa: E402
from bench_gpt_presets import measure_presets  # noqa: E402
from reference_images import examples_dcgan_times  # noqa: E402
from report import machine, write_section  # noqa: E402

from studio.api import DataReport  # noqa: E402
from studio.api.images import ImageSpec, load_image_folder  # noqa: E402
from studio.engine.home import Home  # noqa: E402
from studio.engine.plugins.host import load_plugins  # noqa: E402

SECTION = "GPU"


def gpt_nanogpt(host: Any, home: Home, steps: int, device: str) -> dict[str, Any]:
    gaps, val_loss, model_ref = bench_gpt.train(host, home, steps, device=device)
    gen = bench_gpt.generation_ms_per_token(host, home, model_ref, 500, 3, device_name=device)
    return {
        "ms_per_iter": statistics.median(gaps),
        "val_loss": val_loss,
        "gen_ms_cache": gen["cache"],
        "gen_ms_no_cache": gen["no_cache"],
    }


def dcgan(host: Any, home: Home, train_dir: Path, iterations: int, device: str) -> dict[str, Any]:
    params = {
        "resolution": 64, "colour": "greyscale", "latent": 100, "g_width": 64, "d_width": 64,
        "lr": 2e-4, "beta1": 0.5, "batch_size": 64, "steps": iterations, "preview_every": 0,
        "checkpoint_every": 1_000_000, "seed": 1, "device": device,
    }  # fmt: skip
    _result, gaps, _load = bench_images.train(host, home, "dcgan", train_dir, params)
    images = load_image_folder(train_dir, ImageSpec(64, channels=1), DataReport()).cached
    reference = examples_dcgan_times(images, iterations, seed=1, device=device)[5:]
    ours = statistics.median(gaps[5:])
    ref = statistics.median(reference)
    return {"studio_s_per_iter": ours, "examples_s_per_iter": ref, "speedup": ref / ours}


def render(figures: dict[str, Any], device_name: str) -> str:
    g, d, m, c = (figures[k] for k in ("gpt", "dcgan", "vae_mlp", "vae_conv"))
    lines = [
        f"{device_name}, CUDA {torch.version.cuda}, torch {torch.__version__}; host: {machine()}.",
        "Command (on a machine with a CUDA GPU): `python bench/bench_gpu.py --write`. "
        "The same engine, data and configurations as the CPU sections; the engine picks the GPU "
        "(device `auto`), and the gpt trainer uses bf16 autocast there.",
        "",
        "| measure | GPU | CPU section's figure | target (CPU) |",
        "|---|---|---|---|",
        f"| gpt, nanoGPT config: ms / iteration | {g['ms_per_iter']:.1f} | see gpt | |",
        f"| gpt: validation loss at {figures['gpt_steps']} | {g['val_loss']:.3f} | | ≤ 1.88 |",
        f"| gpt: generation ms / token, KV cache / none | {g['gen_ms_cache']:.2f} / "
        f"{g['gen_ms_no_cache']:.2f} = {g['gen_ms_no_cache'] / g['gen_ms_cache']:.1f}× | | |",
        f"| dcgan 64 px batch 64: s / iteration (pytorch/examples' step on this GPU: "
        f"{d['examples_s_per_iter']:.4f}) | {d['studio_s_per_iter']:.4f} "
        f"({d['speedup']:.2f}× its images/s) | | |",
        f"| vae, MLP 784-400-20: s / epoch | {m['studio_s_per_epoch']:.2f} | see Images | |",
        f"| vae, MLP: test loss after {m['epochs']} epochs | {m['test_loss']:.1f} | | |",
        f"| vae, default conv: test loss after {figures['conv_seconds']:g} s | "
        f"{c['test_loss']:.1f} ({c['steps']} steps) | see Images | retired (KID now) |",
        "",
        "gpt presets on this GPU (batch 12, byte level, median of 30 steps):",
        "",
        "| preset | parameters | precision | ms / step | tokens / s |",
        "|---|---|---|---|---|",
    ]
    for row in figures["presets"]:
        lines.append(
            f"| {row['preset']} | {row['params_m']:.2f} M | {row['precision']} | "
            f"{row['ms_per_step']:.1f} | {row['tokens_per_s']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpt-steps", type=int, default=2000)
    parser.add_argument("--preset-steps", type=int, default=30)
    parser.add_argument("--dcgan-iters", type=int, default=40)
    parser.add_argument("--vae-epochs", type=int, default=3)
    parser.add_argument("--conv-seconds", type=float, default=60.0)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "studio-fmnist")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--device", default="cuda", help="cpu: a quick dry run of the script")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device here; nothing to measure")
        return 0
    if not bench_gpt.DATA.is_file() or not bench_images.DATA.is_dir():
        print(f"benchmark data missing under {bench_gpt.DATA.parent}")
        return 0
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU (dry run)"
    figures: dict[str, Any] = {"gpt_steps": args.gpt_steps, "conv_seconds": args.conv_seconds}
    train_dir, test_dir = bench_images.write_png_folders(args.cache)
    with tempfile.TemporaryDirectory() as temp:
        home = Home.open(Path(temp))
        host = load_plugins()
        steps = [
            ("gpt", lambda: gpt_nanogpt(host, home, args.gpt_steps, args.device)),
            ("presets", lambda: measure_presets(args.device, args.preset_steps)),
            ("dcgan", lambda: dcgan(host, home, train_dir, args.dcgan_iters, args.device)),
            (
                "vae_mlp",
                lambda: bench_images.bench_vae_mlp(
                    host, home, train_dir, test_dir, args.vae_epochs
                ),
            ),
            (
                "vae_conv",
                lambda: bench_images.bench_vae_conv(
                    host, home, train_dir, test_dir, args.conv_seconds, {"device": args.device}
                ),
            ),
        ]
        for name, measure in steps:
            began = time.perf_counter()
            figures[name] = measure()
            print(name, f"({time.perf_counter() - began:.0f} s)", json.dumps(figures[name]))
            sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    text = render(figures, device_name)
    print(text)
    if args.write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
