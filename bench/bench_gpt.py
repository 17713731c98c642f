"""Benchmark of the built-in ``gpt`` generator against nanoGPT's published CPU Shakespeare run.

Training goes through the real engine (``TrainJob``: the engine's seeded batching, metric log and
checkpoints), with nanoGPT's CPU configuration: byte level, 4 layers, 4 heads, embedding 128,
block 64, batch 12, dropout 0, 2000 iterations, lr 1e-3 decaying to 1e-4, 90/10 split. It reports
the median wall time between steps (the first 10 excluded) and the validation loss at the last
step, averaged over 200 random validation batches as nanoGPT estimates it. Generation times 500
tokens from the trained model with and without the key/value cache, in the same process.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_gpt.py [--steps 2000] [--write]

``--write`` puts the figures into docs/benchmarks.md (the ``## gpt`` section only).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.api import GenerateRequest, RunContext  # noqa: E402
from studio.engine.events import Failed, Finished, Metric  # noqa: E402
from studio.engine.home import Home  # noqa: E402
from studio.engine.plugins.host import load_plugins  # noqa: E402
from studio.engine.store import checkpoints as ckpt  # noqa: E402
from studio.engine.store.library import resolve_checkpoint  # noqa: E402
from studio.engine.train.job import TrainJob  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from report import DOC, write_section  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
SECTION = "## gpt"
# Measured on this machine with nanoGPT itself (the reference figures).
REFERENCE = {"ms_per_iter": (46.0, 53.0), "val_loss": 1.886, "ms_per_token_no_cache": (2.0, 2.8)}
NANOGPT_CPU = {
    "n_layer": 4,
    "n_head": 4,
    "n_embd": 128,
    "block_size": 64,
    "batch_size": 12,
    "dropout": 0.0,
    "lr": 1e-3,
    "min_lr": 1e-4,
    "warmup_steps": 100,
    "beta2": 0.99,
    "weight_decay": 0.1,
    "grad_clip": 1.0,
    "val_fraction": 0.1,
    "tokenizer": "byte",
    "preset": "small",
    "eval_batches": 200,
    "preview_every": 0,
    "device": "cpu",
    "seed": 1337,
}
WARMUP_STEPS = 10


def train(host, home: Home, steps: int, device: str = "cpu") -> tuple[list[float], float, str]:
    params = {**NANOGPT_CPU, "steps": steps, "eval_every": steps, "checkpoint_every": steps}
    params["device"] = device
    job = TrainJob(host, home, "gpt", data=DATA, params=params, name="bench-shakespeare")
    gaps: list[float] = []
    val_loss = float("nan")
    last = None
    result = None
    for event in job.run():
        if isinstance(event, Metric):
            now = time.perf_counter()
            if last is not None:
                gaps.append(now - last)
            last = now
            val_loss = event.values.get("loss/val", val_loss)
        elif isinstance(event, Failed):
            raise SystemExit(f"training failed: {event.message}\n{event.traceback}")
        elif isinstance(event, Finished):
            result = event.result
    # The last gap holds the 200-batch evaluation; steps before WARMUP_STEPS warm caches up.
    return [g * 1000 for g in gaps[WARMUP_STEPS:-1]], val_loss, result["model"]


def generation_ms_per_token(
    host, home: Home, model_ref: str, tokens: int, repeats: int, device_name: str = "cpu"
) -> dict:
    generator = host.generator("gpt")
    device = torch.device(device_name)
    model = ckpt.load_model(generator, resolve_checkpoint(home, model_ref), device)
    model.module.eval()
    context = RunContext(device=device)
    figures = {}
    for use_cache in (True, False):
        params = generator.generate_params.validate(
            {"max_new_tokens": tokens, "temperature": 0.8, "top_k": 200, "use_cache": use_cache}
        )
        times = []
        for repeat in range(repeats + 1):
            request = GenerateRequest(params, prompt="\n", seed=repeat)
            began = time.perf_counter()
            with torch.no_grad():
                text = "".join(c.text for c in generator.generate(model, request, context))
            if device.type == "cuda":
                torch.cuda.synchronize()
            if repeat:  # the first run warms up
                times.append((time.perf_counter() - began) * 1000 / tokens)
        figures["cache" if use_cache else "no_cache"] = statistics.median(times)
        figures["sample_" + ("cache" if use_cache else "no_cache")] = text[:300]
    return figures


def bare_loop_ms(steps: int) -> float:
    """Median ms/iteration of the same model in a bare PyTorch loop: no engine, no Studio.

    nanoGPT's own loop shape: random windows of the corpus, forward, backward, clip, AdamW. Run in
    the same process as the engine's run, so the ratio between the two is this machine's truth.
    """
    from plugins.gpt.model import GPT, GPTConfig

    torch.manual_seed(0)
    data = torch.frombuffer(bytearray(DATA.read_bytes()), dtype=torch.uint8).long()
    config = GPTConfig(vocab_size=256, block_size=64, n_layer=4, n_head=4, n_embd=128)
    model = GPT(config)
    # The same optimiser as the gpt trainer: fused AdamW.
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), fused=True)
    gaps = []
    for step in range(steps + WARMUP_STEPS):
        began = time.perf_counter()
        starts = torch.randint(len(data) - 65, (12,))
        batch = torch.stack([data[i : i + 65] for i in starts.tolist()])
        _, loss = model(batch[:, :-1], batch[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
        if step >= WARMUP_STEPS:
            gaps.append((time.perf_counter() - began) * 1000)
    return statistics.median(gaps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--gen-tokens", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bare-steps", type=int, default=300)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} is missing")
        return 0
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        home = Home.open(Path(folder))
        host = load_plugins()
        began = time.perf_counter()
        gaps, val_loss, model_ref = train(host, home, args.steps)
        train_s = time.perf_counter() - began
        gen = generation_ms_per_token(host, home, model_ref, args.gen_tokens, args.repeats)
        bare_ms = bare_loop_ms(args.bare_steps)
    load_after = os.getloadavg()[0]
    ms_iter = statistics.median(gaps)
    ref_ms = statistics.mean(REFERENCE["ms_per_iter"])
    speedup = gen["no_cache"] / gen["cache"]
    rows = [
        ("median ms / iteration", f"{ms_iter:.1f}", "46–53", f"{ms_iter / ref_ms:.2f}× (≤ 0.80×)"),
        (
            "same model, bare PyTorch loop (this run)",
            f"{bare_ms:.1f}",
            "",
            f"engine ÷ bare loop {ms_iter / bare_ms:.2f}×",
        ),
        (f"validation loss at {args.steps}", f"{val_loss:.3f}", "1.886", "≤ 1.88"),
        ("generation ms / token, KV cache", f"{gen['cache']:.2f}", "–", ""),
        (
            "generation ms / token, no cache",
            f"{gen['no_cache']:.2f}",
            "2–2.8",
            f"cache {speedup:.1f}× faster (≥ 2.5×)",
        ),
    ]
    table = "| measure | gpt | nanoGPT (reference) | ratio (target) |\n|---|---|---|---|\n"
    table += "".join(f"| {a} | {b} | {c} | {d} |\n" for a, b, c, d in rows)
    section = (
        f"{SECTION}\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} on this machine ({platform.machine()}, "
        f"2 vCPU, CPU only, torch {torch.__version__}, {args.threads} threads), with "
        "`flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_gpt.py --write`.\n\n"
        "Training through the engine's `TrainJob` on tinyshakespeare with nanoGPT's CPU "
        "configuration (byte level, 4 layers, 4 heads, embedding 128, block 64, batch 12, "
        f"dropout 0, {args.steps} iterations, lr 1e-3 → 1e-4 cosine, 100 warm-up steps, 90/10 "
        "split); ms/iteration is the median wall time between steps (first 10 excluded); "
        "validation loss is the mean over 200 random validation batches. Generation: "
        f"{args.gen_tokens} tokens, temperature 0.8, top-k 200, median of {args.repeats} runs "
        f"each way, same model. Whole training run: {train_s:.0f} s. Load average (other "
        f"programs on the shared machine): {load_before:.1f} before, {load_after:.1f} after.\n\n"
        f"{table}"
    )
    print(section)
    print("sample (cache):", repr(gen["sample_cache"]))
    if args.write:
        write_section("gpt", section.split("\n", 2)[2])
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
