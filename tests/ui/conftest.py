"""Window fixtures: a real main window on the offscreen platform, with the test generators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def window(qtbot, plugin_site: Path, home) -> Iterator:
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
    main.session.shutdown()
    main.close()
    main.deleteLater()
