"""Discovering and loading plugins, each inside its own guard.

Built-in and third-party plugins come through the same entry point group, ``studio.plugins``. We
iterate the entry points ourselves rather than calling pluggy's ``load_setuptools_entrypoints``:
that one has no per-plugin guard, so one broken plugin would take down the start-up of all.

A plugin that fails to import, exits at import, declares an incompatible API, misspells or
mis-signs a hook, or raises from ``register_generators`` is unregistered (its modules dropped from
``sys.modules``) and recorded as failed with its reason and traceback. Every other plugin loads.

Before any of that, with the user's settings: an entry point whose name is taken is skipped
(``discovery``), only the enabled plugins' distributions are made importable from the plugin site
(``install/gate.py``), and a new or changed third-party plugin is first imported in a throwaway
process (``probe.py``), so one that ends or crashes the process at import is caught.
"""

from __future__ import annotations

import difflib
import importlib.metadata as metadata
import os
import sys
import traceback
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pluggy

from studio.api import (
    API_VERSION,
    Generator,
    StudioError,
    hookspecs,
    is_compatible,
)
from studio.engine.plugins.discovery import (
    entry_points_with_rivals,
    import_check,
    is_builtin,
    open_site,
)
from studio.engine.plugins.install.site import activate as activate_plugin_site
from studio.engine.plugins.validate import InvalidGenerator, check_generator
from studio.engine.settings import Settings

# Studio's own fallback implementations, registered like datasette's default plugins.
CORE_PLUGINS = ("studio.engine.plugins.exporters",)

APPROVAL_NOTICE = (
    "installed but not enabled: plugins run with your full rights, so Studio does not import a "
    "new one until you enable it (Plugins dialog, or 'studio plugin enable NAME')"
)

Status = Literal[
    "loaded", "failed", "disabled", "safe-mode", "awaiting-approval", "awaiting-restart"
]


@dataclass
class PluginRecord:
    """What the user sees of one plugin in ``studio plugins`` and the Plugins dialog."""

    name: str
    module: str
    source: str
    version: str
    builtin: bool
    status: Status = "loaded"
    reason: str = ""
    traceback: str = ""
    generators: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# The source of a plugin handed to load_plugins as an object (``extra``), not an entry point.
IN_PROCESS = "in-process"

# Generators registered without a record (none today) count as loaded.
_LOADED = PluginRecord("", "", "", "", False)


class PluginLoadError(Exception):
    """Why one plugin could not load; caught by the host and recorded, never raised to the user."""


@dataclass
class PluginHost:
    """The loaded plugin manager, every plugin's record, and the generators they registered."""

    manager: pluggy.PluginManager
    records: dict[str, PluginRecord]
    generators: dict[str, Generator]
    generator_plugin: dict[str, str]
    safe_mode: bool = False

    def generator(self, generator_id: str) -> Generator:
        """The one way to get a generator: refused when its plugin is disabled or failed."""
        owner = self.records.get(self.generator_plugin.get(generator_id, ""))
        if owner is not None and owner.status != "loaded":
            # Switched off during this session (PluginHealth): its generators are not handed out.
            raise StudioError(f"generator '{generator_id}' is not available: {owner.reason}")
        try:
            return self.generators[generator_id]
        except KeyError:
            known = ", ".join(sorted(self.available())) or "none"
            raise StudioError(
                f"no generator '{generator_id}' (available: {known}); "
                "run 'studio plugins' to see which plugins loaded"
            ) from None

    def available(self) -> dict[str, Generator]:
        """The generators that :meth:`generator` hands out now, by id."""
        return {
            gid: generator
            for gid, generator in self.generators.items()
            if self.records.get(self.generator_plugin.get(gid, ""), _LOADED).status == "loaded"
        }

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.status == "failed"]


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    if os.environ.get("STUDIO_TRACE_HOOKS"):
        # Every hook call and result, indented by nesting, on stderr.
        manager.trace.root.setwriter(sys.stderr.write)
        manager.enable_tracing()
    return manager


