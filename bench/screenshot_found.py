"""The screenshot of Model → Models on this computer, for docs/window.md.

Lays out each app's store in a throwaway HOME as that app does (tests/discovery/stores.py), with
real tiny models (tests/support/tiny_lm.py: random weights, so their sizes are kilobytes), opens
the window with the built-in generators only, imports one model with its Import button, and
saves the dialog. Run it under Xvfb, with a window manager for the decorations:

    xvfb-run -a -s "-screen 0 1400x900x24" \
        sh -c 'openbox & .venv/bin/python bench/screenshot_found.py'

Writes docs/screenshots/found-models.png.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout, not an installed copy


def lay_out_stores(user: Path, scratch: Path) -> None:
    """A few models in each app's store: some Studio can use, some it refuses (and why)."""
    from discovery.stores import hub_repo, write_gguf, write_hf_folder
    from support import tiny_lm

    llama = tiny_lm.llama_folder(scratch / "tiny-llama")
    files = {p.name: p.read_bytes() for p in llama.iterdir() if p.is_file()}
    hub = user / ".cache" / "huggingface" / "hub"
    hub_repo(hub, "demo/tiny-llama", files)
    gpt2 = tiny_lm.gpt2_folder(scratch / "tiny-gpt2")
    hub_repo(hub, "demo/tiny-gpt2", {p.name: p.read_bytes() for p in gpt2.iterdir()})
    lmstudio = user / ".lmstudio" / "models"
    (lmstudio / "demo" / "Tiny-GGUF").mkdir(parents=True)
    tiny_lm.gguf_file(lmstudio / "demo" / "Tiny-GGUF" / "tiny-llama-F32.gguf")
    write_gguf(lmstudio / "demo" / "Embed-GGUF" / "embed-bert-F16.gguf", arch="bert", file_type=1)
    write_hf_folder(lmstudio / "demo" / "Custom-Code", auto_map={"AutoModel": "modeling.Custom"})
    ollama = user / ".ollama" / "models"
    (ollama / "blobs").mkdir(parents=True)
    tiny_lm.gguf_file(ollama / "blobs" / ("sha256-" + "a" * 64))
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "tiny-llama" / "latest"
    manifest.parent.mkdir(parents=True)
    layer = {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "a" * 64}
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [layer]}))
    pickled = {"config.json": b'{"model_type": "gpt2"}', "pytorch_model.bin": b"\x80\x04."}
    hub_repo(hub, "demo/old-pickled", pickled)  # never opened: Studio only names the file
    gpt4all = user / ".local" / "share" / "nomic.ai" / "GPT4All"
    write_gguf(gpt4all / "tiny-mamba.Q8_0.gguf", arch="mamba")
    write_gguf(user / "jan" / "models" / "tiny-1b" / "model.gguf", arch="clip")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="studio-found-"))
    os.environ["STUDIO_HOME"] = str(work / "library")
    os.environ["HOME"] = str(work / "user")
    for name in ("HF_HOME", "HF_HUB_CACHE", "XDG_CACHE_HOME", "XDG_DATA_HOME", "OLLAMA_MODELS"):
        os.environ.pop(name, None)
    lay_out_stores(work / "user", work / "scratch")

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from studio.engine.home import Home
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    home = Home.open()
    window = build_window(home, Settings.load(home.settings_file))
    window.resize(1280, 820)
    window.show()
    ended: dict[int, object] = {}
    window.session.job_ended.connect(ended.__setitem__)

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(condition, limit: float = 120) -> None:
        end = time.monotonic() + limit
        while not condition():
            if time.monotonic() > end:
                raise SystemExit("timed out")
            pump(0.05)

    dialog = window.open_found()
    dialog.resize(1240, 520)
    found = dialog.found
    wait(lambda: bool(found.models) and found.job_id is None)
    row = [m.name for m in found.models].index("demo/tiny-llama")
    job = found.import_row(row)
    wait(lambda: job in ended)
    print("import:", ended[job])
    pump(0.5)
    OUT.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(OUT / "found-models.png"))
    print("wrote", OUT / "found-models.png")
    if os.environ.get("STUDIO_SHOT_HOLD"):  # leave it on screen for a screenshot of the display
        pump(float(os.environ["STUDIO_SHOT_HOLD"]))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
