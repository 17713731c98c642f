"""Text corpora for any text plugin: a writer's file, or a folder of .txt and .md files.

Files are read as UTF-8 (a byte-order mark is dropped; a UTF-16 or UTF-32 one is honoured). A
file in another encoding is skipped and reported with its name and the byte offset of the first
bad byte, unless the user names the encoding to use. Every other file in a folder (unreadable,
not a regular file, a link out of it, binary) is reported too. Plugins tokenize the text.

Import this module explicitly (``from studio.api import text``); it imports no torch.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from .data import DataReport
from .errors import DataError, ParamError

SUFFIXES = (".txt", ".md")
# Files are joined with a blank line so one file's last sentence does not run into the next.
SEPARATOR = "\n\n"


def find_files(source: Path, report: DataReport | None = None) -> list[Path]:
    """The text files to read under ``source``; every other entry is reported with its reason.

    Only regular files inside the folder are read: a link is followed only when it leads to a
    regular file inside ``source`` (never out of it, never to a device, a FIFO or nowhere).
    """
    if not source.is_dir():
        return [source]
    root = source.resolve()
    files = []
    for folder, dirs, names in os.walk(source):
        for name in sorted(dirs):
            if name.startswith(".") or os.path.islink(os.path.join(folder, name)):
                dirs.remove(name)  # not walked into: said once, not once per file inside
                why = "a hidden folder" if name.startswith(".") else "a link to a folder"
                if report is not None:
                    report.skip(Path(folder, name), f"{why}; nothing in it is read")
        dirs.sort()
        for name in sorted(names):
            path = Path(folder, name)
            reason = _unusable(path, root)
            if reason is None:
                files.append(path)
            elif report is not None:
                report.skip(path, reason)
    return sorted(files)


def _unusable(path: Path, root: Path) -> str | None:
    """Why ``path`` is not read, or None to read it."""
    try:
        if path.is_symlink():
            target = path.resolve()
            if not target.exists():
                return "a link to nothing (dangling)"
            if root not in target.parents:
                return f"a link out of the folder (to {target})"
        mode = path.stat().st_mode
    except OSError as error:
        return f"unreadable ({error.strerror or error})"
    if not stat.S_ISREG(mode):
        return f"not a regular file ({_kind(mode)})"
    if path.name.startswith("."):
        return "a hidden file"
    if path.suffix.lower() not in SUFFIXES:
        return f"not a text file Studio reads (only {' and '.join(SUFFIXES)})"
    return None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "a special file"


def decode(raw: bytes, codec: str) -> str:
    """``raw`` as text: a UTF-16 or UTF-32 byte-order mark wins over ``codec``."""
    # UTF-32's little-endian mark begins with UTF-16's: test the longer marks first.
    boms = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    for bom, name in zip(boms, ("utf-32", "utf-32", "utf-16", "utf-16"), strict=True):
        if raw.startswith(bom):
            return raw.decode(name)
    if b"\x00" in raw:
        raise ValueError("binary")
    return raw.decode(codec)


def read_corpus(source: Path, encoding: str, report: DataReport) -> str:
    """All usable text under ``source``, joined; raises :class:`DataError` if there is none.

    Every file is either used or reported with its reason: unreadable, not a regular file, a
    link out of the folder, binary (NUL bytes), not in the encoding, empty.
    """
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ParamError("encoding", f"unknown text encoding {encoding!r}") from None
    if codec == "utf-8":
        codec = "utf-8-sig"  # reads plain UTF-8 too, and drops a BOM
    files = find_files(source, report)
    if not files:
        raise DataError(f"no .txt or .md files in {source}")
    texts = []
    for file in files:
        text = _read_one(file, codec, encoding, report)
        if text is None:
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


def _read_one(file: Path, codec: str, encoding: str, report: DataReport) -> str | None:
    try:
        raw = file.read_bytes()
    except OSError as error:
        report.skip(file, f"unreadable ({error.strerror or error})")
        return None
    try:
        return decode(raw, codec)
    except UnicodeDecodeError as error:
        bad = raw[error.start : error.start + 1].hex()
        report.skip(
            file,
            f"not {encoding} text: byte 0x{bad} at byte offset {error.start} "
            # Read in the window and on the command line alike: name the parameter, both ways.
            "(set the Encoding parameter to the file's encoding, e.g. cp1252 or latin-1; "
            "on the command line: --set encoding=cp1252)",
        )
    except ValueError:
        report.skip(file, "binary: it holds NUL bytes, which text never does")
    return None
