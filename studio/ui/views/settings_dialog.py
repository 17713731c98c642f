"""Settings: the device, the theme and the library folder, each applied at once (the window
switches libraries: MainWindow.apply_settings_dialog)."""

from __future__ import annotations

from pathlib import Path

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

LIBRARY_KEY = "library_folder"  # in the app's QSettings: the folder the next start opens
LIBRARY_NOTE = (
    "Studio switches to another library folder at once (not while a job runs); "
    "a folder with no library in it gets a new one, with these settings."
)


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
        note = QLabel(LIBRARY_NOTE)
        note.setObjectName("hint")
        note.setWordWrap(True)
        form.addRow(note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)

    def chosen_library(self) -> Path | None:
        """The library folder typed or picked, when it is not the one in use (else None)."""
        text = self.library.text().strip()
        if not text or Path(text).expanduser() == Path(self.initial_library).expanduser():
            return None
        return Path(text).expanduser()

    def apply(self, settings: Settings | None = None) -> None:
        """Save the device, theme and isolation choices, into ``settings`` when given (the new
        library's, after a switch) or the settings the dialog was opened with."""
        (settings or self.settings).update(
            {
                "device": self.device.currentText(),
                "theme": self.theme.currentText(),
                ISOLATE_SETTING: self.isolate.isChecked(),
            }
        )
