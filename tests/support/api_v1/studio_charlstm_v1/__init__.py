"""A frozen copy of examples/studio-charlstm as it stood at plugin API 1.0 (2026-11-23): tests/
test_harness.py checks that a plugin written then still trains and generates unchanged. Never
edit it to follow API changes; that is the point of it.

charlstm: a character-level LSTM text generator for Studio.

Listing plugins imports this module, so it holds only the generator's description; the torch code
is in ``lstm.py`` and is imported inside the methods, when a job needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.api import (
    DataError,
    DataReport,
    GenerateRequest,
    Generator,
    ModelHandle,
    Param,
    RunContext,
    Schema,
    TextChunk,
    TrainData,
    Trainer,
    hookimpl,
)

STUDIO_API_VERSION = 1

# Printable ASCII and a newline: the alphabet of a model made without data.
BLANK_VOCAB = [chr(c) for c in range(32, 127)] + ["\n"]
# Studio's loop parameters, with this generator's defaults.
LOOP_DEFAULTS = {
    "steps": 2000,
    "batch_size": 32,
    "eval_every": 100,
    "preview_every": 250,
    "checkpoint_every": 500,
}


class CharLSTM(Generator):
    id = "charlstm"
    name = "Character LSTM"
    modality = "text"
    version = "1.0"
    description = (
        "A recurrent network that reads and writes one character at a time; learns a voice "
        "from a few hundred kilobytes of text and trains quickly on a CPU."
    )
    takes_prompt = True
    generate_params = Schema(
        [
            Param("length", "int", 300, "characters to write", minimum=1, maximum=100_000),
            Param("temperature", "float", 0.8, "randomness", minimum=0.0, maximum=3.0),
            Param(
                "top_k", "int", 0, "pick among the k likeliest (0: all)", minimum=0, advanced=True
            ),
        ]
    )
    train_params = Schema(
        [
            Param("seq_len", "int", 64, "characters per sequence", minimum=2, maximum=4096),
            Param("embed", "int", 32, "size of each character's vector", minimum=2, maximum=1024),
            Param("hidden", "int", 256, "LSTM memory size", minimum=2, maximum=8192),
            Param("layers", "int", 2, "stacked LSTM layers", minimum=1, maximum=8),
            Param("dropout", "float", 0.1, "dropout between layers", minimum=0.0, maximum=0.9),
            Param("lr", "float", 2e-3, "learning rate", minimum=1e-6, maximum=1.0, log_scale=True),
            Param("clip", "float", 1.0, "gradient norm clip (0: off)", minimum=0.0, advanced=True),
        ]
    )
    loop_defaults = LOOP_DEFAULTS

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        from .lstm import CharSequences

        files = [source] if source.is_file() else sorted(source.rglob("*.txt"))
        parts = []
        for file in files:
            try:
                parts.append(file.read_text(encoding="utf-8"))
                report.use(file)
            except UnicodeDecodeError as error:
                report.skip(file, f"not UTF-8 text (byte {error.start})")
        text = "".join(parts)
        # Fine-tuning keeps the model's alphabet (its embedding rows); characters outside it are
        # dropped and counted, so the report says how much of the data the model can see.
        vocab = model.config["vocab"] if model else sorted(set(text))
        known = set(vocab)
        kept = "".join(ch for ch in text if ch in known)
        report.stats.update(characters=len(kept), dropped=len(text) - len(kept), vocab=vocab)
        seq_len = params["seq_len"]
        if len(kept) < seq_len + 2:
            raise DataError(
                f"{source}: {len(kept)} usable characters, fewer than one training sequence "
                f"({seq_len + 1}); add text or lower seq_len"
            )
        cut = max(seq_len + 2, int(len(kept) * 0.9))
        tail = kept[cut - seq_len - 1 :]
        return TrainData(
            train=CharSequences(kept[:cut], vocab, seq_len),
            validation=CharSequences(tail, vocab, seq_len) if len(tail) > seq_len + 1 else None,
            report=report,
        )

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        config = {
            "vocab": data.report.stats["vocab"] if data else BLANK_VOCAB,
            "embed": params["embed"],
            "hidden": params["hidden"],
            "layers": params["layers"],
            "dropout": params["dropout"],
        }
        return self.load_model(config, {})

    def load_model(self, config: dict[str, Any], assets: dict[str, bytes]) -> ModelHandle:
        from .lstm import LSTMModel

        sizes = (config["embed"], config["hidden"], config["layers"])
        module = LSTMModel(len(config["vocab"]), *sizes, config["dropout"])
        return ModelHandle(module, config)

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        from .lstm import LSTMTrainer

        return LSTMTrainer(model, data, params, context)

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[TextChunk]:
        from .lstm import sample

        yield from sample(model, request, context)


@hookimpl
def register_generators() -> list[Generator]:
    return [CharLSTM()]
