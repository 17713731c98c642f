"""The model library: every model, what it is, where it came from, its size and the runs that
made it; rename or remove one (after asking). Its second tab lists the models other apps keep on
this computer, each a click from the library (found_models.py)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.api import StudioError
from studio.engine import library_models, remove_model, rename_model

from ..session import Session
from .confirm import confirm
from .found_models import FoundModelsView, Importer
from .status import format_bytes

COLUMNS = ["Model", "Generator", "Step", "Size", "Created", "Fine-tuned from", "Made by run"]


class ModelLibrary(QDialog):
    """``importer`` and ``browse`` are the window's model import (the new model is then chosen);
    without them the found models are imported through the session alone."""

    def __init__(
        self,
        session: Session,
        parent=None,
        *,
        importer: Importer | None = None,
        browse: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model library")
        self.resize(1040, 480)
        self.session = session
        self.models: list[dict] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("modelLibrary")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(lambda: self.rename_selected())
        self.remove_button = QPushButton("Remove…")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        mine = QWidget()
        layout = QVBoxLayout(mine)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.found = FoundModelsView(session, importer, browse)
        self.tabs = QTabWidget()
        self.tabs.addTab(mine, "In your library")
        self.tabs.addTab(self.found, "Found on this computer")
        QVBoxLayout(self).addWidget(self.tabs)
        session.library_changed.connect(self.refresh)
        self.refresh()

    def show_found(self) -> None:
        """Open on the found models (the Model menu's and the welcome panel's way in)."""
        self.tabs.setCurrentWidget(self.found)

    def refresh(self) -> None:
        self.models = sorted(
            library_models(self.session.home), key=lambda m: str(m["created"]), reverse=True
        )
        self.table.setRowCount(len(self.models))
        for row, model in enumerate(self.models):
            cells = [
                model["name"],
                str(model["generator"]),
                str(model["step"]),
                _size(model),
                str(model["created"])[:16].replace("T", " "),
                model["from"] or "—",
                ", ".join(model["runs"]) or "—",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, model["name"])
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.message.setText(
            ""
            if self.models
            else "No models yet: train one on the Train tab, or import one you already have "
            "from “Found on this computer”."
        )

    def names(self) -> list[str]:
        return [m["name"] for m in self.models]

    def select(self, name: str) -> None:
        self.table.selectRow(self.names().index(name))

    def _selected(self) -> str | None:
        row = self.table.currentRow()
        return self.models[row]["name"] if 0 <= row < len(self.models) else None

    def rename_selected(self, new: str | None = None) -> bool:
        name = self._selected()
        if name is None:
            return False
        if new is None:
            new, ok = QInputDialog.getText(
                self, "Rename model", f"New name for “{name}”:", text=name
            )
            if not ok or new == name:
                return False
        return self._apply(lambda: rename_model(self.session.home, name, new.strip()))

    def remove_selected(self) -> bool:
        name = self._selected()
        if name is None or not confirm(
            self,
            "Remove the model?",
            f"Delete “{name}” from the library? The run that made it keeps its own "
            "checkpoints. This cannot be undone.",
        ):
            return False
        return self._apply(lambda: remove_model(self.session.home, name))

    def _apply(self, change) -> bool:
        try:
            change()
        except StudioError as error:
            self.message.setText(f"Not changed: {error}")
            return False
        self.session.library_changed.emit()  # this table and the model picker follow
        return True


def _size(model: dict) -> str:
    """The model's own files, and the imported base model it is built on (stored once)."""
    own = format_bytes(model["size_bytes"])
    base = model.get("base_bytes")
    return f"{own} + {format_bytes(base)} base" if base else own
