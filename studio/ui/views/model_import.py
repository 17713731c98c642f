"""Adding a model the user already has: Model → Add a model…, a folder or file dropped on the
window, or Import in the list of models found on this computer (found_models.py). Each way the
window only submits the engine's import job through the session. It runs beside the device, so
also while a model trains; when it finishes, the new model is chosen in the pickers, ready to
write with or fine-tune (while a training of another generator runs or waits, the generator is
left as it is: the model is listed under its own).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMenuBar

from studio.engine import Finished

from ..session import Session

# One dialog for both shapes: a .gguf file, or a model folder picked by its config.json.
FILTER = "Models: a .gguf file, or the config.json of a model folder (*.gguf config.json)"


def import_target(path: Path) -> Path | None:
    """What a picked or dropped path imports: a folder, a .gguf file, or a config.json's folder."""
    if path.is_dir():
        return path
    if path.is_file() and path.suffix.lower() == ".gguf":
        return path
    if path.is_file() and path.name == "config.json":
        return path.parent
    return None


class ModelImport(QObject):
    """The Model menu's "Add a model…" and drag-and-drop onto ``window``."""

    def __init__(self, session: Session, window: QMainWindow) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self.pending: set[int] = set()
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        session.job_ended.connect(self._on_ended)

    def add_menu(self, bar: QMenuBar) -> QMenu:
        menu = bar.addMenu("&Model")
        self.action = menu.addAction("Add a model…")
        self.action.triggered.connect(self.ask)
        return menu

    def ask(self) -> int | None:
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Add a model", "", FILTER)
        target = import_target(Path(chosen)) if chosen else None
        return self.submit(target) if target else None

    def submit(self, path: Path, name: str | None = None) -> int:
        job_id = self.session.import_model(path, name)
        self.pending.add(job_id)
        return job_id

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() in (QEvent.Type.DragEnter, QEvent.Type.Drop):
            targets = self._targets(event)
            if not targets:
                return False
            event.acceptProposedAction()
            if event.type() == QEvent.Type.Drop:
                for target in targets:
                    self.submit(target)
            return True
        return super().eventFilter(watched, event)

    @staticmethod
    def _targets(event) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        paths = [import_target(Path(url.toLocalFile())) for url in mime.urls() if url.isLocalFile()]
        return [p for p in paths if p is not None]

    def _on_ended(self, job_id: int, event: object) -> None:
        if job_id not in self.pending:
            return
        self.pending.discard(job_id)
        if not (isinstance(event, Finished) and event.result.get("generator")):
            return
        generator = event.result["generator"]
        if generator != self.session.generator_id and self.session.training():
            # Imports run beside a training: switching generator now would swap the Train
            # view's form and previews under the run. The model is listed; the user picks it.
            return
        # Chosen as the user would: the generator first (which clears the model), then it.
        self.session.set_generator(generator)
        self.session.set_model(event.result["name"])
