"""Window fixtures: a real main window on the offscreen platform, with the test generators."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

# Where the apps whose models Studio finds look first; unset, each rule falls back to HOME.
STORE_VARIABLES = (
    "HF_HOME",
    "HF_HUB_CACHE",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "OLLAMA_MODELS",
    "APPDATA",
    "LOCALAPPDATA",
)


#: How long a modal dialog may wait for an answer before the test is failed for it.
STRAY_DIALOG_SECONDS = 20


@pytest.fixture(autouse=True)
def stray_dialogs(qapp) -> Iterator[list[str]]:
    """Fail a test that leaves a modal dialog unanswered, saying what the dialog said.

    A dialog nobody answers blocks the event loop in its own ``exec``, where no Python timeout
    can reach the test: the suite would hang to CI's limit with no word of why. A timer still
    runs inside that loop, so it closes the dialog and the test fails with the dialog's text.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

    stray: list[str] = []
    seen: dict[str, object] = {"widget": None, "ticks": 0}

    def look() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or widget is not seen["widget"]:
            seen.update(widget=widget, ticks=0)
            return
        seen["ticks"] = int(seen["ticks"]) + 1
        if seen["ticks"] < STRAY_DIALOG_SECONDS:
            return
        text = widget.text() if isinstance(widget, QMessageBox) else ""
        stray.append(f"{widget.windowTitle()!r}: {text}".strip())
        seen.update(widget=None, ticks=0)
        if isinstance(widget, QDialog):
            widget.reject()
        else:
            widget.close()

    timer = QTimer()
    timer.setInterval(1000)
    timer.timeout.connect(look)
    timer.start()
    yield stray
    timer.stop()
    if stray:
        pytest.fail(f"a modal dialog waited {STRAY_DIALOG_SECONDS} s unanswered: {stray}")


@pytest.fixture
def model_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME for the scan of other apps' models: a test lays out the stores it needs
    under it (tests/discovery/stores.py), and never sees the machine's own models."""
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("HOME", str(user))
    for name in STORE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return user


@pytest.fixture
def window(qtbot, plugin_site: Path, home) -> Iterator:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    main = build_window(home, Settings.load(home.settings_file))
    # As after the user's first look at the welcome panel (test_welcome.py covers the panel):
    # before the window shows, so no calibration job starts in every window test.
    main.create_view.dismiss_welcome()
    # Not qtbot.addWidget: pytest-qt closes its widgets before this fixture's teardown, and
    # closing mid-training asks the user first (a test that failed mid-run would hang on it).
    # Every job's terminal event, recorded from the first one (session lives in the GUI thread).
    main.ended = {}
    main.session.job_ended.connect(main.ended.__setitem__)
    main.show()
    qtbot.waitExposed(main)
    yield main
    assert main.session.shutdown(), "the worker's threads did not end"
    main.close()
    main.deleteLater()
    # The window and what Python still holds of it go now, in this test's teardown: a deletion
    # left to the next event loop would run inside whichever test comes next, and a problem in
    # it would be reported there.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
