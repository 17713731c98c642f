"""The model picker: the library's checkpoints for the chosen generator, or a new untrained one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from studio.engine import describe_import, list_models

from ..session import Session

NEW_MODEL = "New untrained model"


class ModelPicker(QComboBox):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("modelPicker")
        self.setToolTip("Which checkpoint generates, or is fine-tuned")
        self.refresh()
        self.currentIndexChanged.connect(self._on_index)
        session.generator_changed.connect(self.refresh)
        session.library_changed.connect(self.refresh)

    def refresh(self, *_args) -> None:
        keep = self.session.model_ref
        self.blockSignals(True)
        self.clear()
        self.addItem(NEW_MODEL, "")
        for model in list_models(self.session.home):
            if model.get("generator") != self.session.generator_id:
                continue
            label = f"{model['name']}  ·  step {model.get('step', '?')}"
            self.addItem(label, model["path"] if model["kind"] == "run" else model["name"])
            if model.get("info"):  # an imported model: what it is, and what it needs
                tip = "\n".join([describe_import(model["info"]), *model.get("warnings", [])])
                self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        index = self.findData(keep)
        self.setCurrentIndex(max(index, 0))
        self.blockSignals(False)
        self.session.set_model(self.currentData() or "")

    def choose(self, reference: str) -> bool:
        index = self.findData(reference)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0

    def _on_index(self, _index: int) -> None:
        self.session.set_model(self.currentData() or "")
