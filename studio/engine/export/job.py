"""The export job: progress, cancel and a one-line refusal, like every other job.

Formats:

- ``gguf``: a transformers llama-family folder as one GGUF file (F16 or Q8_0) and an Ollama
  ``Modelfile`` beside it;
- ``merged`` and ``adapter`` belong to fine-tuned library models (a base model plus a LoRA
  adapter); a plain transformers folder is already what ``merged`` would write, so for one of
  those the job says so and points to ``gguf``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from studio.engine.events import Event, Finished, Log, Progress, Started
from studio.engine.jobs import Job

from .gguf_file import gguf_writing
from .modelfile import write_modelfile
from .refusals import ExportRefused, check_gguf_type

FORMATS = ("gguf", "merged", "adapter")


class ExportJob(Job):
    """Export the model folder ``source`` as ``fmt`` to ``out``."""

    kind = "export"

    def __init__(self, source: Path | str, out: Path | str, fmt: str, gguf_type: str = "f16"):
        super().__init__()
        self.source = Path(source).expanduser()
        self.out = Path(out).expanduser()
        self.fmt = fmt
        self.gguf_type = gguf_type
        self.title = f"Export {self.source.name} as {fmt}"

    def body(self) -> Iterator[Event]:
        if self.fmt not in FORMATS:
            raise ExportRefused(f"unknown export format '{self.fmt}': one of {', '.join(FORMATS)}")
        if self.fmt != "gguf":
            raise ExportRefused(
                f"'{self.fmt}' export is made by the model's generator from a library model; "
                f"{self.source} is a plain folder, already a transformers model: export it as gguf"
            )
        check_gguf_type(self.gguf_type)
        if not (self.source / "config.json").is_file():
            raise ExportRefused(f"{self.source} is not a transformers model folder: no config.json")
        out = self.out
        if out.is_dir() or not out.suffix:  # a folder: the file takes the model's name and type
            out = out / f"{self.source.name}-{self.gguf_type}.gguf"
        yield Started(self.kind, self.title)
        result = yield from self._gguf(self.source, out)
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
