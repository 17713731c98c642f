"""Model → Models on this computer: the models other apps keep, and one-click import.

Each app's store is laid out under a private HOME as that app lays it out (tests/discovery/
stores.py), with real tiny model files; the window scans it on its side lane, and Import runs the
engine's import job.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from discovery.stores import files_of, hub_repo, write_gguf, write_hf_folder
from PySide6.QtCore import Qt
from support import tiny_lm
from ui_support import wait_job

from studio.engine.events import Finished

HUB_REPO = "org/tiny-llama"


@pytest.fixture(scope="module")
def llama_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A real (tiny, random) Llama folder's files, as the hub would hand them out."""
    folder = tiny_lm.llama_folder(tmp_path_factory.mktemp("llama") / "tiny-llama")
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def stores(model_stores: Path, llama_files: dict[str, bytes], tmp_path: Path) -> Path:
    """One model (or more) in each app's store; some Studio can use, some it cannot."""
    user = model_stores
    hub_repo(user / ".cache" / "huggingface" / "hub", HUB_REPO, llama_files)
    lmstudio = user / ".lmstudio" / "models"
    write_gguf(lmstudio / "pub" / "Bert-GGUF" / "bert-F16.gguf", arch="bert", file_type=1)
    write_hf_folder(lmstudio / "pub" / "Custom-Code", auto_map={"AutoModel": "modeling.Custom"})
    ollama = user / ".ollama" / "models"
    blob = write_gguf(ollama / "blobs" / ("sha256-" + "a" * 64))
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "tiny" / "latest"
    manifest.parent.mkdir(parents=True)
    layer = {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "a" * 64}
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [layer]}))
    assert blob.is_file()
    gpt4all = user / ".local" / "share" / "nomic.ai" / "GPT4All"
    gpt4all.mkdir(parents=True)
    (gpt4all / "broken.Q4_0.gguf").write_bytes(b"GGUF but nothing after it")
    write_gguf(user / "jan" / "models" / "tiny-1b" / "model.gguf")
    return user


def _open_found(qtbot, window):
    dialog = window.open_found()
    qtbot.addWidget(dialog)
    found = dialog.found
    assert dialog.tabs.currentWidget() is found
    qtbot.waitUntil(lambda: bool(found.models) and found.job_id is None, timeout=60_000)
    return dialog, found


def _row(found, name: str) -> int:
    return [m.name for m in found.models].index(name)


def _cells(found, row: int) -> list[str]:
    return [found.table.item(row, c).text() for c in range(found.table.columnCount() - 1)]


def test_each_store_is_listed_with_what_studio_can_do(qtbot, window, stores) -> None:
    _dialog, found = _open_found(qtbot, window)
    names = {m.name: m.source for m in found.models}
    assert names == {
        HUB_REPO: "huggingface",
        "pub/Bert-GGUF/bert-F16.gguf": "lmstudio",
        "pub/Custom-Code": "lmstudio",
        "tiny:latest": "ollama",
        "broken.Q4_0.gguf": "gpt4all",
        "tiny-1b/model": "jan",
    }
    hub = _cells(found, _row(found, HUB_REPO))
    assert hub[1] == "Hugging Face cache"
    assert hub[2].startswith("llama · ") and "parameters · safetensors" in hub[2]
    assert hub[3].endswith(("KiB", "MiB"))
    assert hub[4].startswith("Imports into") and "generate and fine-tune" in hub[4]
    assert found.button(_row(found, HUB_REPO)).isEnabled()
    ollama = _cells(found, _row(found, "tiny:latest"))
    assert ollama[1] == "Ollama" and "GGUF" in ollama[2]
    assert found.button(_row(found, "tiny:latest")).isEnabled()
    assert _cells(found, _row(found, "tiny-1b/model"))[1] == "Jan"

    # What cannot be imported says why, and its button is off with the same reason.
    refused = {
        "pub/Bert-GGUF/bert-F16.gguf": "architecture 'bert'",
        "pub/Custom-Code": "trust_remote_code",
        "broken.Q4_0.gguf": "not a readable gguf file",
    }
    for name, why in refused.items():
        row = _row(found, name)
        assert why in _cells(found, row)[4].lower(), _cells(found, row)
        button = found.button(row)
        assert not button.isEnabled() and why in button.toolTip().lower()
    assert _cells(found, _row(found, "broken.Q4_0.gguf"))[1] == "GPT4All"
    assert "6 models found, 3 of them usable" in found.status.text()
    # The scan ran as a job of the side lane: it never waited for, nor held, the device.
    (scan,) = [r for r in window.session.jobs if r.kind == "find-models"]
    assert not scan.device and scan.state == "done"


