"""Found on this computer: the models other apps keep here, each with one-click import.

The list comes from the engine's scan (``studio models found``), run as a side-lane job so the
window never waits on a slow disk; each row says which app keeps the model, what it is, its
size, and what Studio can do with it, or why not. Import submits the engine's import job
(through the window's model import, so the new model is then chosen in the pickers); the
original file or folder is only read, never changed or moved.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine import Event, Failed, Finished, FoundModels, library_name

from ..session import Session
from .job_binding import JobView
from .status import format_bytes

COLUMNS = ["Model", "Kept by", "What it is", "Size", "What Studio can do", ""]
IMPORT_COLUMN = len(COLUMNS) - 1
SOURCES = {
    "huggingface": "Hugging Face cache",
    "lmstudio": "LM Studio",
    "ollama": "Ollama",
    "gpt4all": "GPT4All",
    "jan": "Jan",
}
FORMATS = {"transformers": "safetensors", "gguf": "GGUF", "pickle": "pickle"}
LOOKING = "Looking in the folders of the Hugging Face cache, LM Studio, Ollama, GPT4All and Jan…"
LABELS = ("Import", "Importing…", "In library", "Try again")
UNCHANGED = "Importing reads the model where it is; the original is never changed or moved."

Importer = Callable[[Path, str], int]


def describe_kind(model) -> str:
    """ "llama · 1.2B parameters · GGUF Q4_K_M": what the model is, from its own headers."""
    parts = [model.architecture or "unknown architecture"]
    if model.parameters:
        parts.append(f"{short_count(model.parameters)} parameters")
    kind = FORMATS.get(model.format, model.format)
    parts.append(f"{kind} {model.precision}" if model.precision else kind)
    return " · ".join(parts)


def short_count(count: int) -> str:
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if count >= size:
            return f"{count / size:.1f}{unit}".replace(".0" + unit, unit)
    return str(count)


class FoundModelsView(JobView):
    """The list, a scan that starts the first time it is shown, and an Import button a row."""

    def __init__(
        self,
        session: Session,
        importer: Importer | None = None,
        browse: Callable[[], object] | None = None,
        parent=None,
    ) -> None:
        super().__init__(session, parent)
        self.setObjectName("foundModels")
        self.importer: Importer = importer or (lambda path, name: session.import_model(path, name))
        self.models: list = []
        self.buttons: list[QPushButton] = []  # each row's Import button
        self.in_library: dict[str, str] = {}
        self.importing: dict[int, int] = {}  # import job id -> row
        self.failed: dict[int, str] = {}  # row -> why its import failed
        self.scanned = False
        self.seconds: float | None = None  # the engine's budget, doubled after a cut-short scan
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("foundTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.rescan_button = QPushButton("Look again")
        self.rescan_button.clicked.connect(self.scan)
        buttons = QHBoxLayout()
        buttons.addWidget(self.rescan_button)
        if browse is not None:
            self.browse_button = QPushButton("Choose a file or folder…")
            self.browse_button.setToolTip("A model kept somewhere else: a .gguf file or a folder")
            self.browse_button.clicked.connect(browse)
            buttons.addWidget(self.browse_button)
        buttons.addStretch()
        note = QLabel(UNCHANGED)
        note.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.failure_line)
        layout.addWidget(note)
        layout.addLayout(buttons)
        session.job_ended.connect(self._on_job_ended)
        session.library_switched.connect(self._on_library_switched)

    # -- scanning -------------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.scanned:
            self.scan()

    def scan(self) -> int | None:
        """Start a scan (not while one runs); the rows follow when it ends."""
        if self.job_id is not None:
            return None
        self.scanned = True
        self.status.setText(LOOKING)
        job_id = self.session.find_models(self.seconds)
        self.follow(job_id)
        return job_id

    def job_state_changed(self, running: bool) -> None:
        self.rescan_button.setEnabled(not running)

    def handle(self, event: Event) -> None:
        if isinstance(event, Finished) and isinstance(event.result, FoundModels):
            self.show_scan(event.result)

    def ended(self, event: Event) -> None:
        if isinstance(event, Failed):
            self.status.setText("The search stopped on an error.")
        elif not self.scanned and self.isVisible():
            # A new library folder cancelled the search in flight: look again, for the new one.
            self.scan()

    def show_scan(self, found: FoundModels) -> None:
        scan = found.scan
        self.models, self.in_library = list(scan.models), dict(found.in_library)
        self.importing.clear()
        self.failed.clear()
        self.table.setRowCount(len(self.models))
        self.buttons = []
        for row, model in enumerate(self.models):
            cells = [
                model.name,
                SOURCES.get(model.source, model.source),
                describe_kind(model),
                format_bytes(model.size_bytes) if model.size_bytes else "—",
                _capital(model.reason),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{text}\n{model.path}" if column == 0 else text)
                self.table.setItem(row, column, item)
            button = QPushButton()
            button.setObjectName("importFound")
            # As wide as its widest label, so "In library" is never cut to "n librar".
            metrics = button.fontMetrics()
            button.setMinimumWidth(max(metrics.horizontalAdvance(t) for t in LABELS) + 24)
            button.clicked.connect(lambda _=False, r=row: self.import_row(r))
            self.buttons.append(button)
            self.table.setCellWidget(row, IMPORT_COLUMN, _centred(button))
            self._show_row(row)
        header = self.table.horizontalHeader()
        self.table.resizeColumnsToContents()
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        if self.models:
            wide = self.button(0).minimumWidth() + 16
            self.table.setColumnWidth(
                IMPORT_COLUMN, max(wide, self.table.columnWidth(IMPORT_COLUMN))
            )
        self.table.resizeRowsToContents()
        self.status.setText(self._summary(scan))
        if scan.truncated:  # a slow disk: the next look is given twice the time
            self.seconds = 2 * found.seconds

    def _summary(self, scan) -> str:
        if not scan.models:
            where = ", ".join(map(_short, scan.searched)) or "none of the apps' folders exist here"
            return f"No models found. Looked in: {where}."
        usable = sum(1 for m in self.models if m.can_generate)
        text = (
            f"{len(self.models)} models found, {usable} of them usable in Studio. "
            f"Looked in: {', '.join(map(_short, scan.searched))}."
        )
        if scan.truncated:
            text += " The search ran out of time before the end: Look again to look longer."
        return text

    # -- importing ------------------------------------------------------------------------------

    def button(self, row: int) -> QPushButton:
        return self.buttons[row]

    def import_row(self, row: int) -> int | None:
        model = self.models[row]
        if not model.can_generate or row in self.importing.values():
            return None
        self.failed.pop(row, None)
        job_id = self.importer(model.path, library_name(model))
        self.importing[job_id] = row
        self._show_row(row)
        return job_id

    def _on_job_ended(self, job_id: int, event: Event) -> None:
        row = self.importing.pop(job_id, None)
        if row is None:
            return
        model = self.models[row]
        if isinstance(event, Finished):
            self.in_library[str(model.path)] = event.result["name"]
        elif isinstance(event, Failed):
            self.failed[row] = event.message
        self._show_row(row)

    def _show_row(self, row: int) -> None:
        """The row's button and its reason: Import, Importing…, In library, or why not."""
        model, button = self.models[row], self.button(row)
        name = self.in_library.get(str(model.path))
        reason = self.table.item(row, 4)
        if name is not None:
            button.setText("In library")
            button.setEnabled(False)
            button.setToolTip(f"Already in your library as “{name}”")
            reason.setText(f"In your library as “{name}”. {_capital(model.reason)}")
        elif row in self.importing.values():
            button.setText("Importing…")
            button.setEnabled(False)
            button.setToolTip("The import runs in the Jobs panel (View → Jobs)")
        elif not model.can_generate:
            button.setText("Import")
            button.setEnabled(False)
            button.setToolTip(f"Studio cannot use it: {model.reason}")
        else:
            failure = self.failed.get(row)
            button.setText("Try again" if failure else "Import")
            button.setEnabled(True)
            button.setToolTip(f"Import {model.name} into your library")
            text = _capital(model.reason)
            reason.setText(f"Import failed: {failure}. {text}" if failure else text)
        reason.setToolTip(reason.text())
        self.table.resizeRowToContents(row)  # its reason may have grown a line

    def _on_library_switched(self) -> None:
        # What is "in library" belongs to the old folder: look again (now, or when next shown).
        self.scanned = False
        if self.isVisible():
            self.scan()


def _centred(button: QPushButton) -> QWidget:
    """The button at its own height in the middle of its cell, however tall the row grows."""
    cell = QWidget()
    layout = QHBoxLayout(cell)
    layout.setContentsMargins(4, 2, 4, 2)
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
    return cell


def _short(folder: str) -> str:
    """``~/.lmstudio/models`` rather than the whole path of the home folder."""
    home = str(Path.home())
    return "~" + folder[len(home) :] if folder.startswith(home + os.sep) else folder


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
