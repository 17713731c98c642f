"""Opening Studio: the library home, the user's settings, the loaded plugins and their health.

The window and the command line both start here, so both see the same plugins in the same states,
and every job either of them makes comes from the session's factories: each is given the
session's :class:`PluginHealth`, so a plugin's failures count wherever its jobs ran.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import StudioError
from studio.engine.discovery import DEFAULT_SECONDS
from studio.engine.discovery.job import FindModelsJob
from studio.engine.evaluation import EvaluateJob
from studio.engine.export.job import ExportJob
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost, call_startup, load_plugins
from studio.engine.process import policy
from studio.engine.settings import Settings
from studio.engine.store.library import resolve_checkpoint
from studio.engine.voice_report import VoiceReportJob


@dataclass
class Session:
    home: Home
    settings: Settings
    host: PluginHost
    health: PluginHealth
    #: ``--isolate``: True runs every job in its own process; None follows the isolation policy
    #: (third-party plugins' jobs isolated, built-ins too when Settings says "isolate every job").
    isolate: bool | None = None

    @property
    def safe_mode(self) -> bool:
        return self.host.safe_mode

    # -- jobs: the one place they are made for the window and the command line -------------------

    # A job may run in its own process (process/policy.py decides); either way it is a Job whose
    # run() yields the same events, and its plugin's failures count in this session's health.

    def train_job(self, generator_id: str, *, processes: int = 1, **options: Any) -> Job:
        """Train (``data=``, ``params=``), or fine-tune with ``from_checkpoint=``.

        ``processes`` > 1 trains on that many ranks under torchrun, in child processes.
        """
        return self._made(
            policy.train_job, generator_id=generator_id, processes=processes, **options
        )

    def resume_job(self, run: str | Path, extra_steps: int | None = None) -> Job:
        return self._made(policy.train_job, resume=run, extra_steps=extra_steps)

    def generate_job(self, generator_id: str, **options: Any) -> Job:
        return self._made(policy.generate_job, generator_id=generator_id, **options)

    def _made(self, build: Callable[..., Job], **options: Any) -> Job:
        return build(
            self.host,
            self.home,
            self.settings,
            health=self.health,
            isolate=self.isolate,
            **options,
        )

    def model_modality(self, reference: str | Path) -> str:
        """Whether a library model, run or checkpoint folder makes text or images."""
        checkpoint = resolve_checkpoint(self.home, reference)
        return self.host.generator(checkpoint.generator_id).modality

    def import_job(self, path: Path | str, name: str | None = None) -> Job:
        """Import a model the user has (a folder or a file) into the library; a third-party
        generator's ``import_model`` runs in a process of its own as its other jobs do."""
        return self._made(policy.import_job, path=path, name=name)

    def find_models_job(self, seconds: float = DEFAULT_SECONDS) -> Job:
        """Find the models other apps keep on this machine and say what Studio can do with each
        (``studio models found``); reads only, within ``seconds``."""
        return FindModelsJob(self.host, self.home, seconds=seconds, health=self.health)

    def evaluate_job(self, model: str | Path, **options: Any) -> EvaluateJob:
        """Measure ``model`` against ``data=`` with its generator's own measure."""
        return EvaluateJob(self.host, self.home, model, health=self.health, **options)

    def voice_report_job(self, model: str | Path, **options: Any) -> VoiceReportJob:
        """The voice report of a text model against held-out text at ``data=``."""
        return VoiceReportJob(self.host, self.home, model, health=self.health, **options)

    def export_job(
        self, source: str | Path, out: str | Path, fmt: str, gguf_type: str = "f16"
    ) -> ExportJob:
        """Export a library model or a transformers folder (``studio export``, Export model…)."""
        return ExportJob(
            source, out, fmt, gguf_type, host=self.host, home=self.home, health=self.health
        )

    def data_check_job(
        self,
        generator_id: str,
        source: Path,
        params: dict[str, Any] | None = None,
        model: str | None = None,
    ) -> Job:
        """``model``: the library model a generator that only fine-tunes reads the data with
        (lm's tokenizer); others ignore it."""
        return self._made(
            policy.data_check_job,
            generator_id=generator_id,
            source=source,
            params=params,
            model=model,
        )

    # -- another library folder -----------------------------------------------------------------

    def moved_to(self, root: Path) -> Session:
        """This session on the library folder ``root``: its own home, settings and health, the
        same loaded plugins.

        A folder with no settings yet starts with this library's (device, theme, the plugins the
        user approved or switched off), so moving to a new, empty library keeps the user's
        choices. Plugins stay loaded as they are; a change in which plugins the new library
        enables applies at the next start, as any plugin change does. StudioError when the
        folder cannot hold a library.
        """
        root = Path(root).expanduser()
        try:
            home = Home.open(root)
            fresh = not home.settings_file.exists()
            settings = Settings.load(home.settings_file)
            if fresh:
                settings.update(self.settings.snapshot())
        except OSError as error:
            raise StudioError(
                f"cannot use {root} as the library folder: {error.strerror or error}"
            ) from None
        return Session(home, settings, self.host, PluginHealth(self.host, settings), self.isolate)


def open_session(
    root: Path | None = None,
    *,
    safe_mode: bool = False,
    home: Home | None = None,
    settings: Settings | None = None,
    isolate: bool | None = None,
) -> Session:
    """Open the library (``root``, or the default home), load the settings and the plugins.

    ``safe_mode`` loads the built-in plugins only (``studio --safe-mode``, or the window's offer
    after a crashed start). ``isolate`` True runs every job in its own process (``--isolate``).
    """
    home = home or Home.open(root)
    settings = settings or Settings.load(home.settings_file)
    host = start_plugins(home, settings, safe_mode=safe_mode)
    return Session(home, settings, host, PluginHealth(host, settings), isolate)


def safe_mode_requested(env: Mapping[str, str] | None = None) -> bool:
    """``STUDIO_SAFE_MODE=1``: the user's switch, read once where Studio starts."""
    value = (os.environ if env is None else env).get("STUDIO_SAFE_MODE", "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def start_plugins(home: Home, settings: Settings, *, safe_mode: bool = False) -> PluginHost:
    """Load the user's plugins and run their ``startup`` hooks."""
    host = load_plugins(settings, safe_mode=safe_mode)
    call_startup(host, home.root)
    return host
