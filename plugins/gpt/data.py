"""Reading a writer's corpus: a file, or a folder of .txt and .md files searched recursively.

Files are read as UTF-8 (a byte-order mark is dropped). A file in another encoding is skipped and
reported with its name and the byte offset of the first bad byte, unless the user names the
encoding to use. The text is tokenized, split into training and held-out validation tokens, and
served to the engine as fixed-length windows.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import torch

from studio.api import DataError, DataReport, ParamError

from .tokenizer import Tokenizer

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
                "(name its encoding with --set encoding=..., e.g. cp1252 or latin-1)",
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


class Windows:
    """Item i: tokens ``i .. i + block_size`` (inputs and, shifted by one, targets) as one row.

    One tensor per example keeps the engine's batching to a single ``torch.stack``.
    """

    def __init__(self, tokens: torch.Tensor, block_size: int) -> None:
        self.tokens = tokens
        self.block_size = block_size
        self.tokenizer: Tokenizer | None = None  # the tokenizer that made ``tokens``

    def __len__(self) -> int:
        return max(0, len(self.tokens) - self.block_size)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.tokens[index : index + self.block_size + 1]


def split_tokens(
    tokens: list[int], block_size: int, val_fraction: float, report: DataReport
) -> tuple[Windows, Windows | None]:
    """Training windows from the first part of the text, validation from the last part."""
    if len(tokens) <= block_size:
        raise DataError(
            f"the corpus is {len(tokens)} tokens long, no longer than the context of "
            f"{block_size} tokens: add text, or train with a smaller block_size"
        )
    ids = torch.tensor(tokens, dtype=torch.long)
    n_val = int(len(ids) * val_fraction)
    # Validation needs at least one window, and training must keep one too.
    if n_val <= block_size or len(ids) - n_val <= block_size:
        report.note(
            f"too little text for a held-out split ({len(ids)} tokens, context {block_size}): "
            "validation loss is not measured"
        )
        return Windows(ids, block_size), None
    train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val :]
    report.stats.update(train_tokens=len(train), val_tokens=len(val))
    return Windows(train, block_size), Windows(val, block_size)