def load_plugins(
    settings: Settings | None = None,
    *,
    safe_mode: bool = False,
    extra: Iterable[tuple[str, object]] = (),
    only: Collection[str] | None = None,
) -> PluginHost:
    """Load every plugin found through entry points (plus ``extra`` name/object pairs).

    With the user's ``settings``, disabled plugins and third-party plugins the user has not yet
    enabled are recorded but never imported. Without settings (tests, embedding Studio in a
    script) every installed plugin is trusted. ``only``: exactly the entry points named, as a
    job's child process loads the plugins its parent had loaded (the parent already decided).
    """
    safe = safe_mode
    site = activate_plugin_site(settings.path.parent) if settings is not None else None
    disabled = settings.disabled_plugins if settings else set()
    approved = settings.approved_plugins if settings else set()
    host = PluginHost(new_manager(), {}, {}, {}, safe_mode=safe)
    for module_name in CORE_PLUGINS:
        host.manager.register(__import__(module_name, fromlist=["_"]), name=module_name)

    to_load = []
    for entry_point, taken_by in entry_points_with_rivals():
        if only is not None and (entry_point.name not in only or taken_by is not None):
            continue  # a job's child: exactly what its parent loaded, which decided already
        record = _record_for(entry_point)
        if only is not None:
            to_load.append((record, entry_point))
        elif taken_by is not None:
            # Built-ins always win; a name two plugins share is neither's: it is never shared.
            record.name = f"{entry_point.name}@{record.source}"
            record.status = "failed"
            record.reason = (
                f"skipped: its entry point name '{entry_point.name}' is already taken by "
                f"{taken_by}; a plugin can never hide another"
            )
        elif record.name in disabled:
            record.status = "disabled"
        elif safe and not record.builtin:
            record.status = "safe-mode"
        elif not record.builtin and record.name not in approved and settings is not None:
            record.status = "awaiting-approval"
            record.reason = APPROVAL_NOTICE
        else:
            to_load.append((record, entry_point))
        host.records[record.name] = record
    if site is not None:
        open_site(site, [ep for record, ep in to_load if not record.builtin])
        crashed = import_check(site, [(r, ep) for r, ep in to_load if not r.builtin])
    else:
        crashed = {}
    for record, entry_point in to_load:
        if record.name in crashed:
            record.status = "failed"
            record.reason = crashed[record.name]
            record.traceback = f"{record.reason}\n"
            continue
        _guarded_load(host, record, entry_point.load, root_module=entry_point.module)
    for name, plugin in extra:
        record = PluginRecord(name, getattr(plugin, "__name__", name), IN_PROCESS, "", False)
        host.records[name] = record
        _guarded_load(host, record, lambda plugin=plugin: plugin, root_module=None)
    return host


def installed_since_start(host: PluginHost) -> list[PluginRecord]:
    """Plugins installed after ``host`` loaded (by the command line, or another window): they
    are listed as awaiting a restart, so an open Plugins dialog shows them too."""
    import importlib

    importlib.invalidate_caches()
    records = []
    for entry_point, _taken_by in entry_points_with_rivals():
        if entry_point.name not in host.records:
            record = _record_for(entry_point)
            record.status = "awaiting-restart"
            record.reason = "installed after Studio started: restart Studio to load it"
            records.append(record)
    return records


def _record_for(entry_point: metadata.EntryPoint) -> PluginRecord:
    dist = entry_point.dist
    builtin = is_builtin(entry_point)
    return PluginRecord(
        name=entry_point.name,
        module=entry_point.value,
        source="built-in" if builtin else (dist.name if dist else "unknown"),
        version=dist.version if dist else "",
        builtin=builtin,
    )


def _guarded_load(
    host: PluginHost, record: PluginRecord, load: Callable[[], object], root_module: str | None
) -> None:
    modules_before = set(sys.modules)
    plugin: object | None = None
    try:
        plugin = _import(load)
        _check_api_version(plugin)
        _check_hook_names(plugin)
        _register(host.manager, plugin, record.name)
        generators = _call_register_generators(host, plugin, record.name)
    except PluginLoadError as error:
        record.status = "failed"
        record.reason = str(error)
        cause = error.__cause__
        record.traceback = "".join(traceback.format_exception(cause)) if cause else f"{error}\n"
        if plugin is not None and host.manager.is_registered(plugin):
            host.manager.unregister(plugin)
        _forget_modules(modules_before, root_module)
        return
    for generator in generators:
        host.generators[generator.id] = generator
        host.generator_plugin[generator.id] = record.name
    record.generators = [g.id for g in generators]
    record.status = "loaded"


