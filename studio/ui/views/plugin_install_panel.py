"""The install half of the Plugins dialog: the full-rights notice, Install (wheel or folder),
Uninstall, Roll back, and the notice for plugins switched off after failing 3 jobs.

pip runs take seconds, so each change runs on a short-lived QThread (signals declared on the
subclass, connected to this GUI-thread widget's methods, as DESIGN.md prescribes); the buttons are
disabled meanwhile. Nothing here imports a plugin: an installed one joins the table as awaiting
approval, and the user's tick is the consent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine import (
    APPROVAL_NOTICE,
    FAILURE_LIMIT,
    InstallResult,
    PluginHealth,
    PluginHost,
    PluginInstaller,
    PluginRecord,
)

FULL_RIGHTS = (
    "Plugins run with your full rights: they can read and change your files. Install only "
    "plugins you trust. A newly installed plugin is not loaded until you tick it."
)


class _ChangeThread(QThread):
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__()
        self.work = work

    def run(self) -> None:
        try:
            self.done.emit(self.work())
        except Exception as error:  # shown to the user; the dialog stays usable
            self.failed.emit(str(error))


class PluginInstallPanel(QWidget):
    #: the plugin set changed on disk (install, uninstall, rollback); the table should refresh
    changed = Signal()

    def __init__(
        self,
        host: PluginHost,
        installer: PluginInstaller,
        selected: Callable[[], str | None],
        parent=None,
        *,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(parent)
        self.host, self.installer, self.selected = host, installer, selected
        self.plugin_health = health
        self.thread: _ChangeThread | None = None
        rights = QLabel(FULL_RIGHTS)
        rights.setObjectName("fullRightsNotice")
        rights.setWordWrap(True)
        self.health = QLabel()
        self.health.setObjectName("healthNotice")
        self.health.setWordWrap(True)
        self.health.setStyleSheet("color: #d9534f;")
        self.status = QLabel()
        self.status.setObjectName("installStatus")
        self.status.setWordWrap(True)
        self.buttons = {
            "wheel": QPushButton("Install wheel…"),
            "folder": QPushButton("Install from folder…"),
            "uninstall": QPushButton("Uninstall"),
            "rollback": QPushButton("Roll back last change"),
        }
        self.buttons["wheel"].clicked.connect(self._choose_wheel)
        self.buttons["folder"].clicked.connect(self._choose_folder)
        self.buttons["rollback"].clicked.connect(self.rollback)
        self.buttons["uninstall"].clicked.connect(self._uninstall_selected)
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(rights)
        layout.addWidget(self.health)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.show_health()

    # -- notices --------------------------------------------------------------------------------

    def show_health(self) -> None:
        """Name every plugin switched off this session after failing FAILURE_LIMIT jobs."""
        failures = self.plugin_health.failures if self.plugin_health else {}
        off = [
            name
            for name, count in failures.items()
            if count >= FAILURE_LIMIT and self.host.records[name].status == "disabled"
        ]
        self.health.setText("".join(f"{self.host.records[name].reason}\n" for name in off).strip())
        self.health.setVisible(bool(off))

    # -- actions (public so tests can drive them without a file chooser) ------------------------

    def install(self, path: Path, build: bool = False) -> None:
        self.status.setText(f"Installing {Path(path).name}… (resolving offline first)")
        self._start(lambda: self.installer.install(Path(path), build=build), self._installed)

    def uninstall(self, name: str) -> None:
        self.status.setText(f"Uninstalling {name}…")
        self._start(lambda: self.installer.uninstall(name), self._uninstalled)

    def rollback(self) -> None:
        self.status.setText("Rolling back the last plugin change…")
        self._start(self.installer.rollback, self._rolled_back)

    def busy(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def _choose_wheel(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Install a plugin", "", "Wheels (*.whl)")
        if path:
            self.install(Path(path))

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Install a plugin project folder")
        if path and self._agrees_to_build(Path(path)):
            self.install(Path(path), build=True)

    def _agrees_to_build(self, folder: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Build this project?",
            f"{folder} is a project folder. Building it runs its code (setup.py or its build "
            "backend) with your rights, before you have approved the plugin.\n\n"
            "Build and install it?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _uninstall_selected(self) -> None:
        name = self.selected()
        if name:
            self.uninstall(name)
        else:
            self.status.setText("Select a plugin to uninstall.")

    def _start(self, work: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        if self.busy():
            return
        for button in self.buttons.values():
            button.setEnabled(False)
        self.thread = _ChangeThread(work)
        self.thread.done.connect(on_done)
        self.thread.failed.connect(self._failed)
        self.thread.finished.connect(self._idle)
        self.thread.start()

    # -- results (GUI thread) -------------------------------------------------------------------

    def _idle(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.status.setText(f"Nothing changed: {message}")

    def _installed(self, result: InstallResult) -> None:
        for name in result.plugins:
            # Listed, not loaded: the user's tick (or 'studio plugin enable') is the consent.
            self.host.records[name] = PluginRecord(
                name, name, result.name, result.version, False, "awaiting-approval",
                APPROVAL_NOTICE,
            )  # fmt: skip
        extra = f"; it brought {', '.join(result.dependencies)}" if result.dependencies else ""
        self.status.setText(
            f"Installed {result.name} {result.version}{extra}. Tick {', '.join(result.plugins)} "
            "to enable it, then restart Studio."
        )
        self.changed.emit()

    def _uninstalled(self, removed: dict[str, Any]) -> None:
        for name in removed.get("plugins", []):
            record = self.host.records.get(name)
            if record is not None:
                record.status = "disabled"
                record.reason = "uninstalled; it is gone after a restart"
        self.status.setText(f"Uninstalled {removed['name']}. Roll back to undo.")
        self.changed.emit()

    def _rolled_back(self, restored: dict[str, Any]) -> None:
        self.status.setText(
            f"Restored the plugins as they were before '{restored['reason']}'. "
            "Restart Studio to apply."
        )
        self.changed.emit()
