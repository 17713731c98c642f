"""The main window: composes the views, menus, shortcuts and status bar; holds no job state.

Layout and last choices persist in ``window.ini`` in the library home (QSettings, INI format),
so a test's private home never touches the user's own.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.api import StudioError
from studio.engine import interrupted_runs

from .models.history import PromptHistory
from .session import Session
from .theme import apply_theme
from .views.confirm import confirm
from .views.create_image import ImageCreateView
from .views.create_text import TextCreateView
from .views.export_dialog import ExportDialog
from .views.generator_picker import GeneratorPicker
from .views.jobs_panel import JobsPanel
from .views.model_import import ModelImport
from .views.model_library import ModelLibrary
from .views.model_picker import ModelPicker
from .views.plugins_dialog import PluginsDialog
from .views.resume_banner import ResumeBanner
from .views.runs_view import RunsView
from .views.settings_dialog import LIBRARY_KEY, SettingsDialog
from .views.status import StatusBar
from .views.train_view import TrainView
from .views.welcome import WelcomePanel, library_is_empty

TABS = ("Create", "Train", "Runs")


class CreateView(QStackedWidget):
    """Text or image creation, whichever the chosen generator makes."""

    def __init__(self, session: Session, history: PromptHistory) -> None:
        super().__init__()
        self.session = session
        self.text = TextCreateView(session, history)
        self.image = ImageCreateView(session)
        self.empty = QLabel("Pick a generator on the left.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome = WelcomePanel(session)
        self.welcome.dismissed.connect(self.dismiss_welcome)
        self.welcome_dismissed = False
        for widget in (self.empty, self.text, self.image, self.welcome):
            self.addWidget(widget)
        session.generator_changed.connect(self._switch)
        session.library_changed.connect(self._switch)
        self._switch()

    def _switch(self, *_args) -> None:
        generator = self.session.generator
        if generator is not None and not self.welcome_dismissed and library_is_empty(self.session):
            self.setCurrentWidget(self.welcome)  # a first start: two ways in
        elif generator is None:
            self.setCurrentWidget(self.empty)
        else:
            self.setCurrentWidget(self.text if generator.modality == "text" else self.image)

    def dismiss_welcome(self) -> None:
        self.welcome_dismissed = True
        if self.welcome.job_id is not None:
            self.session.cancel(self.welcome.job_id)
        self._switch()

    def generate(self) -> int | None:
        if self.currentWidget() is self.welcome:
            self.dismiss_welcome()  # Ctrl+Enter on a first start: the user wants to try it
        current = self.currentWidget()
        return current.generate() if current in (self.text, self.image) else None

    def cancel(self) -> None:
        current = self.currentWidget()
        if current in (self.text, self.image):
            current.cancel()


class MainWindow(QMainWindow):
    def __init__(self, session: Session, theme: str = "dark") -> None:
        super().__init__()
        self.session = session
        self.setWindowTitle("Studio")
        self.resize(1280, 820)
        self.qsettings = QSettings(str(session.home.window_state), QSettings.Format.IniFormat)

        self.generators = GeneratorPicker(session)
        self.models = ModelPicker(session)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel("Generator"))
        side_layout.addWidget(self.generators, 1)
        side_layout.addWidget(QLabel("Model"))
        side_layout.addWidget(self.models)
        side_layout.addWidget(self.models.hint)
        self.side_dock = self._dock(
            "Generators", side, Qt.DockWidgetArea.LeftDockWidgetArea, "generatorsDock"
        )

        self.create_view = CreateView(session, PromptHistory.in_home(session.home))
        self.train_view = TrainView(session, theme)
        self.runs_view = RunsView(session, theme)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("views")
        self.tabs.setDocumentMode(True)
        # The tab bar's base line ran, 1 px and white, right of the tabs in both themes.
        self.tabs.tabBar().setDrawBase(False)
        for title, view in zip(
            TABS, (self.create_view, self.train_view, self.runs_view), strict=True
        ):
            self.tabs.addTab(view, title)
        self.banner = ResumeBanner()
        self.banner.resume_requested.connect(self.resume_run)
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        # A run whose process ended without saying so (a crash, kill -9): offered at once.
        self.banner.offer(interrupted_runs(session.home.runs))
        self.runs_view.resume_requested.connect(self.resume_run)
        self.create_view.welcome.train_requested.connect(self.start_training)
        self.train_view.run_started.connect(self.runs_view.refresh)

        self.jobs = JobsPanel(session)
        self.jobs_dock = self._dock(
            "Jobs", self.jobs, Qt.DockWidgetArea.BottomDockWidgetArea, "jobsDock"
        )
        # Defaults for a first start; a saved layout replaces them in _restore.
        # Narrow enough that the views keep their room at 1024 x 640 (checked under Xvfb).
        self.resizeDocks([self.side_dock], [270], Qt.Orientation.Horizontal)
        self.resizeDocks([self.jobs_dock], [130], Qt.Orientation.Vertical)
        self.setStatusBar(StatusBar(session))
        self.library_dialog: ModelLibrary | None = None
        self._menus()
        self._restore()
        session.library_switched.connect(self._on_library_switched)

    def _dock(self, title: str, widget: QWidget, area, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut: str | QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "Export model…", self.open_export, "Ctrl+E")
        self._action(file, "Settings…", self.open_settings, "Ctrl+,")
        file.addSeparator()
        self._action(file, "Quit", self.close, QKeySequence.StandardKey.Quit)
        view = bar.addMenu("&View")
        for index, title in enumerate(TABS):
            self._action(
                view,
                title,
                lambda _=False, i=index: self.tabs.setCurrentIndex(i),
                f"Ctrl+{index + 1}",
            )
        view.addAction(self.jobs_dock.toggleViewAction())
        job = bar.addMenu("&Job")
        self.generate_action = self._action(job, "Generate", self.generate, "Ctrl+Return")
        self._action(job, "Train", self.train_view.train, "Ctrl+T")
        self.cancel_action = self._action(job, "Cancel", self.cancel, "Escape")
        self.model_import = ModelImport(self.session, self)
        model = self.model_import.add_menu(bar)
        self.found_action = self._action(model, "Models on this computer…", self.open_found)
        # The welcome panel's first path: the models found here, and a file or folder beside.
        self.create_view.welcome.set_add_model(self.open_found)
        tools = bar.addMenu("&Tools")
        self._action(tools, "Plugins…", self.open_plugins, "Ctrl+Shift+P")
        self._action(tools, "Model library…", self.open_library, "Ctrl+Shift+L")

    # -- actions --------------------------------------------------------------------------------

    def generate(self) -> int | None:
        self.tabs.setCurrentWidget(self.create_view)
        return self.create_view.generate()

    def cancel(self) -> None:
        """Escape: stops a generation at once; a training only after the user says so."""
        if self.tabs.currentWidget() is self.train_view:
            if self.train_view.job_id is not None and self.confirm_stop_training("Cancel"):
                self.train_view.cancel()
        else:
            self.create_view.cancel()

    def training(self):
        """The training that runs on the device now, if any (from the session's job table)."""
        return next((r for r in self.session.jobs.running() if r.kind == "train"), None)

    def confirm_stop_training(self, verb: str) -> bool:
        """Ask before a keystroke ends a training run (it saves a checkpoint and can resume)."""
        record = self.training()
        if record is None or not self.session.worker.busy:  # busy: not yet ended on the worker
            return True
        at = f" (step {record.done} of {record.total})" if record.total else ""
        return confirm(
            self,
            f"{verb} the training?",
            f"{record.title} is running{at}. {verb} it now? A checkpoint is saved first, "
            "so you can resume it later from Runs.",
        )

    def start_training(self) -> None:
        """The welcome panel's second path: the Train tab, its dataset field ready to fill."""
        self.tabs.setCurrentWidget(self.train_view)
        self.train_view.dataset.path.setFocus()

    def resume_run(self, path: str) -> None:
        self.tabs.setCurrentWidget(self.train_view)
        self.train_view.resume(path)

    def open_plugins(self) -> PluginsDialog:
        dialog = PluginsDialog(
            self.session.host, self.session.settings, self, health=self.session.engine.health
        )
        dialog.restart_needed.connect(self._restart_notice)
        dialog.show()
        return dialog

    def open_library(self, found: bool = False) -> ModelLibrary:
        """The one model library dialog (it keeps its found list and the imports it started)."""
        if self.library_dialog is None:
            self.library_dialog = ModelLibrary(
                self.session, self, importer=self.model_import.submit, browse=self.model_import.ask
            )
        dialog = self.library_dialog
        dialog.tabs.setCurrentIndex(1 if found else 0)
        dialog.show()
        dialog.raise_()
        return dialog

    def open_found(self) -> ModelLibrary:
        return self.open_library(found=True)

    def open_export(self) -> ExportDialog:
        dialog = ExportDialog(self.session, self)
        dialog.show()
        return dialog

    def _restart_notice(self) -> None:
        self.statusBar().showMessage("Plugin changes apply when Studio is restarted", 10000)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.session.settings, str(self.session.home.root), self)
        if dialog.exec():
            self.apply_settings_dialog(dialog)

    def apply_settings_dialog(self, dialog: SettingsDialog) -> None:
        """A new library folder first, so the dialog's other choices land in its settings."""
        folder = dialog.chosen_library()
        if folder is not None:
            self.save_layout()  # the old library keeps this window's layout
            try:
                self.session.switch_library(folder)
            except StudioError as error:
                QMessageBox.warning(self, "Library folder not changed", _capital(str(error)))
            else:
                QSettings().setValue(LIBRARY_KEY, str(self.session.home.root))
                self.statusBar().showMessage(f"Library folder: {self.session.home.root}", 10000)
        dialog.apply(self.session.settings)
        self.apply_settings()

    def apply_settings(self) -> None:
        """Device and theme from the settings, at once."""
        self.session.worker.device_choice = self.session.settings.get("device", "auto")
        theme = self.session.settings.get("theme", "dark")
        apply_theme(QApplication.instance(), theme)
        for curves in (self.train_view.curves, self.runs_view.curves):
            curves.set_theme(theme)

    def _on_library_switched(self) -> None:
        """The window's own files follow the library; the views reload theirs themselves."""
        home = self.session.home
        self.qsettings = QSettings(str(home.window_state), QSettings.Format.IniFormat)
        self.banner.offer(interrupted_runs(home.runs))

    # -- persistence ----------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.qsettings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.qsettings.value("state")
        if state is not None:
            self.restoreState(state)
        self.tabs.setCurrentIndex(int(self.qsettings.value("tab", 0)))
        last = self.session.settings.get("ui", {}).get("generator")
        ids = self.generators.generator_ids()
        chosen = last if last in ids else (ids[0] if ids else "")
        if chosen:
            self.session.set_generator(chosen)
        model = self.qsettings.value("model", "")
        if model:
            self.models.choose(str(model))
        picker = self.train_view.dataset
        self.qsettings.beginGroup("datasets")  # one folder per kind of generator
        picker.paths = {
            key: str(self.qsettings.value(key, "")) for key in self.qsettings.childKeys()
        }
        self.qsettings.endGroup()
        picker.path.setText(picker.paths.get(picker.modality, ""))
        if picker.path.text():
            picker.check()  # the report of last time's data, not an empty box under its path

    def save_layout(self) -> None:
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("state", self.saveState())
        self.qsettings.setValue("tab", self.tabs.currentIndex())
        self.qsettings.setValue("model", self.session.model_ref)
        picker = self.train_view.dataset
        self.qsettings.beginGroup("datasets")
        for modality, path in {**picker.paths, picker.modality: picker.path.text()}.items():
            if modality:
                self.qsettings.setValue(modality, path)
        self.qsettings.endGroup()
        self.qsettings.sync()
        self.session.settings.save()

    def close_without_asking(self) -> None:
        """Close for a reason the user already gave (SIGTERM, a logout): nobody is there to
        answer a question, and the running training still saves its checkpoint."""
        self._asked = True
        self.close()

    def closeEvent(self, event) -> None:
        """Closing mid-training asks first, then cancels the job, which saves a checkpoint:
        reopen and Resume."""
        if not getattr(self, "_asked", False) and not self.confirm_stop_training(
            "Quit Studio and stop"
        ):
            event.ignore()
            return
        self.save_layout()
        if self.session.worker.busy:
            self.statusBar().showMessage("Saving a checkpoint before closing…")
        self.session.shutdown()
        super().closeEvent(event)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
