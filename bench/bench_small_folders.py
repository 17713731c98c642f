"""Image quality from a designer's small folder: KID at equal wall time for three models.

Folders (real data, never committed; unpacked into ~/.cache/studio-bench):
- 100 and 300 PNG icons of Debian's ``faenza-icon-theme`` at 64 px (``apt-get download`` and
  ``dpkg-deb -x``; regular files of the Faenza theme's 64 px folders, a seeded pick);
- 100 Fashion-MNIST images of one class (sneakers) from ../shared/data, written as PNG files.

Models, each trained by a real ``TrainJob`` for the same wall time, then measured by a real
``EvaluateJob`` (KID on Studio's fixed random features, 500 generated images against the folder):
- ``dcgan``, plain: the defaults of before augmentation (``augment=off``, ``ema=0``);
- ``dcgan`` with augmentation and the generator's moving average (today's defaults);
- ``fastgan`` (its defaults).
Then fastgan's milliseconds per iteration at 64 and 128 px, and a grid of samples per folder
(rows: the three models) into docs/images/.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_small_folders.py [--seconds S] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_images import DATA, read_idx  # noqa: E402
from report import machine, median, write_section  # noqa: E402

from studio.engine import EvaluateJob, Finished, GenerateJob, Home, Metric, TrainJob  # noqa: E402
from studio.engine.plugins.host import load_plugins  # noqa: E402

CACHE = Path.home() / ".cache" / "studio-bench"
SECTION = "Small folders (dcgan, fastgan)"
FIGURES = ROOT / "docs" / "images"
SNEAKER = 7
MODELS = {
    "dcgan plain": ("dcgan", {"augment": "off", "ema": 0.0}),
    "dcgan + augment + EMA": ("dcgan", {}),
    "fastgan": ("fastgan", {}),
}
TARGETS = {"dcgan + augment + EMA": 0.6, "fastgan": 0.5}


def icon_folders() -> dict[str, Path]:
    """The 100 and 300 icon folders, unpacked from the Debian package once."""
    unpacked = CACHE / "faenza"
    if not unpacked.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        debs = sorted(CACHE.glob("faenza-icon-theme_*.deb"))
        if not debs:
            subprocess.run(["apt-get", "download", "faenza-icon-theme"], cwd=CACHE, check=True)
            debs = sorted(CACHE.glob("faenza-icon-theme_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked)], check=True)
    theme = unpacked / "usr" / "share" / "icons" / "Faenza"
    icons = sorted(p for p in theme.glob("*/64/*.png") if p.is_file() and not p.is_symlink())
    random.Random(0).shuffle(icons)
    folders = {}
    for count in (100, 300):
        folder = CACHE / f"icons-{count}"
        if not (folder / ".complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for index, icon in enumerate(icons[:count]):
                shutil.copy(icon, folder / f"{index:03d}-{icon.name}")
            (folder / ".complete").write_text(str(count))
        folders[f"{count} icons"] = folder
    return folders


def sneaker_folder() -> Path:
    from PIL import Image

    folder = CACHE / "fashion-sneakers-100"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        labels = read_idx_labels(DATA / "train-labels-idx1-ubyte.gz")
        images = read_idx(DATA / "train-images-idx3-ubyte.gz")
        for index in np.flatnonzero(labels == SNEAKER)[:100]:
            Image.fromarray(images[index]).save(folder / f"{index:05d}.png")
        (folder / ".complete").write_text("100")
    return folder


def read_idx_labels(path: Path) -> np.ndarray:
    import gzip

    with gzip.open(path) as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=8)


def run_job(job: Any) -> dict[str, Any]:
    last = None
    for event in job.run():
        last = event
    if not isinstance(last, Finished):
        raise RuntimeError(f"{job.title}: {last}")
    return last.result


def train_for(host, home, generator: str, data: Path, params: dict, seconds: float) -> dict:
    """Train until ``seconds`` have passed (then cancel: the job saves a checkpoint)."""
    job = TrainJob(host, home, generator, data=data, params=params, name=None)
    start = time.perf_counter()
    steps = 0
    for event in job.run():
        if isinstance(event, Metric):
            steps = event.step
            if time.perf_counter() - start >= seconds:
                job.cancel()
    run = job.run_record
    return {"run": run.name, "steps": steps, "seconds": time.perf_counter() - start}


def ms_per_iteration(host, home, data: Path, resolution: int, steps: int = 12) -> float:
    params = {"resolution": resolution, "steps": steps, "preview_every": 0, "eval_every": 0}
    job = TrainJob(host, home, "fastgan", data=data, params=params)
    stamps = [time.perf_counter() for event in job.run() if isinstance(event, Metric)]
    gaps = np.diff(stamps[2:])  # the first steps warm the allocator and oneDNN up
    return 1000 * median(list(gaps))


def sample_row(host, home, run: str, generator: str, count: int = 8) -> np.ndarray:
    from PIL import Image

    out = Path(tempfile.mkdtemp())
    result = run_job(
        GenerateJob(host, home, generator, model=run, seed=0, count=count, out_dir=out)
    )
    tiles = []
    for path in sorted(p for p in map(Path, result["outputs"]) if p.suffix == ".png"):
        with Image.open(path) as image:
            tiles.append(np.asarray(image.convert("RGB").resize((64, 64))))
    shutil.rmtree(out)
    return np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0))) for t in tiles], axis=1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180.0, help="training time per model")
    parser.add_argument("--eval-images", type=int, default=500)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--note", help="a remark on this run for the table (what else ran)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="'FOLDER / MODEL'",
        help="train and measure again only this row (repeatable), keeping the others from the "
        "last run's results and library",
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    saved = CACHE / "small-folders.json"
    previous = json.loads(saved.read_text()) if args.only else {}
    if args.only and Path(previous.get("home", "")).is_dir():
        os.environ["STUDIO_HOME"] = previous["home"]
    elif args.only:
        raise SystemExit("--only needs the library of the last full run (its home is gone)")
    else:
        os.environ["STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-bench-")
    home = Home.open(Path(os.environ["STUDIO_HOME"]))
    host = load_plugins()
    folders = icon_folders()
    if DATA.is_dir():
        folders["100 sneakers"] = sneaker_folder()
    load = os.getloadavg()
    results: dict[str, Any] = {
        **previous,
        "machine": machine(),
        "load": load,
        "seconds": args.seconds,
        "home": os.environ["STUDIO_HOME"],
    }
    rows: dict[str, dict[str, Any]] = dict(previous.get("rows", {}))
    from PIL import Image

    FIGURES.mkdir(parents=True, exist_ok=True)
    for folder_name, folder in folders.items():
        colour = {"colour": "greyscale"} if "sneakers" in folder_name else {}
        grid_rows = []
        for model_name, (generator, extra) in MODELS.items():
            key = f"{folder_name} / {model_name}"
            if args.only and key not in args.only:
                grid_rows.append(sample_row(host, home, rows[key]["run"], generator))
                continue
            params = {
                "steps": 1_000_000,
                "preview_every": 0,
                "eval_every": 0,
                "checkpoint_every": 1_000_000,
                **colour,
                **extra,
            }
            trained = train_for(host, home, generator, folder, params, args.seconds)
            evaluation = run_job(
                EvaluateJob(
                    host,
                    home,
                    trained["run"],
                    data=folder,
                    params={"count": args.eval_images, "seed": 0},
                )
            )
            row = {
                **trained,
                **{
                    k: evaluation[k]
                    for k in ("kid", "kid_std", "nearest_median", "training_spacing")
                },
            }
            rows[key] = {**row, "load_after": os.getloadavg()[0]}
            print(folder_name, model_name, json.dumps(row), flush=True)
            grid_rows.append(sample_row(host, home, trained["run"], generator))
        sheet = np.concatenate(grid_rows, axis=0)
        name = folder_name.replace(" ", "-")
        Image.fromarray(sheet).save(FIGURES / f"small-folders-{name}.png")
    for resolution in () if args.only else (64, 128):
        results[f"fastgan_ms_{resolution}"] = ms_per_iteration(
            host, home, folders["100 icons"], resolution
        )
        print(f"fastgan {resolution} px: {results[f'fastgan_ms_{resolution}']:.0f} ms", flush=True)
    results["rows"] = rows
    if args.note:
        results["note"] = args.note
    if args.only:
        results["measured_again"] = sorted(set(results.get("measured_again", [])) | set(args.only))
    saved.write_text(json.dumps(results, indent=2))
    if args.write:
        write_section(SECTION, render(results, folders))
    return 0


def render(results: dict[str, Any], folders: dict[str, Path]) -> str:
    seconds = results["seconds"]
    load = " ".join(f"{v:.1f}" for v in results["load"])
    lines = [
        f"{results['machine']}; torch threads 2; load average at start {load} "
        "(other jobs share the machine).",
        f"Command: `flock /tmp/studio-cpu.lock .venv/bin/python bench/bench_small_folders.py "
        f"--seconds {seconds:g} --write`.",
        f"Each model trains for the same {seconds:g} s of wall time (the issue suggests 10 "
        f"minutes; nine models at {seconds:g} s fit one working session on this 2-vCPU machine, "
        "where nothing else ran beside the benchmark but where noted), then KID (mean "
        "+- std over 50 subsets; Studio's fixed random features) of 500 generated images "
        "against the folder, with `studio evaluate`'s job. Nearest: median distance from a "
        "generated image to its nearest training image (RMS over pixels in [0, 1]); spacing: "
        "the same between training images.",
        "",
        "| folder | model | steps | KID | vs plain | target | met | nearest / spacing |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for folder_name in folders:
        plain = results["rows"][f"{folder_name} / dcgan plain"]["kid"]
        for model_name in MODELS:
            row = results["rows"][f"{folder_name} / {model_name}"]
            ratio = row["kid"] / plain if plain > 0 else float("nan")
            target = TARGETS.get(model_name)
            met = "" if target is None else ("yes" if ratio <= target else "no")
            lines.append(
                f"| {folder_name} | {model_name} | {row['steps']} | {row['kid']:.4f} +- "
                f"{row['kid_std']:.4f} | {ratio:.2f}x | {f'<= {target}x' if target else ''} | "
                f"{met} | {row['nearest_median']:.3f} / {row['training_spacing']:.3f} |"
            )
    lines += ["", note] if (note := results.get("note")) else []
    again = results.get("measured_again", [])
    if again:
        lines += ["", "Measured again alone with `--only`: " + ", ".join(again) + "."]
    lines += [
        "",
        f"fastgan, batch 16, ms/iteration (median): 64 px {results['fastgan_ms_64']:.0f} ms, "
        f"128 px {results['fastgan_ms_128']:.0f} ms.",
        "Samples of each model: docs/images.md.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
