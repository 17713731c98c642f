"""Text corpora for any text plugin: a writer's file, or a folder of .txt and .md files.

Files are read as UTF-8 (a byte-order mark is dropped). A file in another encoding is skipped and
reported with its name and the byte offset of the first bad byte, unless the user names the
encoding to use. Plugins tokenize the joined text themselves.

Import this module explicitly (``from studio.api import text``); it imports no torch.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from .data import DataReport
from .errors import DataError, ParamError

SUFFIXES = (".txt", ".md")
# Files are joined with a blank line so one file's last sentence does not run into the next.
SEPARATOR = "\n\n"


def find_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    files = [
        p
        for p in source.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    ]
    return sorted(files)


def read_corpus(source: Path, encoding: str, report: DataReport) -> str:
    """All usable text under ``source``, joined; raises :class:`DataError` if there is none."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ParamError("encoding", f"unknown text encoding {encoding!r}") from None
    if codec == "utf-8":
        codec = "utf-8-sig"  # reads plain UTF-8 too, and drops a BOM
    files = find_files(source)
    if not files:
        raise DataError(f"no .txt or .md files in {source}")
    texts = []
    for file in files:
        raw = file.read_bytes()
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 1].hex()
            report.skip(
                file,
                f"not {encoding} text: byte 0x{bad} at byte offset {error.start} "
                # Read in the window and on the command line alike: name the parameter, both ways.
                "(set the Encoding parameter to the file's encoding, e.g. cp1252 or latin-1; "
                "on the command line: --set encoding=cp1252)",
            )
            continue
        if not text.strip():
            report.skip(file, "empty")
            continue
        texts.append(text)
        report.use(file)
    if not texts:
        reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in report.skipped)
        raise DataError(f"the corpus at {source} has no usable text ({reasons})")
    return SEPARATOR.join(texts)
