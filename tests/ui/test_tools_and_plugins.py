"""Image tools driven by a generator's schema; the Plugins dialog; start-up guards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from support.entrypoints import install_distribution
from ui_support import wait_job

from studio.engine.events import Finished

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")

HERE = Path(__file__).resolve().parent


@pytest.fixture
def extra_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder on sys.path for plugins installed by a test."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def mode_window(qtbot, plugin_site, home, extra_site: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE / "modeplugin"))
    install_distribution(extra_site, "studio-modepix", {"modepix": "studio_modepix"})
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    Settings.load(home.settings_file).set_plugin_enabled("modepix", True)  # the user's consent

    window = build_window(home, Settings.load(home.settings_file))
    qtbot.addWidget(window)
    window.ended = {}
    window.session.job_ended.connect(window.ended.__setitem__)
    yield window
    window.session.shutdown()


def test_walk_and_variations_follow_the_declared_modes(qtbot, mode_window) -> None:
    window = mode_window
    view = window.create_view.image
    window.session.set_generator("tinypix")
    assert view.walk_button.isHidden() and view.drop_zone.isHidden()
    window.session.set_generator("modepix")
    assert not view.walk_button.isHidden() and not view.drop_zone.isHidden()

    view.count.setValue(2)
    view.seed.setValue(7)
    assert isinstance(wait_job(qtbot, window, view.generate()), Finished)
    first, second = view.gallery.entries()
    view.gallery.item(0).setSelected(True)
    view.gallery.item(1).setSelected(True)
    view.count.setValue(5)
    assert isinstance(wait_job(qtbot, window, view.walk()), Finished)
    walk = view.gallery.entries()[2:]
    assert [e.label for e in walk] == ["t=0.00", "t=0.25", "t=0.50", "t=0.75", "t=1.00"]
    assert walk[0].image == first.image and walk[-1].image == second.image
    assert walk[0].request["inputs"] == [str(first.path), str(second.path)]
    assert walk[0].request["mode"] == "interpolate"

    view.count.setValue(3)
    assert isinstance(wait_job(qtbot, window, view.variations(first.path)), Finished)
    variations = view.gallery.entries()[7:]
    # Labelled by the seed that remakes each, then what the plugin calls it.
    assert [e.label for e in variations] == [
        f"seed {e.seed} · variation {i}" for i, e in enumerate(variations)
    ]
    assert variations[0].request["mode"] == "variations"


def test_plugins_dialog_shows_a_broken_plugin_as_failed(qtbot, plugin_site, home, extra_site):
    (extra_site / "studio_broken_ui.py").write_text(
        "STUDIO_API_VERSION = 1\nraise RuntimeError('the broken plugin exploded')\n"
    )
    install_distribution(extra_site, "studio-broken-ui", {"brokenui": "studio_broken_ui"})
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    Settings.load(home.settings_file).set_plugin_enabled("brokenui", True)
    window = build_window(home, Settings.load(home.settings_file))
    qtbot.addWidget(window)
    try:
        dialog = window.open_plugins()
        assert dialog.status_of("brokenui") == "failed"
        assert dialog.status_of("testgen") == "loaded"
        row = dialog.names.index("brokenui")
        dialog.table.setCurrentCell(row, 1)
        details = dialog.details.toPlainText()
        assert "the broken plugin exploded" in details and "Traceback" in details
        # Switching a plugin off is saved in the settings and asks for a restart.
        dialog.set_enabled("brokenui", False)
        assert "brokenui" in Settings.load(home.settings_file).disabled_plugins
        assert not dialog.notice.isHidden()
        dialog.close()
    finally:
        window.session.shutdown()


def test_the_ui_imports_no_torch(env) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "import studio.ui\n"
        "from studio.engine.home import Home\n"
        "from studio.engine.settings import Settings\n"
        "from studio.ui.app import build_window\n"
        "home = Home.open()\n"
        "window = build_window(home, Settings.load(home.settings_file))\n"
        "window.show(); app.processEvents()\n"
        "window.tabs.setCurrentIndex(1); app.processEvents()\n"
        "window.tabs.setCurrentIndex(2); app.processEvents()\n"
        "assert window.generators.generator_ids(), 'no generators listed'\n"
        "print('torch' in sys.modules)\n"
        "window.session.shutdown()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_no_display_says_so_instead_of_crashing(env) -> None:
    bare = {
        k: v for k, v in env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [sys.executable, "-m", "studio"], env=bare, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "no display" in result.stderr and "xvfb-run" in result.stderr
    assert "xcb" not in result.stderr.replace("xvfb", "")


def test_a_plugin_installed_meanwhile_shows_and_approving_it_asks_for_a_restart(
    qtbot, window, extra_site
) -> None:
    """Installed while the window is open (as `studio plugin install` does): the open dialog
    lists it, awaiting a restart; ticking it (the user's approval) says a restart applies it."""
    dialog = window.open_plugins()
    qtbot.addWidget(dialog)
    assert "latecomer" not in dialog.names
    (extra_site / "studio_latecomer.py").write_text("STUDIO_API_VERSION = 1\n")
    install_distribution(extra_site, "studio-latecomer", {"latecomer": "studio_latecomer"})
    dialog.hide()
    dialog.show()  # shown again (or first opened) after the install
    assert dialog.status_of("latecomer") == "awaiting-restart"
    row = dialog.names.index("latecomer")
    assert dialog.table.item(row, 0).checkState() == Qt.CheckState.Unchecked  # not approved yet
    notices: list[bool] = []
    dialog.restart_needed.connect(lambda: notices.append(True))
    dialog.set_enabled("latecomer", True)
    assert notices and dialog.notice.isVisible() and "Restart Studio" in dialog.notice.text()
    assert "latecomer" in window.session.settings.approved_plugins
