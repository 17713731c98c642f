"""The window with jobs in their own processes: a crash costs its job, and the two new controls."""

from __future__ import annotations

from pathlib import Path

from ui_support import wait_job

from studio.engine.events import Failed, Finished


def test_a_segfaulting_plugin_job_fails_alone_and_the_window_goes_on(
    qtbot, window, corpus: Path
) -> None:
    window.session.set_generator("tinychar")  # a third-party plugin's: isolated
    view = window.train_view
    view.dataset.path.setText(str(corpus))
    view.form.set_values({"steps": 8, "fail_at_step": 3, "fail_with": "segfault"})
    event = wait_job(qtbot, window, view.train())
    assert isinstance(event, Failed) and "SIGSEGV" in event.message
    assert event.message in view.failure_line.label.text()
    view.form.set_values({"fail_at_step": 0, "steps": 4})
    assert isinstance(wait_job(qtbot, window, view.train()), Finished)


def test_use_all_gpus_appears_only_with_several_gpus(qtbot, window) -> None:
    view = window.train_view
    assert not view.all_gpus.isVisibleTo(view)
    window.session.device_changed.emit({"name": "cpu", "memory_used": None, "gpus": 1})
    assert not view.all_gpus.isVisibleTo(view)
    window.session.device_changed.emit({"name": "2 GPUs", "memory_used": None, "gpus": 2})
    assert view.all_gpus.isVisibleTo(view) and view.gpus == 2


def test_settings_offer_to_isolate_every_job(qtbot, window) -> None:
    from studio.engine import ISOLATE_SETTING
    from studio.ui.views.settings_dialog import SettingsDialog

    settings = window.session.settings
    dialog = SettingsDialog(settings, "/tmp/library")
    qtbot.addWidget(dialog)
    assert not dialog.isolate.isChecked()
    dialog.isolate.setChecked(True)
    dialog.apply()
    assert settings.get(ISOLATE_SETTING) is True
    assert SettingsDialog(settings, "/tmp/library").isolate.isChecked()
