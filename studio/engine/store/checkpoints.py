"""Checkpoint folders: weights in safetensors, a JSON manifest, assets, and trainer state.

A checkpoint is written into a hidden temporary folder beside its destination, every file is
fsynced, and only then is the folder renamed into place. A crash at any moment leaves either no
checkpoint or a complete one; half-written temporaries are never listed and are swept later.

Loading never unpickles: ``.pt`` and ``.ckpt`` files are refused, and every file is checked against
the sha256 the manifest recorded, so a truncated or flipped file reads as "corrupt checkpoint".
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import CheckpointError, Generator, ModelHandle
from studio.engine.store import state_io
from studio.engine.store.atomic import fsync_dir, fsync_tree
from studio.engine.store.manifest import confined, seal, verify_seal

if TYPE_CHECKING:
    import torch

FORMAT = "studio-checkpoint"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "model.safetensors"
TRAINER_TENSORS = "trainer.safetensors"
TRAINER_TREE = "trainer.json"
ASSETS = "assets"
PICKLE_SUFFIXES = {".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle"}
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    manifest: dict[str, Any]
    # False for a checkpoint from before manifests carried their checksum (see manifest.py).
    sealed: bool = True

    @property
    def generator_id(self) -> str:
        return self.manifest["generator"]["id"]

    @property
    def step(self) -> int:
        return int(self.manifest.get("step", 0))

    @property
    def model_hash(self) -> str:
        return self.manifest["files"][WEIGHTS]

    @property
    def base(self) -> str | None:
        """The content hash of the imported base model the weights are built on, if any."""
        return self.manifest.get("base")

    @property
    def has_trainer_state(self) -> bool:
        return TRAINER_TREE in self.manifest["files"]

    def summary(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "generator": self.generator_id,
            "generator_version": self.manifest["generator"].get("version", ""),
            "step": self.step,
            "model_hash": self.model_hash[:16],
            "created": self.manifest.get("created", ""),
            "parent": self.manifest.get("parent"),
            "dataset_fingerprint": self.manifest.get("dataset_fingerprint"),
            "base": self.base,
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(
    destination: Path,
    *,
    generator: Generator,
    model: ModelHandle,
    step: int,
    params: dict[str, Any],
    dataset_fingerprint: str | None = None,
    parent: dict[str, Any] | None = None,
    trainer_state: Any = None,
    extra: dict[str, Any] | None = None,
    origin: dict[str, Any] | None = None,
) -> Checkpoint:
    """Write a complete checkpoint to ``destination`` atomically and return it.

    ``extra`` adds top-level manifest entries (an imported model's library entry marks itself).
    ``origin`` names the run that wrote it (name and id), so the library can tell a model of the
    same lineage from another one that happens to share its name.
    """
    from safetensors.torch import save_file, save_model

    destination = Path(destination)
    if destination.exists():
        raise CheckpointError(f"checkpoint {destination} already exists")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.parent / f"{TEMP_PREFIX}{destination.name}-{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    try:
        # save_model drops the duplicate names of tied weights (a GPT's embedding and head).
        save_model(model.module, str(temp / WEIGHTS))
        for name, data in model.assets.items():
            _check_asset_name(name)
            (temp / ASSETS).mkdir(exist_ok=True)
            (temp / ASSETS / name).write_bytes(data)
        if trainer_state is not None:
            tree, tensors = state_io.flatten(trainer_state)
            save_file(tensors, str(temp / TRAINER_TENSORS))
            (temp / TRAINER_TREE).write_text(json.dumps(tree), encoding="utf-8")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generator": {"id": generator.id, "version": generator.version},
            "config": model.config,
            "params": params,
            "step": step,
            "dataset_fingerprint": dataset_fingerprint,
            "parent": parent,
            "base": model.base,
            "origin": origin,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **(extra or {}),
            "files": {
                str(p.relative_to(temp)): sha256_file(p)
                for p in sorted(temp.rglob("*"))
                if p.is_file()
            },
        }
        manifest = seal(manifest)
        # The manifest goes last: a folder without it was never finished.
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        fsync_tree(temp)
        os.rename(temp, destination)
        fsync_dir(destination.parent)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return Checkpoint(destination, manifest)


def _check_asset_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise CheckpointError(f"asset name {name!r} must be a plain file name")


def refuse_pickle(path: Path) -> None:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{path.name} is a pickle-based file; Studio never loads pickles because opening one "
            "can run any code it contains. Convert it to safetensors in a trusted environment."
        )


def read_checkpoint(path: Path, *, verify: bool = True) -> Checkpoint:
    """Open and check a checkpoint folder; raise :class:`CheckpointError` if it is unusable."""
    path = Path(path)
    refuse_pickle(path)
    if not path.is_dir():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        manifest["generator"]["id"]
    except FileNotFoundError:
        raise CheckpointError(
            f"corrupt checkpoint {path}: no manifest (an unfinished save?)"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"corrupt checkpoint {path}: unreadable manifest ({error})") from None
    if manifest.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Studio checkpoint")
    if not isinstance(files, dict) or WEIGHTS not in files:
        raise CheckpointError(f"corrupt checkpoint {path}: the manifest lists no weights")
    sealed = verify_seal(path, manifest)
    listed = {name: confined(path, name) for name in files}
    if verify:
        for name, expected in files.items():
            file = listed[name]
            if not file.is_file():
                raise CheckpointError(f"corrupt checkpoint {path}: {name} is missing")
            if sha256_file(file) != expected:
                raise CheckpointError(
                    f"corrupt checkpoint {path}: {name} does not match its recorded hash"
                )
    return Checkpoint(path, manifest, sealed)


def load_model(
    generator: Generator,
    checkpoint: Checkpoint,
    device: torch.device,
    base_models: Path | None = None,
) -> ModelHandle:
    """Rebuild ``checkpoint``'s model with its generator and load its weights on ``device``.

    A checkpoint built on an imported base model names it by content hash; the base is looked up
    (and checked) in ``base_models``, the library's store of imported models.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_model as load_weights

    if checkpoint.generator_id != generator.id:
        raise CheckpointError(
            f"{checkpoint.path} was made by generator '{checkpoint.generator_id}', "
            f"not '{generator.id}'"
        )
    # Only the assets the manifest lists (and hashed): a file dropped in later is never read.
    prefix = f"{ASSETS}/"
    assets = {
        name[len(prefix) :]: confined(checkpoint.path, name).read_bytes()
        for name in sorted(checkpoint.manifest["files"])
        if name.startswith(prefix) and "/" not in name[len(prefix) :]
    }
    config = dict(checkpoint.manifest["config"])
    if checkpoint.base is None:
        model = generator.load_model(config, assets)
    else:
        from studio.engine.store.imports import verified_base

        if base_models is None:
            raise CheckpointError(f"{checkpoint.path} is built on an imported base model")
        model = generator.load_model(
            config, assets, base=verified_base(base_models, checkpoint.base)
        )
        model.base = checkpoint.base
    weights = str(checkpoint.path / WEIGHTS)
    try:
        _check_shapes(checkpoint, generator, model.module, weights)
        missing, unexpected = load_weights(model.module, weights, strict=False, device=str(device))
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"corrupt checkpoint {checkpoint.path}: {error}") from None
    except RuntimeError as error:  # torch's multi-line load_state_dict report
        first = str(error).strip().splitlines()[-1].strip()
        raise CheckpointError(
            f"checkpoint {checkpoint.path} does not fit this generator ('{generator.id}'): {first}"
        ) from None
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint {checkpoint.path} does not fit this version of '{generator.id}' "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
    model.module.to(device)
    return model


