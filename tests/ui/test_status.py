"""The status bar names the device and follows the memory a running job holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_support import wait_job

from studio.engine.events import Finished
from studio.ui.worker import DEVICE_REPORT_S

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


def test_the_memory_figure_follows_a_running_job(qtbot, window, corpus: Path) -> None:
    state = ["idle"]
    window.session.worker_state.connect(lambda new: state.__setitem__(0, new))
    while_running: list[dict] = []
    window.session.device_changed.connect(
        lambda info: while_running.append(info) if state[0] == "running" else None
    )
    window.session.set_generator("tinychar")
    view = window.train_view
    view.dataset.path.setText(str(corpus))
    # About 2.5 report periods of training, device "cpu" so the figure is the app's own memory.
    steps = int(2.5 * DEVICE_REPORT_S / 0.1)
    view.form.set_values({"steps": steps, "step_delay_ms": 100, "device": "cpu"})
    view.train()
    assert isinstance(wait_job(qtbot, window, view.job_id, timeout=60_000), Finished)
    # Reports came while it ran (every DEVICE_REPORT_S), not only when it ended.
    assert len(while_running) >= 2, while_running
    assert all(info["memory_used"] > 0 for info in while_running)
    label = window.statusBar().device.text()
    assert "in use of" in label and "cores" in label, label


def test_the_status_bar_reads_the_device_job_and_its_queue(qtbot, window, corpus: Path) -> None:
    window.session.set_generator("tinychar")
    view = window.train_view
    view.dataset.path.setText(str(corpus))
    view.form.set_values({"steps": 300, "step_delay_ms": 20})
    first = view.train()
    second = view.train()
    label = window.statusBar().state
    qtbot.waitUntil(lambda: "/300" in label.text(), timeout=30_000)
    assert label.text().startswith("Train tinychar  ·  ") and "1 waiting" in label.text()
    window.session.cancel(second)
    window.session.cancel(first)
    wait_job(qtbot, window, first)
    qtbot.waitUntil(lambda: label.text() == "Worker idle", timeout=10_000)
    assert not window.statusBar().safe_mode.isVisible()


def test_safe_mode_is_shown_while_it_is_on(qtbot, plugin_site, home) -> None:
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    main = build_window(home, Settings.load(home.settings_file), safe_mode=True)
    qtbot.addWidget(main)
    try:
        main.show()
        qtbot.waitExposed(main)
        assert main.session.host.safe_mode
        assert main.statusBar().safe_mode.isVisible()
        assert "built-in plugins" in main.statusBar().safe_mode.toolTip()
    finally:
        main.session.shutdown()


def test_the_theme_applies_at_once(qtbot, window) -> None:
    from PySide6.QtWidgets import QApplication

    from studio.ui.theme import THEMES

    window.train_view.curves._ensure_graphics()
    window.session.settings.set("theme", "light")
    window.apply_settings()
    app = QApplication.instance()
    assert app.property("studio_theme") == "light"
    assert "#f4f5f7" in app.styleSheet()  # the light stylesheet's window colour
    background = window.train_view.curves.graphics.backgroundBrush().color().name()
    assert background == THEMES["light"]["plot_bg"]
    window.session.settings.set("theme", "dark")
    window.apply_settings()
    assert app.property("studio_theme") == "dark"


def test_a_side_job_behind_another_in_its_lane_reads_waiting(qtbot, window, corpus: Path) -> None:
    # Two data checks share the side lane: the second waits for the first, and says so.
    window.session.set_generator("tinychar")
    first = window.session.check_data(corpus)
    second = window.session.check_data(corpus)
    rows = window.jobs.items
    assert rows[first].text(1) == "starting"
    assert rows[second].text(1) == "waiting beside"
    wait_job(qtbot, window, first)
    wait_job(qtbot, window, second)
    assert [rows[first].text(1), rows[second].text(1)] == ["done", "done"]
