"""A checkpoint's manifest checked before anything it says is believed.

- **Checksum.** The manifest carries the sha256 of its own canonical JSON (every key but the
  checksum, sorted, compact). An edited manifest (``n_head`` changed by hand, a file hash swapped)
  no longer matches and the checkpoint is refused. Checkpoints written before Studio recorded the
  checksum have none: they load, with a warning that their manifest cannot be verified.
- **Confinement.** Every file entry is a plain relative path inside the checkpoint folder: no
  absolute paths, no ``..``, no link that leads out of the folder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from studio.api import CheckpointError

CHECKSUM = "manifest_sha256"
UNVERIFIED = (
    "its manifest has no checksum (written by an older Studio), so its settings cannot be "
    "verified; it loads as it is"
)


def checksum(manifest: dict[str, Any]) -> str:
    body = {key: value for key, value in manifest.items() if key != CHECKSUM}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with its checksum added (call last, after every other key is set)."""
    return {**manifest, CHECKSUM: checksum(manifest)}


def verify_seal(path: Path, manifest: dict[str, Any]) -> bool:
    """True when sealed and intact, False when there is no seal; raises when it was edited."""
    recorded = manifest.get(CHECKSUM)
    if recorded is None:
        return False
    if recorded != checksum(manifest):
        raise CheckpointError(
            f"corrupt checkpoint {path}: its manifest was changed after it was written (its "
            "checksum does not match), so nothing it says can be trusted"
        )
    return True


def confined(folder: Path, name: object) -> Path:
    """The file a manifest entry names, refused unless it stays inside ``folder``."""
    if not isinstance(name, str) or not name:
        raise CheckpointError(f"corrupt checkpoint {folder}: a file entry is {name!r}")
    pure = PurePosixPath(name)
    if pure.is_absolute() or "\\" in name or ".." in pure.parts or ":" in pure.parts[0]:
        raise CheckpointError(
            f"corrupt checkpoint {folder}: the file entry {name!r} points outside the checkpoint"
        )
    path = folder / Path(*pure.parts)
    root = folder.resolve()
    if path.exists() and root not in path.resolve().parents:
        raise CheckpointError(
            f"corrupt checkpoint {folder}: {name!r} is a link that leads outside the checkpoint"
        )
    return path
