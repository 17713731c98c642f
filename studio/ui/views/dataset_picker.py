"""The dataset picker: a folder or file (browse, type, or drag and drop) and its validation report:
which files would be used, which skipped and why — checked on the worker by the plugin's own
``load_data`` (studio.engine.datacheck), before training starts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from studio.engine import Event, Failed, Finished, list_models

from ..session import Session
from .job_binding import JobView

NEEDS_A_MODEL = (
    "Choose the model to fine-tune first (Model, on the left), or add one (Model → Add a "
    "model…). The data is read with that model's own tokenizer."
)


def format_report(report: dict) -> str:
    used, skipped = report.get("used", []), report.get("skipped", [])
    lines = [f"{len(used)} file(s) used, {len(skipped)} skipped"]
    lines += [f"  skipped {Path(s['path']).name}: {s['reason']}" for s in skipped]
    lines += [f"  {note}" for note in report.get("notes", [])]
    for key, value in report.get("stats", {}).items():
        if isinstance(value, (int, float, str)):
            lines.append(f"  {key}: {value}")
        elif isinstance(value, (list, tuple)):
            lines.append(f"  {key}: {len(value)} entries")
    return "\n".join(lines)


class DatasetPicker(JobView):
    #: the chosen path, once set (checked or not)
    path_changed = Signal(str)

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(session, parent)
        self.setAcceptDrops(True)
        self.report: dict | None = None
        self.path = QLineEdit()
        self.path.setObjectName("datasetPath")
        self.path.setPlaceholderText("A folder or a file — or drop one here")
        self.path.editingFinished.connect(self.check)
        folder = QPushButton("Folder…")
        folder.clicked.connect(self._browse_folder)
        file = QPushButton("File…")
        file.clicked.connect(self._browse_file)
        self.report_view = QPlainTextEdit()
        self.report_view.setObjectName("dataReport")
        self.report_view.setReadOnly(True)
        self.report_view.setMaximumHeight(110)
        self.report_view.setPlaceholderText(
            "The data report appears here: files used, skipped, why."
        )
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(folder)
        row.addWidget(file)
        box = QGroupBox("Dataset")
        inner = QVBoxLayout(box)
        inner.addLayout(row)
        inner.addWidget(self.report_view)
        inner.addWidget(self.failure_line)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        # Text and pictures live in different folders: each kind of generator keeps its own.
        self.paths: dict[str, str] = {}
        self.modality = ""
        # The path and the chosen model of the last check (lm reads with the model's tokenizer).
        self._checked_with: tuple[Path, str] | None = None
        session.generator_changed.connect(self._on_generator)
        # A new library folder cancels the check in flight (it read the old one): check again.
        session.library_switched.connect(self.check)
        session.model_changed.connect(self._on_model)

    def value(self) -> Path | None:
        text = self.path.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, path: str | Path) -> int | None:
        """Show ``path`` and check it; the check's job id (None when nothing is checked)."""
        self.path.setText(str(path))
        return self.check()

    def _on_generator(self, *_args) -> None:
        generator = self.session.generator
        modality = generator.modality if generator is not None else ""
        if modality != self.modality:
            self.paths[self.modality] = self.path.text()
            self.modality = modality
            self.path.setText(self.paths.get(modality, ""))
            self.report_view.clear()
        self.check()

    def _on_model(self, *_args) -> None:
        # A generator that only fine-tunes reads the data with the chosen model's tokenizer: a
        # new model means a new check, unless it has the same base model (so the same tokenizer,
        # as for a fine-tune that just finished) and that check is done or under way.
        if not self.session.fine_tunes_only:
            return
        checked = self._checked_with
        done_or_running = self.report is not None or self.job_id is not None
        if not (checked and checked[0] == self.value() and done_or_running):
            self.check()
            return
        bases = {
            ref: model.get("base")
            for model in list_models(self.session.home)
            for ref in (model["name"], model["path"])
        }
        base = bases.get(self.session.model_ref)
        if base is None or base != bases.get(checked[1]):
            self.check()

    def check(self, *_args) -> int | None:
        path = self.value()
        self.report = None
        if self.job_id is not None:
            # A newer path replaces the check in flight: checks never pile up.
            self.session.cancel(self.job_id)
            self.job_id = None
        if path is None or not self.session.generator_id:
            return None
        self.path_changed.emit(str(path))
        if not path.exists():
            self.report_view.setPlainText(f"No file or folder at {path}")
            return None
        if self.session.fine_tunes_only and not self.session.model_ref:
            # Its data check reads with the chosen model's tokenizer: nothing to read with yet.
            self.report_view.setPlainText(NEEDS_A_MODEL)
            return None
        self.report_view.setPlainText("Checking…")
        self._checked_with = (path, self.session.model_ref)
        job_id = self.session.check_data(path)
        self.follow(job_id)
        return job_id

    def handle(self, event: Event) -> None:
        if isinstance(event, Finished):
            self.report = event.result.report
            self.report_view.setPlainText(format_report(self.report))
        elif isinstance(event, Failed):
            self.report_view.setPlainText(f"Not usable: {event.message}")

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Training data folder")
        if folder:
            self.set_path(folder)

    def _browse_file(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, "Training data file")
        if file:
            self.set_path(file)

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        local = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if local:
            event.acceptProposedAction()
            self.set_path(local[0])
