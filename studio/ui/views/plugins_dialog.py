"""The Plugins dialog: every installed plugin, its source, version and status; the traceback of
a failed one; enable / disable (applied at the next start, with a prompt to restart)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from studio.engine import (
    PluginHealth,
    PluginHost,
    PluginInstaller,
    Settings,
    installed_since_start,
)

from .plugin_install_panel import PluginInstallPanel

COLUMNS = ["Enabled", "Plugin", "Source", "Version", "Status", "Generators"]


class PluginsDialog(QDialog):
    #: the user changed which plugins load; a restart applies it
    restart_needed = Signal()

    def __init__(
        self,
        host: PluginHost,
        settings: Settings,
        parent=None,
        *,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.resize(820, 480)
        self.host, self.settings = host, settings
        self.initial = self._choices()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("pluginsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.details = QPlainTextEdit()
        self.details.setObjectName("pluginDetails")
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a plugin to see why it failed.")
        self.notice = QLabel()
        self.notice.setObjectName("restartNotice")
        self.notice.hide()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([300, 160])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if host.safe_mode:
            layout.addWidget(QLabel("Safe mode: only built-in plugins were loaded."))
        # Install / uninstall / roll back, the full-rights notice, the 3-failures notice.
        self.install_panel = PluginInstallPanel(
            host,
            PluginInstaller(settings.path.parent, settings),
            self.selected_name,
            self,
            health=health,
        )
        self.install_panel.changed.connect(self._plugins_changed)
        layout.addWidget(self.install_panel)
        layout.addWidget(splitter)
        layout.addWidget(self.notice)
        layout.addWidget(buttons)
        self._fill()
        self.table.currentCellChanged.connect(self._show_details)
        self.table.itemChanged.connect(self._on_item_changed)

    def _choices(self) -> tuple[set[str], set[str]]:
        """Which plugins the user switched off and which they approved: a change needs a restart."""
        return self.settings.disabled_plugins, self.settings.approved_plugins

    def showEvent(self, event) -> None:
        # A plugin installed meanwhile (from the command line) appears when the dialog shows.
        self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        self.table.blockSignals(True)
        self._fill()
        self.table.blockSignals(False)

    def _fill(self) -> None:
        records = sorted(self.host.records.values(), key=lambda r: (not r.builtin, r.name))
        records += installed_since_start(self.host)
        self.table.setRowCount(len(records))
        self.names: list[str] = []
        for row, record in enumerate(records):
            self.names.append(record.name)
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            # Unchecked: switched off, or installed but not yet enabled by the user.
            enabled = record.status not in ("disabled", "awaiting-approval")
            if record.status == "awaiting-restart":
                disabled, approved = self._choices()
                enabled = record.name in approved and record.name not in disabled
            check.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, check)
            cells = [
                record.name,
                record.source,
                record.version,
                record.status,
                ", ".join(record.generators),
            ]
            for column, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                if column == 4 and record.status == "failed":
                    item.setForeground(Qt.GlobalColor.red)
                    item.setToolTip(record.reason)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def selected_name(self) -> str | None:
        row = self.table.currentRow()
        return self.names[row] if 0 <= row < len(self.names) else None

    def _plugins_changed(self) -> None:
        # Refill without firing itemChanged (that would save every row's tick again).
        self.table.blockSignals(True)
        self._fill()
        self.table.blockSignals(False)
        self.notice.setText("Restart Studio to apply the plugin changes.")
        self.notice.setVisible(True)
        self.restart_needed.emit()

    def status_of(self, name: str) -> str:
        return self.table.item(self.names.index(name), 4).text()

    def set_enabled(self, name: str, enabled: bool) -> None:
        state = Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked
        self.table.item(self.names.index(name), 0).setCheckState(state)

    def _show_details(self, row: int, *_args) -> None:
        if row < 0 or row >= len(self.names):
            return
        record = self.host.records.get(self.names[row])
        if record is None:  # installed after the start
            record = next(r for r in installed_since_start(self.host) if r.name == self.names[row])
        if record.status == "failed":
            self.details.setPlainText(f"{record.name} {record.reason}\n\n{record.traceback}")
        else:
            self.details.setPlainText(
                f"{record.name} ({record.module}) — {record.status}"
                + (f"\n{record.reason}" if record.reason else "")
                + (f"\ngenerators: {', '.join(record.generators)}" if record.generators else "")
            )

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        name = self.names[item.row()]
        self.settings.set_plugin_enabled(name, item.checkState() == Qt.CheckState.Checked)
        changed = self._choices() != self.initial
        self.notice.setText("Restart Studio to apply the plugin changes." if changed else "")
        self.notice.setVisible(changed)
        if changed:
            self.restart_needed.emit()
