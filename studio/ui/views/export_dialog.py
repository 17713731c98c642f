"""File → Export model…: a model folder out as GGUF (F16 or Q8_0) with an Ollama Modelfile.

The dialog only gathers the choice and submits an engine ``ExportJob``; the Jobs panel shows its
progress and lets the user cancel it, like any other job. What cannot be exported is said by the
job itself, in one line, so the window and ``studio export`` give the same message.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ..session import Session

GGUF_TYPES = (
    ("F16: full quality, half the size of fp32", "f16"),
    ("Q8_0: about half the size of F16", "q8_0"),
)


class ExportDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Export model")
        self.job_id: int | None = None
        self.source = QLineEdit()
        self.source.setPlaceholderText("a transformers model folder (config.json, safetensors)")
        self.source.textChanged.connect(self._suggest_out)
        self.gguf_type = QComboBox()
        for label, value in GGUF_TYPES:
            self.gguf_type.addItem(label, value)
        self.gguf_type.currentIndexChanged.connect(self._suggest_out)
        self.out = QLineEdit()
        self.out.setPlaceholderText("where the .gguf goes; a Modelfile is written beside it")
        form = QFormLayout(self)
        form.addRow("Model folder", self._with_browse(self.source, self._pick_source))
        form.addRow("GGUF type", self.gguf_type)
        form.addRow("Save as", self._with_browse(self.out, self._pick_out))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _with_browse(self, line: QLineEdit, pick) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(line, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(pick)
        layout.addWidget(browse)
        return row

    def _pick_source(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder")
        if folder:
            self.source.setText(folder)

    def _pick_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save GGUF as", self.out.text(), "GGUF (*.gguf)"
        )
        if path:
            self.out.setText(path)

    def _suggest_out(self, *_args) -> None:
        source = self.source.text().strip()
        if source and not self.out.isModified():
            folder = Path(source).expanduser()
            name = f"{folder.name}-{self.gguf_type.currentData()}.gguf"
            self.out.setText(str(self.session.home.exports / name))

    def accept(self) -> None:
        """Submit the export; the dialog closes and the Jobs panel takes over."""
        self.job_id = self.session.export(
            self.source.text().strip(),
            self.out.text().strip(),
            "gguf",
            self.gguf_type.currentData(),
        )
        super().accept()
