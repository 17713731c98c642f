"""A dataset's fingerprint: one hash over its files' names and contents.

Recorded in every checkpoint, so a user can tell which version of their manuscript or image folder
a model learned from, and so resume can warn when the data changed underneath a run.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def data_fingerprint(source: Path) -> str:
    digest = hashlib.sha256()
    source = Path(source)
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    for file in files:
        if any(part.startswith(".") for part in file.relative_to(source.parent).parts):
            continue
        digest.update(str(file.relative_to(source.parent if source.is_file() else source)).encode())
        digest.update(b"\0")
        try:
            with open(file, "rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()[:32]
