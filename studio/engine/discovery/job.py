"""The scan as a job, so the window runs it off its UI thread.

Finding the models is file reading under a time budget, and judging them asks every generator
(``lm`` reads GGUF headers and imports transformers to do it): seconds of work that need no
device, so the job runs on the window's side lane, beside any training. Its result also says
which found models are already in the library (imported from that very path), so the window
offers no second import of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from studio.engine.events import Event, Finished, Log, Result, Started
from studio.engine.home import Home
from studio.engine.importing import imported_sources
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost

from . import DEFAULT_SECONDS, Scan, find_models, judge
from .found import FoundModel

# Characters a library model's folder name cannot hold on some system (Windows is the strictest).
UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
# File stems that say nothing: Jan keeps ``MODEL_ID/model.gguf``.
GENERIC_STEMS = {"model", "ggml-model", "weights"}


@dataclass(frozen=True)
class FoundModels(Result):
    scan: Scan
    #: found model path -> the library model already imported from it
    in_library: dict[str, str] = field(default_factory=dict)
    seconds: float = DEFAULT_SECONDS  # the time budget the scan had


class FindModelsJob(Job):
    kind = "find-models"
    title = "Find models on this computer"
    needs_device = False  # reads headers of files on disk: runs beside a training

    def __init__(
        self,
        host: PluginHost,
        home: Home,
        *,
        env: Mapping[str, str] | None = None,
        seconds: float = DEFAULT_SECONDS,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.host, self.home, self.env, self.seconds = host, home, env, seconds

    def body(self) -> Iterator[Event]:
        yield Started(self.kind, self.title)
        scan = find_models(self.env, seconds=self.seconds)
        self.check_cancel()
        yield Log(f"{len(scan.models)} models in {len(scan.searched)} folders; judging them")
        judge(scan.models, self.host.generators.values())
        sources = imported_sources(self.home)
        in_library = {}
        for model in scan.models:
            name = sources.get(str(model.path.resolve()))
            if name is not None:
                in_library[str(model.path)] = name
        yield Finished(FoundModels(scan, in_library, self.seconds))


def library_name(model: FoundModel) -> str:
    """The name a found model gets in the library: the app's own name for it, made plain.

    ``org/SmolLM2-135M`` -> ``SmolLM2-135M``; ``pub/repo/Tiny-Q4_K_M.gguf`` -> ``Tiny-Q4_K_M``;
    Ollama's ``llama3.2:1b`` -> ``llama3.2-1b`` (``:latest`` dropped); Jan's
    ``qwen-0.5b/model`` -> ``qwen-0.5b``. An Ollama blob or a hub snapshot folder is named by a
    hash on disk, which is why the path's own name is not used.
    """
    parts = [part for part in model.name.replace("\\", "/").split("/") if part]
    last = parts[-1] if parts else model.path.stem
    if last.lower().endswith(".gguf"):
        last = last[: -len(".gguf")]
    if last.lower() in GENERIC_STEMS and len(parts) > 1:
        last = parts[-2]
    last = last.removesuffix(":latest")
    return UNSAFE.sub("-", last).strip("-.") or "model"
