"""Rule: LM Studio's models folder.

Where: ``~/.lmstudio/models`` (LM Studio 0.3 and later), ``~/.cache/lm-studio/models`` (earlier
versions). A folder moved in LM Studio's settings is not followed; import it by path instead.

Layout: ``PUBLISHER/REPOSITORY/FILE.gguf``, and MLX models as transformers-shaped folders
(``config.json`` + safetensors) at the same depth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from .describe import describe_folder
from .found import Budget, FoundModel
from .walk import files_below, folders_with

NAME = "lmstudio"


def roots(env: Mapping[str, str], home: Path) -> list[Path]:
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def scan(root: Path, budget: Budget) -> Iterator[FoundModel]:
    for file in files_below(root, root, budget, ".gguf", 3):
        yield FoundModel(NAME, str(file.relative_to(root)), file, "gguf")
    for folder in folders_with(root, root, budget, "config.json", 3):
        model = describe_folder(
            FoundModel(NAME, str(folder.relative_to(root)), folder, "transformers"), root
        )
        if model is not None:
            yield model