def _check_shapes(checkpoint: Checkpoint, generator: Generator, module: Any, weights: str) -> None:
    """One line naming the first tensor whose shape differs, before torch's long report."""
    from safetensors import safe_open

    expected = {name: tuple(t.shape) for name, t in module.state_dict().items()}
    with safe_open(weights, framework="pt") as handle:
        for name in handle.keys():  # noqa: SIM118 — safe_open is not a mapping
            shape = tuple(handle.get_slice(name).get_shape())
            if name in expected and expected[name] != shape:
                raise CheckpointError(
                    f"checkpoint {checkpoint.path} does not fit this generator "
                    f"('{generator.id}'): {name} is {list(shape)} in the checkpoint but "
                    f"{list(expected[name])} in the model its config builds"
                )


def load_trainer_state(checkpoint: Checkpoint) -> Any:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not checkpoint.has_trainer_state:
        raise CheckpointError(f"{checkpoint.path} holds no trainer state; it cannot be resumed")
    try:
        tensors = load_file(str(checkpoint.path / TRAINER_TENSORS))
        tree = json.loads((checkpoint.path / TRAINER_TREE).read_text(encoding="utf-8"))
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"corrupt checkpoint {checkpoint.path}: {error}") from None
    return state_io.unflatten(tree, tensors)


