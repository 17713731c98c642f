"""Create, text: a prompt editor, streaming output, stop, and a searchable persisted history."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.api import ParamError, TextChunk
from studio.engine import Cancelled, Event, Finished, SampleEvent

from ..models.history import HistoryEntry, PromptHistory
from ..session import Session
from .job_binding import JobView
from .param_form import FormSlot, ParamForm
from .seed_box import SeedBox

ENTRY_ROLE = Qt.ItemDataRole.UserRole


class TextCreateView(JobView):
    def __init__(self, session: Session, history: PromptHistory, parent=None) -> None:
        super().__init__(session, parent)
        self.history = history
        self.form: ParamForm | None = None
        self._request: dict = {}
        self._texts: dict[int, str] = {}
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("prompt")
        self.prompt.setPlaceholderText("Type a prompt, then Generate (Ctrl+Enter)")
        self.prompt.setMaximumHeight(110)
        self.seed = SeedBox()
        self.count = QSpinBox()
        self.count.setRange(1, 16)
        self.count.setToolTip("How many continuations to write")
        self.build_run_buttons()
        self.output = QPlainTextEdit()
        self.output.setObjectName("output")
        self.output.setReadOnly(True)
        self.output.setPlaceholderText("The text streams in here.")
        self.form_holder = QVBoxLayout()
        self.forms = FormSlot(self.form_holder)

        settings = QFormLayout()
        settings.addRow("Seed", self.seed)
        settings.addRow("Count", self.count)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Write on from the end of this text")
        self.continue_button.clicked.connect(self.continue_text)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save this text to a file")
        self.save_button.clicked.connect(self.save_text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch()
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.save_button)
        self.save_folder = Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
            or Path.home()
        )
        main = QWidget()
        main_layout = QVBoxLayout(main)
        main_layout.addWidget(QLabel("Prompt"))
        main_layout.addWidget(self.prompt)
        main_layout.addLayout(buttons)
        main_layout.addWidget(self.failure_line)
        main_layout.addWidget(self.output, 1)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel("Settings"))
        side_layout.addLayout(settings)
        side_layout.addLayout(self.form_holder)
        side_layout.addStretch()
        side.setMinimumWidth(260)

        self.search = QLineEdit()
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search prompts and outputs")
        self.search.textChanged.connect(self.refresh_history)
        self.history_list = QListWidget()
        self.history_list.setObjectName("history")
        self.history_list.setWordWrap(True)
        self.history_list.setSpacing(2)
        self.history_list.itemActivated.connect(self.restore)
        self.history_list.itemClicked.connect(self.restore)
        right = QWidget()
        right.setMinimumWidth(170)  # the history stays readable in a small window
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(QLabel("History"))
        right_layout.addWidget(self.search)
        right_layout.addWidget(self.history_list)

        splitter = QSplitter()
        splitter.addWidget(main)
        splitter.addWidget(side)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        session.generator_changed.connect(self.bind_generator)
        session.library_switched.connect(self._on_library_switched)
        self.bind_generator()

    def bind_generator(self, *_args) -> None:
        generator = self.session.generator
        is_text = generator is not None and generator.modality == "text"
        self.form = self.forms.bind(
            generator.id if is_text else "", generator.generate_params if is_text else None
        )
        if is_text:
            self.prompt.setEnabled(generator.takes_prompt)
        self.refresh_history()

    def generate(self) -> int | None:
        if self.form is None or self.job_id is not None:
            return None
        try:
            params = self.form.values()
        except ParamError:
            self.form.reveal_errors()
            return None
        self.output.clear()
        self._texts.clear()
        self._request = {
            "prompt": self.prompt.toPlainText(),
            "seed": self.seed.value(),
            "params": params,
            "model": self.session.model_ref,
        }
        job_id = self.session.generate(
            prompt=self._request["prompt"],
            seed=self._request["seed"],
            count=self.count.value(),
            params=params,
        )
        self.follow(job_id)
        return job_id

    def handle(self, event: Event) -> None:
        if not isinstance(event, SampleEvent) or event.final:
            return
        chunk = event.sample
        if not isinstance(chunk, TextChunk):
            return
        if chunk.index not in self._texts:
            self._texts[chunk.index] = ""
            if chunk.index:
                self._append(f"\n\n— {chunk.index + 1} —\n")
            self._append(self._request.get("prompt", ""))
        self._texts[chunk.index] += chunk.text
        self._append(chunk.text)

    def _append(self, text: str) -> None:
        cursor = self.output.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self.output.setTextCursor(cursor)

    def ended(self, event: Event) -> None:
        # Stopped text is kept too: what was written before Stop is the user's to keep.
        if isinstance(event, (Finished, Cancelled)) and self._texts:
            self.history.add(
                HistoryEntry(
                    generator=self.session.generator_id,
                    prompt=self._request["prompt"],
                    output="\n\n".join(self._texts[i] for i in sorted(self._texts)),
                    seed=self._request["seed"],
                    model=self._request["model"],
                    params=self._request["params"],
                )
            )
            self.refresh_history()

    def job_state_changed(self, running: bool) -> None:
        self.generate_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.continue_button.setEnabled(not running)

    def continue_text(self) -> int | None:
        """Generate again with the whole text so far as the prompt: the story goes on."""
        text = self.output.toPlainText()
        if not text or self.job_id is not None:
            return None
        self.prompt.setPlainText(text)
        return self.generate()

    def save_text(self) -> Path | None:
        text = self.output.toPlainText()
        if not text:
            return None
        first = "-".join(_one_line(self.prompt.toPlainText()).split()[:4]) or "text"
        name, _ = QFileDialog.getSaveFileName(
            self, "Save text", str(self.save_folder / f"{first}.txt"), "Text (*.txt *.md)"
        )
        if not name:
            return None
        path = Path(name)
        path.write_text(text, encoding="utf-8")
        self.save_folder = path.parent
        return path

    def _on_library_switched(self) -> None:
        # The history is kept in the library folder: the new one's, from now on.
        self.history = PromptHistory.in_home(self.session.home)
        self.refresh_history()

    def refresh_history(self, *_args) -> None:
        self.history_list.clear()
        for entry in self.history.search(self.search.text(), self.session.generator_id or None):
            prompt = _one_line(entry.prompt) or "(no prompt)"
            item = QListWidgetItem(
                f"{prompt[:60]}\n{_one_line(entry.output)[:90]}…\n{entry.created}"
            )
            item.setData(ENTRY_ROLE, entry)
            item.setToolTip(entry.output[:500])
            self.history_list.addItem(item)

    def restore(self, item: QListWidgetItem) -> None:
        entry: HistoryEntry = item.data(ENTRY_ROLE)
        self.prompt.setPlainText(entry.prompt)
        self.output.setPlainText(entry.prompt + entry.output)
        if entry.seed is not None:
            self.seed.setValue(entry.seed)
        if self.form is not None:
            self.form.set_values(entry.params)
        if entry.model != self.session.model_ref:
            # The model that wrote it, so Generate makes the same text again.
            self.session.set_model(entry.model)


def _one_line(text: str) -> str:
    return " ".join(text.split())
