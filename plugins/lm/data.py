"""A writer's files as training windows for a pretrained model.

Each file is read with Studio's corpus reader (same encodings, same per-file report as ``gpt``),
tokenized with the model's own tokenizer, and the documents are joined with its end-of-text
token, so the model learns where one piece of writing ends. Held out for validation: whole files
when there are several (the model is judged on text it never saw), the tail of the text otherwise.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from studio.api import DataError, DataReport, TrainData
from studio.api.text import find_files, read_corpus

from .tokens import HFTokens


class Windows:
    """Item i: ``context + 1`` tokens starting at ``i * stride`` (inputs, and targets shifted).

    With ``tail`` the last, shorter window is served too, so held-out scoring sees every token.
    """

    def __init__(
        self, tokens: torch.Tensor, context: int, stride: int = 1, tail: bool = False
    ) -> None:
        self.tokens = tokens
        self.context = context
        self.stride = stride
        self.tail = tail

    def __len__(self) -> int:
        if self.tail:
            return max(0, math.ceil((len(self.tokens) - 1) / self.stride))
        return max(0, (len(self.tokens) - self.context - 1) // self.stride + 1)

    def __getitem__(self, index: int) -> torch.Tensor:
        start = index * self.stride
        return self.tokens[start : start + self.context + 1]


def read_documents(source: Path, encoding: str, report: DataReport) -> list[str]:
    """Each usable file's text, in order; skipped files are in ``report``."""
    documents = []
    for file in find_files(source):
        try:
            documents.append(read_corpus(file, encoding, report))
        except DataError:
            continue  # read_corpus recorded why the file was skipped
    if not documents:
        reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in report.skipped)
        raise DataError(f"no usable text in {source}" + (f" ({reasons})" if reasons else ""))
    return documents


def join(documents: list[str], tokens: HFTokens) -> list[int]:
    ids: list[int] = []
    for text in documents:
        ids += tokens.encode(text)
        if tokens.eos_id is not None:
            ids.append(tokens.eos_id)
    return ids


def load_windows(
    source: Path, params: dict[str, Any], tokens: HFTokens, context: int, report: DataReport
) -> TrainData:
    documents = read_documents(source, params["encoding"], report)
    fraction = params["val_fraction"]
    if len(documents) > 1 and fraction > 0:
        held = max(1, math.ceil(len(documents) * fraction))
        held = min(held, len(documents) - 1)
        train_ids, val_ids = join(documents[:-held], tokens), join(documents[-held:], tokens)
        report.note(f"held out for validation: the last {held} of {len(documents)} files")
    else:
        ids = join(documents, tokens)
        cut = len(ids) - int(len(ids) * fraction)
        train_ids, val_ids = ids[:cut], ids[cut:]
        if fraction > 0:
            report.note(f"held out for validation: the last {fraction:.0%} of the text")
    if len(train_ids) <= context:
        raise DataError(
            f"the training text is {len(train_ids)} tokens, no longer than the context of "
            f"{context}: add text or lower the context"
        )
    validation = None
    if len(val_ids) > 1:
        # Validation windows do not overlap, so every held-out token is scored once.
        validation = Windows(torch.tensor(val_ids, dtype=torch.long), context, context, tail=True)
    else:
        report.note("too little held-out text: validation loss is not measured")
    report.stats.update(
        documents=len(documents),
        characters=sum(len(d) for d in documents),
        train_tokens=len(train_ids),
        val_tokens=len(val_ids),
        context=context,
    )
    train = Windows(torch.tensor(train_ids, dtype=torch.long), context)
    return TrainData(train=train, validation=validation, report=report)
