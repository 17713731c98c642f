"""Finding the models other apps already keep on this machine, without touching them.

Each place is one small rule module with a ``NAME``, ``roots(env, home)`` (where that app keeps
models, honouring its environment variables) and ``scan(root, budget)`` (the models in it):

    huggingface  the Hugging Face hub cache (snapshots linked to blobs)
    lmstudio     LM Studio's models folder
    ollama       Ollama's store (manifests naming GGUF blobs by digest)
    gpt4all      GPT4All's models folder
    jan          Jan's models folder

Scanning reads only, stops when its time budget is spent, skips unfinished downloads and never
follows a link out of a store (walk.py). Each found model is then judged: the generators are
asked whether they would import it (``Generator.accepts_import``), so what Studio can do with a
model is decided by the installed plugins, not here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import Generator

from . import gpt4all, huggingface, jan, lmstudio, ollama
from .describe import describe_gguf
from .found import Budget, FoundModel

RULES = (huggingface, lmstudio, ollama, gpt4all, jan)
DEFAULT_SECONDS = 10.0


@dataclass
class Scan:
    models: list[FoundModel]
    searched: list[str] = field(default_factory=list)  # the store folders that exist
    truncated: bool = False  # the time budget ran out before every store was read

    def to_json(self) -> dict[str, Any]:
        return {
            "models": [m.to_json() for m in self.models],
            "searched": self.searched,
            "truncated": self.truncated,
        }


def find_models(
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    seconds: float = DEFAULT_SECONDS,
) -> Scan:
    """Every model the rules find under the user's stores, each described from its header."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home()) if home is None else home
    budget = Budget(seconds)
    scan = Scan([])
    seen: set[Path] = set()
    for rule in RULES:
        for root in rule.roots(env, home):
            if budget.spent() or not root.is_dir():
                continue
            scan.searched.append(str(root))
            for model in rule.scan(root, budget):
                key = model.path.resolve()
                if key in seen:
                    continue
                seen.add(key)
                if model.format == "gguf":
                    describe_gguf(model)
                scan.models.append(model)
                if budget.spent():
                    break
    scan.truncated = budget.exhausted
    return scan


def judge(models: Iterable[FoundModel], generators: Iterable[Any]) -> None:
    """Say for each model what Studio can do with it, asking each generator in turn."""
    generators = list(generators)
    for model in models:
        if model.problem:
            model.reason = model.problem
            continue
        refusals = []
        for generator in generators:
            reason = _ask(generator, model.path)
            if reason is None:
                model.generator = generator.id
                model.can_generate = True
                model.can_fine_tune = _trains(generator)
                can = "generate and fine-tune" if model.can_fine_tune else "generate"
                model.reason = f"imports into {generator.name}: {can}"
                break
            if reason != _NOT_IMPORTABLE:
                refusals.append(reason)
        else:
            model.reason = "; ".join(refusals) or "no installed generator imports models"


def _ask(generator: Any, path: Path) -> str | None:
    """The generator's answer for ``path``; a plugin that raises refuses, saying so, and the
    other models and generators are still judged."""
    accepts = getattr(generator, "accepts_import", None)
    if accepts is None:
        return _NOT_IMPORTABLE
    try:
        return accepts(path)
    except Exception as error:
        return f"{generator.name} could not tell ({type(error).__name__}: {error})"


def _trains(generator: Any) -> bool:
    """Whether the generator brings its own trainer (the base class's raises)."""
    return type(generator).create_trainer is not Generator.create_trainer


def _not_importable() -> str:
    import studio.api as api

    return getattr(api, "NOT_IMPORTABLE", "this generator does not import models")


_NOT_IMPORTABLE = _not_importable()

__all__ = ["RULES", "Budget", "FoundModel", "Scan", "find_models", "judge"]
