"""Manifests are verified and text folders report every file: the trust promises about data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.api import CheckpointError, DataReport
from studio.api.text import read_corpus
from studio.engine.events import Failed, Finished, Log
from studio.engine.generation import GenerateJob
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.manifest import CHECKSUM, UNVERIFIED, seal
from studio.engine.train.job import TrainJob


@pytest.fixture
def model(host, home, corpus) -> Path:
    params = {"steps": 2, "preview_every": 0, "eval_every": 0}
    events = list(TrainJob(host, home, "tinychar", data=corpus, params=params, name="m").run())
    assert isinstance(events[-1], Finished), events[-1]
    return Path(events[-1].result["model"])


def _edit(folder: Path, change, *, reseal: bool) -> None:
    path = folder / ckpt.MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    manifest.pop(CHECKSUM, None)
    path.write_text(json.dumps(seal(manifest) if reseal else manifest))


def test_an_edited_manifest_is_refused_and_an_old_one_loads_with_a_warning(
    host, home, model
) -> None:
    broken = model.with_name("edited")
    shutil.copytree(model, broken)
    manifest = json.loads((broken / ckpt.MANIFEST).read_text())
    manifest["config"]["hidden"] = 16  # a hand edit; the checksum is left as it was
    (broken / ckpt.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="manifest was changed after it was written"):
        ckpt.read_checkpoint(broken)
    events = list(GenerateJob(host, home, "tinychar", model="edited", seed=1).run())
    assert isinstance(events[-1], Failed) and "changed after" in events[-1].message
    # A checkpoint from before manifests were sealed: loads, and says it cannot be verified.
    _edit(model, lambda m: None, reseal=False)
    events = list(GenerateJob(host, home, "tinychar", model="m", seed=1).run())
    assert isinstance(events[-1], Finished), events[-1]
    assert any(isinstance(e, Log) and UNVERIFIED in e.message for e in events)


def test_manifest_entries_are_confined_to_the_checkpoint_folder(model, tmp_path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("not yours")
    for name in ("../secret.txt", str(outside), "assets/../../secret.txt"):
        copy = tmp_path / f"c{abs(hash(name))}"
        shutil.copytree(model, copy)
        _edit(copy, lambda m, name=name: m["files"].update({name: "0" * 64}), reseal=True)
        with pytest.raises(CheckpointError, match="points outside the checkpoint"):
            ckpt.read_checkpoint(copy, verify=False)
    linked = tmp_path / "linked"
    shutil.copytree(model, linked)
    (linked / "assets").mkdir(exist_ok=True)
    (linked / "assets" / "vocab").symlink_to(outside)
    _edit(linked, lambda m: m["files"].update({"assets/vocab": "0" * 64}), reseal=True)
    with pytest.raises(CheckpointError, match="link that leads outside"):
        ckpt.read_checkpoint(linked, verify=False)


def test_unlisted_assets_are_not_read(host, model, monkeypatch) -> None:
    import torch

    (model / "assets").mkdir(exist_ok=True)
    (model / "assets" / "planted.bin").write_bytes(b"dropped in after the save")
    generator = host.generator("tinychar")
    seen: list[dict] = []
    real = generator.load_model

    def recording(config, assets):
        seen.append(dict(assets))
        return real(config, assets)

    monkeypatch.setattr(generator, "load_model", recording)
    ckpt.load_model(generator, ckpt.read_checkpoint(model), torch.device("cpu"))
    assert "planted.bin" not in seen[0]


def test_a_shape_mismatch_is_one_line_saying_it_does_not_fit(host, model) -> None:
    import torch

    _edit(model, lambda m: m["config"].update({"hidden": 16}), reseal=True)
    with pytest.raises(CheckpointError) as caught:
        ckpt.load_model(
            host.generator("tinychar"), ckpt.read_checkpoint(model), torch.device("cpu")
        )
    message = str(caught.value)
    assert "does not fit this generator ('tinychar')" in message and "\n" not in message


READ_FOLDER = """
import json, sys
from pathlib import Path
from studio.api import DataReport
from studio.api.text import read_corpus
report = DataReport()
text = read_corpus(Path(sys.argv[1]), "utf-8", report)
print(json.dumps({"text": text, "used": report.used,
                  "skipped": {Path(s.path).name: s.reason for s in report.skipped}}))
"""


def _without_dac_override() -> list[str]:
    """As root, a prefix that drops the capabilities that read any file; [] when not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("setpriv cannot drop capabilities here")
    return prefix


def test_every_file_of_a_text_folder_is_used_or_reported(tmp_path: Path) -> None:
    prefix = _without_dac_override()
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "good.txt").write_text("Plain words.", encoding="utf-8")
    (folder / "wide.txt").write_bytes("Wide words: é".encode("utf-16"))  # with its BOM
    (folder / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00 not text")
    (folder / "locked.txt").write_text("secret")
    (folder / "locked.txt").chmod(0)
    os.mkfifo(folder / "pipe.txt")
    (folder / "nowhere.txt").symlink_to(folder / "missing.txt")
    outside = tmp_path / "outside.txt"
    outside.write_text("beyond the folder")
    (folder / "escape.txt").symlink_to(outside)
    (folder / "device.txt").symlink_to("/dev/null")
    (folder / "inside.txt").symlink_to(folder / "good.txt")  # a link inside: read
    (folder / "notes.rtf").write_text("{\\rtf1}")
    result = subprocess.run([*prefix, sys.executable, "-c", READ_FOLDER, str(folder)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert sorted(Path(p).name for p in found["used"]) == ["good.txt", "inside.txt", "wide.txt"]
    assert "Wide words: é" in found["text"]
    reasons = found["skipped"]
    assert set(reasons) == {
        "binary.txt", "locked.txt", "pipe.txt", "nowhere.txt", "escape.txt", "device.txt",
        "notes.rtf",
    }  # fmt: skip
    assert reasons["binary.txt"].startswith("binary")
    assert reasons["locked.txt"].startswith("unreadable")
    assert reasons["pipe.txt"] == "not a regular file (a FIFO)"
    assert "dangling" in reasons["nowhere.txt"]
    assert reasons["escape.txt"].startswith("a link out of the folder")
    assert reasons["device.txt"].startswith("a link out of the folder")
    assert "not a text file" in reasons["notes.rtf"]
    # In-process too (no prefix needed for what does not depend on file modes).
    report = DataReport()
    read_corpus(folder / "wide.txt", "utf-8", report)
    assert len(report.used) == 1
