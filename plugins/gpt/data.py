"""A writer's corpus as training windows: the text (read by ``studio.api.text``) is tokenized,
split into training and held-out validation tokens, and served to the engine as fixed-length
windows.
"""

from __future__ import annotations

import torch

from studio.api import DataError, DataReport


class Windows:
    """Item i: tokens ``i .. i + block_size`` (inputs and, shifted by one, targets) as one row.

    One tensor per example keeps the engine's batching to a single ``torch.stack``.
    """

    def __init__(self, tokens: torch.Tensor, block_size: int) -> None:
        self.tokens = tokens
        self.block_size = block_size

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
