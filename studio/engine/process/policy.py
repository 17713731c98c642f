"""Which jobs run in a child process, and building either kind of job from the same arguments.

Third-party plugins' jobs run isolated by default: a segfault in their code then costs that job
only. Built-in generators run in-process (no start-up cost) unless the user chose "isolate every
job" in Settings (``isolate_all_jobs``) or passed ``--isolate`` on the command line. A user who
trusts their plugins and wants no start-up cost sets ``isolate_plugin_jobs`` to false in the
settings file; the test suite does so for the tests that are not about isolation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import StudioError
from studio.engine.datacheck import DataCheckJob
from studio.engine.generation import GenerateJob
from studio.engine.home import Home
from studio.engine.importing import ImportJob
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.process.isolated import IsolatedJob, rebuildable
from studio.engine.settings import Settings
from studio.engine.store.runs import find_run
from studio.engine.train import distributed
from studio.engine.train.job import TrainJob

ISOLATE_SETTING = "isolate_all_jobs"
PLUGIN_JOBS_SETTING = "isolate_plugin_jobs"


def should_isolate(
    host: PluginHost, settings: Settings, generator_id: str | None, isolate: bool | None
) -> bool:
    """``isolate`` True or False decides; None follows the settings and the plugin's origin."""
    record = host.records.get(host.generator_plugin.get(generator_id or "", ""))
    if record is not None and not rebuildable(record):
        return False  # a plugin object made in memory: a fresh interpreter cannot load it
    if isolate is not None:
        return isolate
    if settings.get(ISOLATE_SETTING, False):
        return True
    third_party = record is not None and not record.builtin
    return third_party and bool(settings.get(PLUGIN_JOBS_SETTING, True))


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    def value(v: Any) -> Any:
        if isinstance(v, Path):
            return str(v)
        if isinstance(v, (list, tuple)):
            return [value(item) for item in v]
        return v

    return {k: value(v) for k, v in kwargs.items()}


def train_job(
    host: PluginHost,
    home: Home,
    settings: Settings,
    *,
    health: PluginHealth | None = None,
    isolate: bool | None = None,
    processes: int = 1,
    **kwargs: Any,
) -> Job:
    """A TrainJob, in-process or isolated; ``processes`` > 1 trains on that many ranks.

    ``health`` counts the job's failures wherever it runs: an isolated job's child builds its
    own job without it, and the parent counts what the child reports (and the child's death).
    """
    generator_id = kwargs.get("generator_id")
    if kwargs.get("resume") is not None:
        try:
            generator_id = find_run(home.runs, str(kwargs["resume"])).info["generator"]
        except StudioError:
            # It fails with the run's error, in-process.
            return TrainJob(host, home, health=health, **kwargs)
    local = TrainJob(host, home, health=health, **kwargs)
    # A rank under torchrun is its own process already, watched by torchrun's agent.
    in_ranks = distributed.detect() is not None
    if in_ranks or (processes <= 1 and not should_isolate(host, settings, generator_id, isolate)):
        return local
    launcher: tuple[str, ...] = ()
    if processes > 1:
        launcher = ("-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}")
    return IsolatedJob(
        "train",
        host,
        home,
        generator_id=generator_id,
        kwargs=_plain(kwargs),
        title=local.title + (f" on {processes} processes" if processes > 1 else ""),
        health=health,
        launcher=launcher,
    )


def generate_job(
    host: PluginHost,
    home: Home,
    settings: Settings,
    *,
    health: PluginHealth | None = None,
    isolate: bool | None = None,
    **kwargs: Any,
) -> Job:
    local = GenerateJob(host, home, health=health, **kwargs)
    # The seed the local job drew, so the isolated one records the same.
    kwargs = {**kwargs, "seed": local.seed}
    return _either("generate", local, host, settings, health, isolate, kwargs)


def data_check_job(
    host: PluginHost,
    home: Home,
    settings: Settings,
    *,
    health: PluginHealth | None = None,
    isolate: bool | None = None,
    generator_id: str,
    source: Path,
    params: dict[str, Any] | None = None,
    model: str | None = None,
) -> Job:
    """Checking a dataset runs the plugin's ``load_data``: isolated as its other jobs are."""
    local = DataCheckJob(host, home, generator_id, source, params, model=model, health=health)
    kwargs = {"generator_id": generator_id, "source": source, "params": params, "model": model}
    return _either("datacheck", local, host, settings, health, isolate, kwargs)


def import_job(
    host: PluginHost,
    home: Home,
    settings: Settings,
    *,
    health: PluginHealth | None = None,
    isolate: bool | None = None,
    path: Path | str,
    name: str | None = None,
) -> Job:
    """Importing runs the plugin's ``import_model``: isolated as its other jobs are.

    Which generator imports is only known once the job asks them (``accepts_import``, on the
    job's thread, not the window's), so the job applies the policy itself then.
    """

    def isolated(generator_id: str) -> bool:
        return should_isolate(host, settings, generator_id, isolate)

    return ImportJob(host, home, path, name=name, isolate=isolated, health=health)


def _either(
    kind: str,
    local: Job,
    host: PluginHost,
    settings: Settings,
    health: PluginHealth | None,
    isolate: bool | None,
    kwargs: dict[str, Any],
) -> Job:
    """``local``, or the same job (``kind`` built from ``kwargs``) in a child process."""
    if not should_isolate(host, settings, local.generator_id, isolate):
        return local
    isolated = IsolatedJob(
        kind,
        host,
        local.home,
        generator_id=local.generator_id,
        kwargs=_plain(kwargs),
        title=local.title,
        health=health,
    )
    # A data check in its own process still needs no device: it runs beside a training.
    isolated.needs_device, isolated.lane = local.needs_device, local.lane
    return isolated
