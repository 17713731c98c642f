"""The export job: progress, cancel and a one-line refusal, like every other job.

The source is a transformers model folder, or a model of Studio's library (a name, a run, a
checkpoint folder). Formats:

- ``gguf``: one GGUF file (F16 or Q8_0) and an Ollama ``Modelfile`` beside it, from a
  llama-family transformers folder. A library model is first written ``merged`` into a scratch
  folder beside the target, so the file holds the fine-tuned weights;
- ``merged`` (a transformers folder with any adapter merged in, and the tokenizer) and ``adapter``
  (a PEFT adapter folder): written by the model's generator, which knows what its model is made
  of, through its optional ``export_model(model, fmt, folder, context)`` method. A generator
  without one, or one that refuses the format, says so in one line.

Folders are written under a temporary name beside the target and renamed into place; an earlier
export of the same name is only replaced once the new one is complete.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from studio.api import RunContext
from studio.engine.events import Event, Finished, Log, Progress, Started
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.store.atomic import fsync_dir, fsync_tree
from studio.engine.store.checkpoints import MANIFEST
from studio.engine.store.runs import RUN_FILE

from .gguf_file import GGUFExport, gguf_writing
from .modelfile import write_modelfile
from .refusals import ExportRefused, check_gguf_type

FORMATS = ("gguf", "merged", "adapter")


class ExportJob(Job):
    """Export ``source`` (a model folder, or a library model with ``host`` and ``home``)."""

    kind = "export"

    def __init__(
        self,
        source: Path | str,
        out: Path | str,
        fmt: str,
        gguf_type: str = "f16",
        *,
        host: PluginHost | None = None,
        home: Home | None = None,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.source = Path(source).expanduser()
        self.reference = str(source)
        self.out = Path(out).expanduser()
        self.fmt = fmt
        self.gguf_type = gguf_type
        self.host, self.home = host, home
        self.title = f"Export {self.source.name} as {fmt}"

    def body(self) -> Iterator[Event]:
        if self.fmt not in FORMATS:
            raise ExportRefused(f"unknown export format '{self.fmt}': one of {', '.join(FORMATS)}")
        if self.fmt == "gguf":
            check_gguf_type(self.gguf_type)
        plain = (self.source / "config.json").is_file()
        if plain and self.fmt != "gguf":
            raise ExportRefused(
                f"{self.source} is already a transformers folder (what 'merged' writes); "
                "export it as gguf, or export a fine-tuned library model as merged or adapter"
            )
        studio_folder = any((self.source / name).is_file() for name in (MANIFEST, RUN_FILE))
        no_library = self.host is None or self.home is None
        if not plain and (no_library or (self.source.is_dir() and not studio_folder)):
            raise ExportRefused(f"{self.source} is not a transformers model folder: no config.json")
        out = self.out
        if self.fmt == "gguf" and (out.is_dir() or not out.suffix):
            out = out / f"{self.source.name}-{self.gguf_type}.gguf"  # a folder: name the file
        yield Started(self.kind, self.title)
        if plain:
            result = yield from self._gguf(self.source, out)
            yield from self._finish_gguf(result)
            return
        model, generator = self._load()
        if self.fmt != "gguf":
            folder = self._by_generator(generator, model, self.fmt, out)
            yield Log(f"wrote {folder}")
            yield Finished({"path": str(folder), "format": self.fmt})
            return
        scratch = out.parent / f".{out.name}.merged-{uuid.uuid4().hex[:8]}"
        try:
            yield Log("merging the model into a transformers folder first")
            self._by_generator(generator, model, "merged", scratch)
            result = yield from self._gguf(scratch, out)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        yield from self._finish_gguf(result)

    def _load(self):
        from studio.engine.device.devices import resolve_device
        from studio.engine.store import checkpoints as ckpt
        from studio.engine.store.library import resolve_checkpoint

        checkpoint = resolve_checkpoint(self.home, self.reference)
        generator = self.host.generator(checkpoint.generator_id)
        self.generator_id = generator.id  # its exporter's failures count against its plugin
        if not hasattr(generator, "export_model"):
            raise ExportRefused(f"{generator.name} models cannot be exported: it has no exporter")
        model = ckpt.load_model(generator, checkpoint, resolve_device("cpu"), self.home.base_models)
        model.module.eval()
        return model, generator

    def _by_generator(self, generator, model, fmt: str, out: Path) -> Path:
        """The generator writes ``fmt`` into a fresh folder, which then takes ``out``'s place."""
        import torch

        out.parent.mkdir(parents=True, exist_ok=True)
        temp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
        temp.mkdir()
        try:
            context = RunContext(device=torch.device("cpu"), log=lambda _message: None)
            with torch.no_grad():
                generator.export_model(model, fmt, temp, context)
            fsync_tree(temp)
            _replace_folder(temp, out)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        return out

    def _gguf(self, folder: Path, out: Path):
        steps = gguf_writing(folder, out, self.gguf_type, name=out.stem)
        try:
            while True:
                done, total = next(steps)
                yield Progress(done, total)
                if self.cancel_token.cancelled:
                    steps.close()  # removes the temporary file
                    self.check_cancel()
        except StopIteration as stop:
            return stop.value

    def _finish_gguf(self, result: GGUFExport) -> Iterator[Event]:
        write_modelfile(result.path, result.chat_template, result.stops)
        yield Log(f"wrote {result.path} ({result.bytes / 2**20:.1f} MiB) and its Modelfile")
        yield Finished(
            {
                "path": str(result.path),
                "format": "gguf",
                "gguf_type": result.gguf_type,
                "bytes": result.bytes,
                "modelfile": str(result.path.parent / "Modelfile"),
            }
        )


def _replace_folder(new: Path, out: Path) -> None:
    """Give ``new`` the name ``out``; an existing ``out`` is set aside first, removed after."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
    os.rename(new, out)
    fsync_dir(out.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