def _import(load: Callable[[], object]) -> object:
    try:
        return load()
    except KeyboardInterrupt:
        raise
    except SystemExit as error:
        raise PluginLoadError(f"called sys.exit({error.code!r}) while being imported") from error
    except BaseException as error:
        raise PluginLoadError(f"could not be imported: {type(error).__name__}: {error}") from error


def _check_api_version(plugin: object) -> None:
    declared = getattr(plugin, "STUDIO_API_VERSION", None)
    if declared is None:
        raise PluginLoadError(
            f"does not declare STUDIO_API_VERSION; plugins for this Studio set it to {API_VERSION}"
        )
    if not is_compatible(declared):
        raise PluginLoadError(
            f"was built for plugin API {declared}, but this Studio provides API {API_VERSION}; "
            "look for an updated version of the plugin"
        )


def _hook_functions(plugin: object) -> dict[str, Any]:
    marker = f"{hookspecs.PROJECT}_impl"
    found = {}
    for name in dir(plugin):
        value = getattr(plugin, name, None)
        if callable(value) and hasattr(value, marker):
            found[name] = value
    return found


def _check_hook_names(plugin: object) -> None:
    known = [name for name, value in vars(hookspecs).items() if hasattr(value, "studio_spec")]
    for name in _hook_functions(plugin):
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = (
                f"; did you mean '{close[0]}'?" if close else f"; known hooks: {', '.join(known)}"
            )
            raise PluginLoadError(f"implements unknown hook '{name}'{hint}")


def _register(manager: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        manager.register(plugin, name=name)
    except Exception as error:
        # pluggy reports a hook whose arguments are not in the spec as PluginValidationError.
        raise PluginLoadError(f"has an invalid hook: {error}") from error


def _call_register_generators(host: PluginHost, plugin: object, name: str) -> list[Generator]:
    impl = next(
        (i for i in host.manager.hook.register_generators.get_hookimpls() if i.plugin is plugin),
        None,
    )
    if impl is None:
        return []
    try:
        result = impl.function()
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        raise PluginLoadError(
            f"register_generators raised {type(error).__name__}: {error}"
        ) from error
    return _checked_generators(host, result, name)


def _checked_generators(host: PluginHost, result: object, name: str) -> list[Generator]:
    if not isinstance(result, (list, tuple)):
        raise PluginLoadError(
            f"register_generators returned {type(result).__name__}, expected a list of Generators"
        )
    seen: set[str] = set()
    for generator in result:
        try:
            check_generator(generator)
        except InvalidGenerator as error:
            raise PluginLoadError(str(error)) from error
        owner = host.generator_plugin.get(generator.id)
        if owner is not None or generator.id in seen:
            raise PluginLoadError(
                f"generator id '{generator.id}' is already provided by plugin '{owner or name}'"
            )
        seen.add(generator.id)
    return list(result)


def _forget_modules(before: set[str], root_module: str | None) -> None:
    """Drop the failed plugin's own modules so nothing of it stays importable-by-accident."""
    if not root_module:
        return
    for name in set(sys.modules) - before:
        if name == root_module or name.startswith(root_module + "."):
            del sys.modules[name]


def call_startup(host: PluginHost, home: Any) -> None:
    """Run every plugin's ``startup`` hook; one that raises is marked failed and unregistered."""
    for impl in list(host.manager.hook.startup.get_hookimpls()):
        name = host.manager.get_name(impl.plugin)
        try:
            impl.function(**{arg: home for arg in impl.argnames if arg == "home"})
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            record = host.records.get(name)
            host.manager.unregister(impl.plugin)
            for gid in [g for g, owner in host.generator_plugin.items() if owner == name]:
                del host.generators[gid]
                del host.generator_plugin[gid]
            if record is not None:
                record.status = "failed"
                record.reason = f"startup raised {type(error).__name__}: {error}"
                record.traceback = "".join(traceback.format_exception(error))
                record.generators = []