def list_checkpoints(folder: Path) -> list[Checkpoint]:
    """Complete checkpoints directly under ``folder``, oldest step first (no hash check)."""
    found = []
    if not folder.is_dir():
        return found
    for child in folder.iterdir():
        if child.name.startswith(".") or not child.is_dir():
            continue
        try:
            found.append(read_checkpoint(child, verify=False))
        except CheckpointError:
            continue
    return sorted(found, key=lambda c: (c.step, c.manifest.get("created", "")))


def newest_valid(folder: Path) -> Checkpoint | None:
    """The newest checkpoint in ``folder`` whose files all match their hashes."""
    for candidate in reversed(list_checkpoints(folder)):
        try:
            return read_checkpoint(candidate.path, verify=True)
        except CheckpointError:
            continue
    return None


def newest_setting_aside(folder: Path, aside: Path) -> tuple[Checkpoint | None, list[str]]:
    """The newest intact checkpoint; every damaged one newer than it is moved into ``aside``.

    Moved, never deleted (a user may still want to look at it), and out of the checkpoint folder,
    so a resumed run can write that step again. Returns the checkpoint and one note per move.
    """
    notes = []
    steps = sorted(
        (c for c in folder.iterdir() if c.is_dir() and not c.name.startswith(".")),
        key=lambda c: c.name,
        reverse=True,
    ) if folder.is_dir() else []  # fmt: skip
    for child in steps:
        try:
            return read_checkpoint(child, verify=True), notes
        except CheckpointError as error:
            aside.mkdir(parents=True, exist_ok=True)
            target = aside / f"{child.name}-{uuid.uuid4().hex[:6]}"
            os.rename(child, target)
            notes.append(f"skipped a damaged checkpoint ({error}); it was moved to {target}")
    return None, notes


def lineage_of(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    """What a fine-tune records of its parent checkpoint (None for a model from scratch)."""
    if checkpoint is None:
        return None
    return {
        "path": str(checkpoint.path),
        "model_hash": checkpoint.model_hash,
        "generator": checkpoint.generator_id,
        "step": checkpoint.step,
        "parent": checkpoint.manifest.get("parent"),
    }


def prune(folder: Path, keep: int) -> None:
    """Keep only the newest ``keep`` checkpoints in ``folder``."""
    for old in list_checkpoints(folder)[:-keep]:
        remove_checkpoint(old.path)


def remove_checkpoint(path: Path) -> None:
    """Delete a checkpoint atomically: renamed out of sight first, so a kill never leaves half."""
    doomed = path.parent / f"{TEMP_PREFIX}delete-{path.name}-{uuid.uuid4().hex[:8]}"
    os.rename(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def sweep_temporaries(folder: Path) -> None:
    """Remove temporary folders left by a save that was killed."""
    if folder.is_dir():
        for child in folder.iterdir():
            if child.name.startswith(TEMP_PREFIX):
                shutil.rmtree(child, ignore_errors=True)
