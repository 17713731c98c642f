"""The first start: an empty library opens on the welcome panel, with a measured estimate."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt


def test_an_empty_library_opens_on_the_welcome_panel(
    qtbot, plugin_site, home, corpus, model_stores
) -> None:
    from studio.engine import CalibrationResult, Finished, training_schema
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    main = build_window(home, Settings.load(home.settings_file))
    ended: dict = {}
    main.session.job_ended.connect(ended.__setitem__)
    try:
        main.session.set_generator("tinychar")
        main.show()
        qtbot.waitExposed(main)
        welcome = main.create_view.welcome
        assert main.create_view.currentWidget() is welcome
        assert welcome.job_id is None  # showing the window never imports torch
        main.session.prewarm()  # as the app does right after the window shows
        qtbot.waitUntil(lambda: welcome.job_id is not None, timeout=60_000)
        job = welcome.job_id  # measuring starts once torch is warm
        qtbot.waitUntil(lambda: job in ended, timeout=60_000)
        event = ended[job]
        assert isinstance(event, Finished) and isinstance(event.result, CalibrationResult)
        steps = training_schema(main.session.generator).defaults()["steps"]
        assert event.result.default_steps == steps and event.result.seconds_per_step > 0
        assert f"({steps} steps)" in welcome.estimate.text()
        assert "measured just now" in welcome.estimate.text()
        assert not list(home.runs.iterdir())  # measuring left nothing in the library
        # The import path: the models found on this computer (none in this test's HOME), with
        # a file or folder of one's own beside them.
        assert welcome.add_button.isEnabled()
        qtbot.mouseClick(welcome.add_button, Qt.MouseButton.LeftButton)
        library = main.library_dialog
        assert library is not None and library.isVisible()
        assert library.tabs.currentWidget() is library.found
        qtbot.waitUntil(lambda: "No models found" in library.found.status.text(), timeout=30_000)
        assert library.found.browse_button.isEnabled()
        library.close()
        # The other path leads to the Train tab; a first model replaces the panel.
        qtbot.mouseClick(welcome.train_button, Qt.MouseButton.LeftButton)
        assert main.tabs.currentWidget() is main.train_view
        view = main.train_view
        view.dataset.path.setText(str(Path(corpus)))
        view.form.set_values({"steps": 3})
        trained = view.train()
        qtbot.waitUntil(lambda: trained in ended, timeout=60_000)
        assert main.create_view.currentWidget() is main.create_view.text
    finally:
        main.session.shutdown()
        main.close()
