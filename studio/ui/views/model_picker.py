"""The model picker: the library's models for the chosen generator, newest first, or a new
untrained one. A trained model is chosen unless the user asked for a new one: an untrained
model writes noise. After a training finishes, its model is chosen.

A generator that only fine-tunes (lm: a pretrained model the writer brings) offers no untrained
model: with none of its models in the library, the picker says how to add one instead."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel

from studio.engine import Event, Finished, TrainResult, describe_import, list_models

from ..session import Session

NEW_MODEL = "New untrained model"
UNTRAINED_HINT = (
    "An untrained model makes noise. Train one on the Train tab, or choose a trained one here."
)
NO_MODEL = "No model yet"
BRING_A_MODEL_HINT = (
    "This generator writes with a model you already have. Add a Hugging Face folder or a .gguf "
    "file (Model → Add a model…), or one of the models found on this computer "
    "(Model → Models on this computer…)."
)


class ModelPicker(QComboBox):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("modelPicker")
        self.setToolTip("Which model generates, or is fine-tuned")
        # Generators for which the user picked "New untrained model" themselves.
        self.new_chosen: set[str] = set()
        self.hint = QLabel(UNTRAINED_HINT)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.refresh()
        self.activated.connect(self._on_user_choice)
        self.currentIndexChanged.connect(self._on_index)
        session.generator_changed.connect(self.refresh)
        session.library_changed.connect(self.refresh)
        session.job_ended.connect(self._on_job_ended)
        session.model_changed.connect(self._follow)

    def refresh(self, *_args) -> None:
        keep = self.session.model_ref
        generator = self.session.generator_id
        mine = [m for m in list_models(self.session.home) if m.get("generator") == generator]
        mine.sort(key=lambda m: str(m.get("created", "")), reverse=True)
        scratch = not self.session.fine_tunes_only
        self.blockSignals(True)
        self.clear()
        if scratch:
            self.addItem(NEW_MODEL, "")
        elif not mine:
            self.addItem(NO_MODEL, "")
        for model in mine:
            label = f"{model['name']}  ·  step {model.get('step', '?')}"
            self.addItem(label, model["path"] if model["kind"] == "run" else model["name"])
            if model.get("info"):  # an imported model: what it is, and what it needs
                tip = "\n".join([describe_import(model["info"]), *model.get("warnings", [])])
                self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        new_chosen = scratch and generator in self.new_chosen
        index = self.findData(keep) if keep or new_chosen else -1
        if index < 0:
            index = (1 if scratch else 0) if mine and not new_chosen else 0
        self.setCurrentIndex(index)
        self.blockSignals(False)
        self.session.set_model(self.currentData() or "")
        self._show_hint()

    def choose(self, reference: str) -> bool:
        index = self.findData(reference)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0

    def _on_user_choice(self, index: int) -> None:
        generator = self.session.generator_id
        if self.itemData(index):
            self.new_chosen.discard(generator)
        else:
            self.new_chosen.add(generator)

    def _on_index(self, _index: int) -> None:
        self.session.set_model(self.currentData() or "")
        self._show_hint()

    def _follow(self, reference: str) -> None:
        """Someone else chose a model (a History entry): show it."""
        if reference != (self.currentData() or "") and not self.choose(reference):
            self.session.set_model(self.currentData() or "")  # gone from the library

    def _on_job_ended(self, _job_id: int, event: Event) -> None:
        if isinstance(event, Finished) and isinstance(event.result, TrainResult):
            self.refresh()
            self.choose(Path(event.result.model).name)

    def _show_hint(self) -> None:
        self.hint.setText(BRING_A_MODEL_HINT if self.session.fine_tunes_only else UNTRAINED_HINT)
        self.hint.setVisible(self.count() > 0 and not self.currentData())
