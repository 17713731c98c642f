"""Settings: the device and the theme (applied at once), the library folder (next start)."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
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

from studio.engine import DEVICE_CHOICES, ISOLATE_SETTING, Settings

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
        self.isolate = QCheckBox("Isolate every job")
        self.isolate.setToolTip(
            "Run built-in generators' jobs in a process of their own too (third-party plugins'"
            " jobs always are): a crash then costs that job only; each job starts ~2 s slower"
        )
        self.isolate.setChecked(bool(settings.get(ISOLATE_SETTING, False)))
        self.library = QLineEdit(library)
        self.initial_library = library
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
        form.addRow("Jobs", self.isolate)
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

    def apply(self) -> bool:
        """Save the choices; True when the library folder changed (it applies at next start)."""
        self.settings.update(
            {
                "device": self.device.currentText(),
                "theme": self.theme.currentText(),
                ISOLATE_SETTING: self.isolate.isChecked(),
            }
        )
        moved = self.library.text() != self.initial_library
        QSettings().setValue(LIBRARY_KEY, self.library.text())
        return moved
