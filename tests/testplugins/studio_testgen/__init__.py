"""Studio's test generators: tiny, deterministic, real torch models that run on the CPU in
milliseconds, so the whole engine, command line and window can be exercised end to end.

``tinychar`` is a character-level text model (with dropout, so exact resume must restore random
state); ``tinypix`` learns small greyscale images. Torch is imported inside methods only, as every
plugin should, so discovering this plugin stays cheap.

``tinychar`` also imports ``*.tinychar`` files (JSON; see :meth:`TinyChar.import_model`), so the
tests can watch a third-party import: which process ran it, one that takes its time, one that
crashes. ``STUDIO_TESTGEN_STARTUP_LOG`` names a file that each ``startup`` call adds a line to.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.api import (
    NOT_IMPORTABLE,
    DataError,
    DataReport,
    GenerateRequest,
    Generator,
    ImportedModel,
    ModelHandle,
    Param,
    RunContext,
    Schema,
    TextChunk,
    TrainData,
    hookimpl,
)

STUDIO_API_VERSION = 1

if os.environ.get("STUDIO_TESTGEN_HANG_AT_IMPORT"):
    # A plugin that never finishes importing (tests cancel an isolated job stuck here).
    time.sleep(3600)

_LOOP = {
    "steps": 40,
    "batch_size": 8,
    "checkpoint_every": 10,
    "preview_every": 10,
    "eval_every": 10,
}


class TinyChar(Generator):
    id = "tinychar"
    name = "Tiny character model (test)"
    modality = "text"
    version = "1.0"
    description = "A few thousand parameters that learn which character comes next."
    takes_prompt = True
    generate_params = Schema(
        [
            Param("max_new_chars", "int", 40, "characters to write", minimum=1, maximum=100_000),
            Param("temperature", "float", 1.0, "randomness", minimum=0.0, maximum=5.0),
            Param("delay_ms", "int", 0, "sleep per character (tests)", minimum=0, advanced=True),
            Param(
                "exit_after",
                "int",
                0,
                "sys.exit(0) after N characters (tests)",
                minimum=0,
                advanced=True,
            ),
        ]
    )
    train_params = Schema(
        [
            Param("context", "int", 4, "characters seen before each guess", minimum=1, maximum=64),
            Param("hidden", "int", 32, "hidden units", minimum=2, maximum=4096),
            Param("lr", "float", 0.01, "learning rate", minimum=1e-6, maximum=1.0, log_scale=True),
            Param("dropout", "float", 0.1, "dropout", minimum=0.0, maximum=0.9),
            Param("step_delay_ms", "int", 0, "sleep per step (tests)", minimum=0, advanced=True),
            Param(
                "fail_with",
                "choice",
                "error",
                "what the planned failure raises (tests)",
                # The crashes and the hang kill or stall the whole process: isolated jobs only.
                # "sys-exit" raises SystemExit, which the job catches: in-process too.
                choices=(
                    "error",
                    "out-of-memory",
                    "segfault",
                    "abort",
                    "exit",
                    "sigkill",
                    "hang",
                    "sys-exit",
                ),
                advanced=True,
            ),
            Param(
                "fail_at_step",
                "int",
                0,
                "raise at this step (tests; 0: never)",
                minimum=0,
                advanced=True,
            ),
        ]
    )
    loop_defaults = _LOOP

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        from .tiny_models import CharWindows

        files = [source] if source.is_file() else sorted(source.rglob("*.txt"))
        text = ""
        for file in files:
            try:
                text += file.read_text(encoding="utf-8")
                report.use(file)
            except UnicodeDecodeError as error:
                report.skip(file, f"not UTF-8 (byte {error.start})")
        if not text:
            raise DataError(f"no text found in {source}")
        vocab = model.config["vocab"] if model else sorted(set(text))
        context = model.config["context"] if model else params["context"]
        known = set(vocab)
        text = "".join(ch for ch in text if ch in known)
        if len(text) <= context + 1:
            raise DataError(f"the text is shorter than the context ({context} characters)")
        cut = max(context + 2, int(len(text) * 0.9))
        report.stats["characters"] = len(text)
        report.stats["vocab"] = vocab
        return TrainData(
            train=CharWindows(text[:cut], vocab, context),
            validation=CharWindows(text[cut - context - 1 :], vocab, context)
            if len(text) - cut > 2
            else None,
            report=report,
        )

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        vocab = data.report.stats["vocab"] if data else [chr(c) for c in range(32, 127)] + ["\n"]
        config = {
            "vocab": vocab,
            "context": params["context"],
            "hidden": params["hidden"],
            "dropout": params["dropout"],
        }
        return self.load_model(config, {})

    def load_model(self, config: dict[str, Any], assets: dict[str, bytes]) -> ModelHandle:
        from .tiny_models import CharMLP

        module = CharMLP(
            len(config["vocab"]), config["context"], config["hidden"], config["dropout"]
        )
        return ModelHandle(module, config)

    def create_trainer(self, model, data, params, context):
        from .tiny_models import CharTrainer

        return CharTrainer(model, data, params, context)

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[TextChunk]:
        from .tiny_models import sample_chars

        yield from sample_chars(model, request, context)

    def accepts_import(self, path: Path) -> str | None:
        return None if path.suffix == ".tinychar" and path.is_file() else NOT_IMPORTABLE

    def import_model(self, path: Path, store_dir: Path, context: RunContext) -> ImportedModel:
        """A ``.tinychar`` file is JSON: ``seconds`` to take, ``crash`` an exit code to die with
        (os._exit, half-way through writing), ``name`` the model's suggested name."""
        spec = json.loads(path.read_text(encoding="utf-8"))
        (store_dir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        if spec.get("crash") is not None:
            os._exit(int(spec["crash"]))
        time.sleep(float(spec.get("seconds", 0)))
        context.log(f"imported by process {os.getpid()}")
        config = {"vocab": list("abc "), "context": 4, "hidden": 8, "dropout": 0.0}
        info = {"name": spec.get("name", path.stem), "architecture": "tinychar"}
        return ImportedModel(config, info={**info, "importer_pid": os.getpid()})


class TinyPix(Generator):
    id = "tinypix"
    name = "Tiny pixel model (test)"
    modality = "image"
    version = "1.0"
    description = "Learns 8x8 greyscale images from noise."
    generate_params = Schema([Param("brightness", "float", 1.0, "scale", minimum=0.0, maximum=2.0)])
    train_params = Schema(
        [
            Param("size", "int", 8, "image side", minimum=4, maximum=32),
            Param("latent", "int", 4, "noise dimensions", minimum=1, maximum=64),
            Param("lr", "float", 0.02, "learning rate", minimum=1e-6, maximum=1.0, log_scale=True),
        ]
    )
    loop_defaults = _LOOP

    def load_data(self, source, params, model, report):
        from .tiny_models import read_images

        size = model.config["size"] if model else params["size"]
        return TrainData(train=read_images(source, size, report), report=report)

    def create_model(self, params, data):
        return self.load_model({"size": params["size"], "latent": params["latent"]}, {})

    def load_model(self, config, assets):
        from .tiny_models import PixNet

        return ModelHandle(PixNet(config["latent"], config["size"]), config)

    def create_trainer(self, model, data, params, context):
        from .tiny_models import PixTrainer

        return PixTrainer(model, params, context)

    def generate(self, model, request, context):
        from .tiny_models import sample_images

        yield from sample_images(model, request, context)


@hookimpl
def register_generators() -> list[Generator]:
    return [TinyChar(), TinyPix()]


@hookimpl
def startup(home: Path) -> None:
    log = os.environ.get("STUDIO_TESTGEN_STARTUP_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")