def test_import_puts_the_model_in_the_library_and_leaves_the_original(
    qtbot, window, stores
) -> None:
    hub = stores / ".cache" / "huggingface" / "hub"
    before = files_of(hub)  # every entry's size and modification time, links not followed
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in hub.rglob("*") if p.is_file()}
    dialog, found = _open_found(qtbot, window)
    row = _row(found, HUB_REPO)
    qtbot.mouseClick(found.button(row), Qt.MouseButton.LeftButton)
    assert found.button(row).text() == "Importing…" and not found.button(row).isEnabled()
    (job_id,) = found.importing
    event = wait_job(qtbot, window, job_id)
    assert isinstance(event, Finished), getattr(event, "traceback", event)
    assert event.result["name"] == "tiny-llama"  # the hub's name, not the snapshot's hash
    assert window.session.jobs.get(job_id).title == "Import tiny-llama"  # in the Jobs panel

    assert found.button(row).text() == "In library" and not found.button(row).isEnabled()
    assert "In your library as “tiny-llama”" in _cells(found, row)[4]
    assert "tiny-llama" in dialog.names()  # the library tab follows
    assert window.session.generator_id == "lm"  # and the pickers choose it
    assert window.models.currentData() == "tiny-llama"
    assert files_of(hub) == before
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in digests} == digests

    # Looking again knows it is in the library (from the import's record: nothing is hashed).
    assert found.scan() is not None
    qtbot.waitUntil(lambda: found.job_id is None, timeout=60_000)
    row = _row(found, HUB_REPO)
    assert found.button(row).text() == "In library"
    assert found.button(_row(found, "tiny:latest")).text() == "Import"

    # Another library folder (Settings): the list looks again, for that library.
    window.session.switch_library(stores.parent / "another-library")
    qtbot.waitUntil(lambda: found.job_id is None and bool(found.models), timeout=60_000)
    assert found.button(_row(found, HUB_REPO)).text() == "Import"


def test_an_empty_machine_says_where_it_looked(qtbot, window, model_stores) -> None:
    (model_stores / ".lmstudio" / "models").mkdir(parents=True)
    dialog = window.open_found()
    qtbot.addWidget(dialog)
    found = dialog.found
    qtbot.waitUntil(lambda: "No models found" in found.status.text(), timeout=60_000)
    assert "Looked in: ~/.lmstudio/models." in found.status.text()  # HOME is model_stores
    assert found.table.rowCount() == 0
    assert found.browse_button.text() == "Choose a file or folder…"
    # The menu leads here too, and the library tab stays one click away.
    window.open_library()
    assert dialog.tabs.currentIndex() == 0
    window.found_action.trigger()
    assert dialog.tabs.currentWidget() is found


def test_a_search_in_flight_when_the_library_changes_runs_again(
    qtbot, window, model_stores, tmp_path
) -> None:
    (model_stores / ".lmstudio" / "models").mkdir(parents=True)
    dialog = window.open_found()
    qtbot.addWidget(dialog)
    found = dialog.found
    first = found.job_id
    assert first is not None  # showing the tab started the search; no event loop ran since
    window.session.switch_library(tmp_path / "elsewhere")  # it only reads: cancelled, not refused
    assert window.session.home.root == tmp_path / "elsewhere"

    def searches() -> list:
        return [r for r in window.session.jobs if r.kind == "find-models"]

    # The first search ends (cancelled, or done just before the cancel reached it): a second runs.
    qtbot.waitUntil(lambda: len(searches()) == 2 and searches()[1].ended, timeout=60_000)
    first_record, second = searches()
    assert first_record.id == first and first_record.state in ("cancelled", "done")
    assert second.state == "done" and "No models found" in found.status.text()
