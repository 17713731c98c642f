"""``studio`` / ``python main.py``: check for a display, load plugins, show the window.

Order matters for start-up time: nothing here imports torch; the worker imports it right after
the window has been shown (``Session.prewarm``), so the first paint is not held by it.
"""

from __future__ import annotations

import os
import sys
import time

EXIT_NO_DISPLAY = 2


def main(argv: list[str] | None = None, *, safe_mode: bool = False) -> int:
    from .startup import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    launched = time.perf_counter()
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setOrganizationName("Studio")
    app.setApplicationName("Studio")

    from studio.engine import Home, Settings

    from .startup import begin_start, end_start

    home = Home.open(_library_folder(QSettings))
    settings = Settings.load(home.settings_file)
    if begin_start(home.start_marker) and not safe_mode:
        answer = QMessageBox.question(
            None,
            "Studio did not start last time",
            "Studio stopped while starting last time; a plugin may be the cause.\n\n"
            "Start in safe mode (built-in plugins only)? You can switch plugins off in "
            "Tools → Plugins.",
        )
        safe_mode = answer == QMessageBox.StandardButton.Yes
    window = build_window(home, settings, safe_mode=safe_mode)
    window.show()
    shown = time.perf_counter() - launched
    if os.environ.get("STUDIO_BENCH_SHOWN"):
        code = _report_shown(app, home)
        window.session.shutdown()
        return code
    window.statusBar().showMessage(f"Ready in {shown:.2f} s", 5000)
    from .stop_signals import StopSignals

    # SIGTERM, SIGHUP and a logout close the window as the user would: with a checkpoint saved.
    StopSignals(app, lambda reason: stop_window(window, reason))
    # After the first paint: the plugins loaded and the window is up, so this start succeeded;
    # then warm torch on the worker.
    QTimer.singleShot(0, lambda: end_start(home.start_marker))
    QTimer.singleShot(0, window.session.prewarm)
    code = app.exec()
    window.session.shutdown()  # also when the app quit without closing the window
    return code


def stop_window(window, reason: str) -> None:
    """Close ``window`` because of ``reason`` (a signal, a logout); a training run saves first."""
    window.statusBar().showMessage(f"{reason}: saving a checkpoint and closing…")
    window.close_without_asking()


def _report_shown(app, home) -> int:
    """For bench/bench_ui.py: print when the window was first painted, then quit."""
    import json

    from .startup import end_start

    app.processEvents()  # the first paint
    print(json.dumps({"shown_at": time.time(), "torch_imported": "torch" in sys.modules}))
    end_start(home.start_marker)
    return 0


def build_window(home, settings, *, safe_mode: bool = False):
    """Load plugins, make the session and the main window (not shown). Used by tests too."""
    from PySide6.QtWidgets import QApplication

    from studio.engine import open_session

    from .binding_check import binding_warning
    from .collector import UiThreadCollector
    from .main_window import MainWindow
    from .session import Session
    from .theme import apply_theme

    warning = binding_warning()  # a binding known to crash long sessions: say so now
    if warning:
        print(f"studio: warning: {warning}", file=sys.stderr)
    theme = settings.get("theme", "dark")
    apply_theme(QApplication.instance(), theme)
    session = Session(open_session(home=home, settings=settings, safe_mode=safe_mode))
    window = MainWindow(session, theme)
    window.collector = UiThreadCollector(window)  # before the worker starts (see collector.py)
    session.start()
    return window


def _library_folder(qsettings_class):
    """The library folder chosen in Settings, unless STUDIO_HOME says otherwise (then None)."""
    from pathlib import Path

    if os.environ.get("STUDIO_HOME"):
        return None
    folder = qsettings_class().value("library_folder", "")
    return Path(folder) if folder else None
