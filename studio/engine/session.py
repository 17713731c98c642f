"""Opening Studio: the library home, the user's settings, the loaded plugins and their health.

The window and the command line both start here, so both see the same plugins in the same states,
and every job either of them makes comes from the session's factories: each is given the
session's :class:`PluginHealth`, so a plugin's failures count wherever its jobs ran.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.engine.datacheck import DataCheckJob
from studio.engine.evaluation import EvaluateJob
from studio.engine.generation import GenerateJob
from studio.engine.home import Home
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost, call_startup, load_plugins
from studio.engine.settings import Settings
from studio.engine.train.job import TrainJob


@dataclass
class Session:
    home: Home
    settings: Settings
    host: PluginHost
    health: PluginHealth

    @property
    def safe_mode(self) -> bool:
        return self.host.safe_mode

    # -- jobs: the one place they are made for the window and the command line -------------------

    def train_job(self, generator_id: str, **options: Any) -> TrainJob:
        """Train (``data=``, ``params=``), or fine-tune with ``from_checkpoint=``."""
        return TrainJob(self.host, self.home, generator_id, health=self.health, **options)

    def resume_job(self, run: str | Path, extra_steps: int | None = None) -> TrainJob:
        return TrainJob(
            self.host, self.home, resume=run, extra_steps=extra_steps, health=self.health
        )

    def generate_job(self, generator_id: str, **options: Any) -> GenerateJob:
        return GenerateJob(self.host, self.home, generator_id, health=self.health, **options)

    def evaluate_job(self, model: str | Path, **options: Any) -> EvaluateJob:
        """Measure ``model`` against ``data=`` with its generator's own measure."""
        return EvaluateJob(self.host, self.home, model, health=self.health, **options)

    def data_check_job(
        self, generator_id: str, source: Path, params: dict[str, Any] | None = None
    ) -> DataCheckJob:
        return DataCheckJob(self.host, self.home, generator_id, source, params, health=self.health)


def open_session(
    root: Path | None = None,
    *,
    safe_mode: bool = False,
    home: Home | None = None,
    settings: Settings | None = None,
) -> Session:
    """Open the library (``root``, or the default home), load the settings and the plugins.

    ``safe_mode`` loads the built-in plugins only (``studio --safe-mode``, or the window's offer
    after a crashed start).
    """
    home = home or Home.open(root)
    settings = settings or Settings.load(home.settings_file)
    host = start_plugins(home, settings, safe_mode=safe_mode)
    return Session(home, settings, host, PluginHealth(host, settings))


def safe_mode_requested(env: Mapping[str, str] | None = None) -> bool:
    """``STUDIO_SAFE_MODE=1``: the user's switch, read once where Studio starts."""
    value = (os.environ if env is None else env).get("STUDIO_SAFE_MODE", "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def start_plugins(home: Home, settings: Settings, *, safe_mode: bool = False) -> PluginHost:
    """Load the user's plugins and run their ``startup`` hooks."""
    host = load_plugins(settings, safe_mode=safe_mode)
    call_startup(host, home.root)
    return host
