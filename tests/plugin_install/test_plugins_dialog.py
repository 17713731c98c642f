"""The Plugins dialog installs, uninstalls and rolls back off the UI thread, says plugins run with
the user's full rights, lists a new plugin as awaiting approval, and names a plugin switched off
after 3 failed jobs."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from install_support import wheel_folder

from studio.api import hookimpl
from studio.engine.events import Failed
from studio.engine.home import Home
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import load_plugins
from studio.engine.settings import Settings


@pytest.fixture
def dialog(qtbot, home: Home, plugin_site: Path):
    from studio.ui.views.plugins_dialog import PluginsDialog

    settings = Settings.load(home.settings_file)
    widget = PluginsDialog(load_plugins(settings), settings)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def wait_done(qtbot, dialog) -> str:
    qtbot.waitUntil(lambda: not dialog.install_panel.busy(), timeout=120_000)
    qtbot.waitUntil(lambda: "…" not in dialog.install_panel.status.text(), timeout=5_000)
    return dialog.install_panel.status.text()


def test_install_enable_uninstall_and_roll_back_from_the_dialog(
    qtbot, dialog, wheels, tmp_path: Path, home: Home
) -> None:
    panel = dialog.install_panel
    rights = panel.findChild(type(panel.status), "fullRightsNotice")
    assert "full rights" in rights.text() and rights.isVisible()

    # tinydep is not offered beside the wheel: refused, nothing changes, the dialog lives on.
    alone = wheel_folder(tmp_path / "alone", wheels["studio-otherdep"])
    panel.install(alone / wheels["studio-otherdep"].name)
    assert "Nothing changed: refused: studio-otherdep needs tinydep" in wait_done(qtbot, dialog)
    assert "otherdep" not in dialog.names

    folder = wheel_folder(tmp_path / "both", wheels["studio-otherdep"], wheels["tinydep"])
    with qtbot.waitSignal(panel.changed, timeout=120_000):
        panel.install(folder / wheels["studio-otherdep"].name)
    assert "Installed studio-otherdep 1.0; it brought tinydep 1.0" in panel.status.text()
    assert dialog.status_of("otherdep") == "awaiting-approval"
    assert not dialog.notice.isHidden()  # restart to apply
    dialog.set_enabled("otherdep", True)  # the user's consent
    assert "otherdep" in Settings.load(home.settings_file).approved_plugins

    dialog.table.setCurrentCell(dialog.names.index("otherdep"), 1)
    # `changed` comes with the result; the buttons come back when the thread has finished.
    qtbot.waitUntil(lambda: panel.buttons["uninstall"].isEnabled(), timeout=30_000)
    with qtbot.waitSignal(panel.changed, timeout=120_000):
        panel.buttons["uninstall"].click()
    assert dialog.status_of("otherdep") == "disabled"
    assert "studio-otherdep" not in panel.installer.installed()
    assert "otherdep" not in Settings.load(home.settings_file).approved_plugins

    qtbot.waitUntil(lambda: panel.buttons["rollback"].isEnabled(), timeout=30_000)
    with qtbot.waitSignal(panel.changed, timeout=120_000):
        panel.buttons["rollback"].click()
    assert "studio-otherdep" in panel.installer.installed()
    assert "otherdep" in Settings.load(home.settings_file).approved_plugins


def test_a_plugin_disabled_after_three_failures_is_named(qtbot, home: Home, plugin_site) -> None:
    from studio.ui.views.plugins_dialog import PluginsDialog

    plugin = types.ModuleType("studio_sometimes")
    plugin.STUDIO_API_VERSION = 1
    plugin.register_generators = hookimpl(lambda: [])
    settings = Settings.load(home.settings_file)
    host = load_plugins(settings, extra=[("sometimes", plugin)])
    host.generator_plugin["sometimes-gen"] = "sometimes"  # a generator id owned by the plugin
    health = PluginHealth(host, settings)
    for _ in range(3):
        list(health.job_failed("sometimes-gen", Failed("RuntimeError: boom")))
    widget = PluginsDialog(host, settings, health=health)
    qtbot.addWidget(widget)
    notice = widget.install_panel.health
    assert not notice.isHidden()
    assert "plugin 'sometimes' failed 3 jobs in this session and has been disabled" in notice.text()
    assert widget.status_of("sometimes") == "disabled"


@pytest.mark.parametrize("answer", ["No", "Yes"])
def test_install_from_folder_asks_before_building(
    qtbot, dialog, tmp_path: Path, monkeypatch, answer: str
) -> None:
    from install_support import write_project
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    project = write_project(tmp_path, "studio-asked", plugin="asked")
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(project))

    def question(_parent, _title, text):  # the modal question, answered as the user would
        asked.append(text)
        return getattr(QMessageBox.StandardButton, answer)

    monkeypatch.setattr(QMessageBox, "question", question)
    panel = dialog.install_panel
    panel.buttons["folder"].click()
    assert asked and "runs its code" in asked[0]
    if answer == "No":
        assert not panel.busy() and not panel.installer.installed()
        return
    assert "Installed studio-asked 1.0" in wait_done(qtbot, dialog)
