"""Settings: the device, the library folder (applied at the next start) and the theme."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from studio.engine import DEVICE_CHOICES, Settings

from ..theme import THEMES

LIBRARY_KEY = "library_folder"


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, library: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.device = QComboBox()
        self.device.addItems(list(DEVICE_CHOICES))
        self.device.setCurrentText(settings.get("device", "auto"))
        self.theme = QComboBox()
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(settings.get("theme", "dark"))
        self.library = QLineEdit(library)
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.library)
        row_layout.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Device", self.device)
        form.addRow("Theme", self.theme)
        form.addRow("Library folder", row)
        form.addRow(QLabel("A new library folder is used from the next start."))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)

    def apply(self) -> None:
        self.settings.update(
            {"device": self.device.currentText(), "theme": self.theme.currentText()}
        )
        QSettings().setValue(LIBRARY_KEY, self.library.text())
