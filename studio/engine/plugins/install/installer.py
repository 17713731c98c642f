"""Installing, uninstalling and rolling back third-party plugins, offline.

``install`` takes a wheel or a project folder (built into a wheel first), resolves its requirements
with a pip dry run that may not touch anything already installed, snapshots the plugin set, then
installs only what is missing into the plugin site (``plugin_site``). A new plugin starts awaiting
the user's approval: installing is not consent to run it. ``uninstall`` deletes a plugin's files and
the dependencies no other plugin needs; ``rollback`` puts back the set as it was before the last
change. Nothing here imports a plugin.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import StudioError
from studio.engine.home import Home
from studio.engine.plugins.install import snapshots
from studio.engine.plugins.install.resolve import (
    InstallRefused,
    Planned,
    build_wheel,
    dry_run,
    installed_view,
    pip,
)
from studio.engine.plugins.install.site import (
    app_distributions,
    distributions,
    normalize,
    read_manifest,
    remove_distribution,
    site_folder,
    write_manifest,
)
from studio.engine.settings import Settings

__all__ = ["BUILD_NOTICE", "InstallRefused", "InstallResult", "PluginInstaller"]

BUILD_NOTICE = (
    "{folder} is a project folder, and building it runs its code (setup.py or its build "
    "backend) with your rights, before you have approved the plugin; build a wheel yourself "
    "(pip wheel --no-deps --no-build-isolation -w dist {folder}) and install that, or agree to "
    "the build (--build; in the window, answer Yes)"
)


@dataclass
class InstallResult:
    """What an install did (or, for a dry run, would do): enough for the user to see what it is."""

    name: str
    version: str
    summary: str
    plugins: list[str]
    dependencies: list[str]
    requires: list[str]
    dry_run: bool = False
    snapshot: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


class PluginInstaller:
    """Installs into ``<home>/plugins/site``; ``settings`` are the user's (shared with a window)."""

    def __init__(self, home_root: Path, settings: Settings | None = None) -> None:
        self.home_root = Path(home_root)
        self.site = site_folder(self.home_root)
        self.settings = settings or Settings.load(Home(self.home_root).settings_file)

    # -- queries --------------------------------------------------------------------------------

    def installed(self) -> dict[str, dict[str, Any]]:
        """The plugin distributions Studio installed, by normalised name (the manifest)."""
        return read_manifest(self.site)

    def find(self, name: str) -> tuple[str, dict[str, Any]]:
        """The manifest entry for a distribution name or one of its plugin (entry point) names."""
        manifest = self.installed()
        key = normalize(name)
        if key in manifest:
            return key, manifest[key]
        for dist, entry in manifest.items():
            if name in entry.get("plugins", []):
                return dist, entry
        from studio.engine.plugins.discovery import entry_points_with_rivals

        if any(ep.name == name for ep, _taken in entry_points_with_rivals()):
            raise StudioError(
                f"plugin '{name}' is part of Studio's own environment (built in, or installed "
                "with pip there); Studio only uninstalls plugins it installed itself"
            )
        known = ", ".join(sorted(p for e in manifest.values() for p in e.get("plugins", [])))
        raise StudioError(f"no installed plugin '{name}' (installed: {known or 'none'})")

    # -- changes --------------------------------------------------------------------------------

    def install(
        self,
        path: Path,
        find_links: Sequence[Path] = (),
        *,
        dry_run_only: bool = False,
        build: bool = False,
    ) -> InstallResult:
        """Install a wheel; a project folder only with ``build`` (the user agreed to run it)."""
        began = time.perf_counter()
        path = Path(path).expanduser().resolve()
        links = [Path(p).expanduser().resolve() for p in find_links]
        for folder in links:
            if not folder.is_dir():
                raise InstallRefused(f"--find-links {folder} is not a folder")
        with self._locked(), tempfile.TemporaryDirectory(prefix="studio-install-") as tmp:
            wheel = self._wheel_for(path, Path(tmp) / "built", build)
            name = normalize(wheel.name.split("-", 1)[0])
            manifest = self.installed()
            _refuse_taken_names(wheel, name, manifest, self.site)
            replaced = self._owned_by(name, manifest)
            # The plugin's own dependencies stay installed for the dry run but are not pinned: a
            # new version of the plugin may keep them as they are or move them on.
            pinned = {**app_distributions(self.site), **self._site_versions(skip=replaced)}
            pinned.pop(name, None)
            view = installed_view(self.site, {name}, Path(tmp) / "view")
            planned = dry_run(wheel, [wheel.parent, *links], pinned, view)
            plugin = next((p for p in planned if normalize(p.name) == name), None)
            if plugin is None:
                raise InstallRefused(
                    f"{wheel.name}: this version of '{name}' is already installed in Studio's own "
                    "environment; nothing to do"
                )
            result = InstallResult(
                name=plugin.name,
                version=plugin.version,
                summary=plugin.summary,
                plugins=_wheel_entry_points(plugin.wheel),
                dependencies=[f"{p.name} {p.version}" for p in planned if p is not plugin],
                requires=list(plugin.requires),
                dry_run=dry_run_only,
            )
            if not result.plugins:
                raise InstallRefused(
                    f"{wheel.name} declares no entry point in the 'studio.plugins' group, so it is "
                    "not a Studio plugin"
                )
            if not dry_run_only:
                result.snapshot = self._apply(name, plugin, planned, replaced, manifest, path)
        result.seconds = time.perf_counter() - began
        return result

    def uninstall(self, name: str) -> dict[str, Any]:
        with self._locked():
            dist_name, entry = self.find(name)
            manifest = self.installed()
            owned = self._owned_by(dist_name, manifest)
            snapshot = snapshots.take(self.home_root, self.site, self.settings, f"uninstall {name}")
            present = distributions(self.site)
            for key in sorted(owned):
                if key in present:
                    remove_distribution(self.site, present[key])
            manifest.pop(dist_name, None)
            write_manifest(self.site, manifest)
            for plugin in entry.get("plugins", []):
                self.settings.forget_plugin(plugin)
        return {**entry, "removed": sorted(owned), "snapshot": snapshot.name}

    def rollback(self) -> dict[str, Any]:
        with self._locked():
            return snapshots.restore_latest(self.home_root, self.site, self.settings)

    def snapshots(self) -> list[dict[str, Any]]:
        return snapshots.list_snapshots(self.home_root)

    # -- internals ------------------------------------------------------------------------------

    def _wheel_for(self, path: Path, build_dir: Path, build: bool) -> Path:
        if path.is_dir():
            if not build:
                raise InstallRefused(BUILD_NOTICE.format(folder=path))
            # pip builds it in a child process: the project's code runs there, with consent.
            return build_wheel(path, build_dir)
        if path.is_file() and path.suffix == ".whl":
            return path
        raise InstallRefused(f"{path} is neither a wheel (.whl) nor a project folder")

    def _owned_by(self, name: str, manifest: dict[str, dict[str, Any]]) -> set[str]:
        """``name`` and the dependencies it brought that no other installed plugin also needs."""
        if name not in manifest:
            return {name}
        others = {d for key, e in manifest.items() if key != name for d in e.get("deps", [])}
        return {name} | {d for d in manifest[name].get("deps", []) if d not in others}

    def _site_versions(self, skip: set[str]) -> dict[str, str]:
        return {n: d.version for n, d in distributions(self.site).items() if n not in skip}

    def _apply(
        self,
        name: str,
        plugin: Planned,
        planned: list[Planned],
        replaced: set[str],
        manifest: dict[str, dict[str, Any]],
        source: Path,
    ) -> str:
        snapshot = snapshots.take(
            self.home_root, self.site, self.settings, f"install {plugin.name} {plugin.version}"
        )
        try:
            present = distributions(self.site)
            incoming = {normalize(p.name) for p in planned}
            # Replace the plugin and whichever of its own dependencies get a new version; keep
            # the rest (still needed, and satisfied as they are).
            for key in sorted(replaced & (incoming | {name})):
                if key in present:
                    remove_distribution(self.site, present[key])
            self.site.mkdir(parents=True, exist_ok=True)
            result = pip("install", "--no-index", "--no-deps", "--no-compile", "--upgrade",
                         "--only-binary", ":all:",
                         "--target", str(self.site), *(str(p.wheel) for p in planned))  # fmt: skip
            if result.returncode != 0:
                raise InstallRefused(f"pip could not install {plugin.name}:\n{result.stderr}")
            manifest[name] = {
                "name": plugin.name,
                "version": plugin.version,
                "plugins": _wheel_entry_points(plugin.wheel),
                "deps": sorted(_site_closure(self.site, plugin.requires)),
                "source": str(source),
                "installed": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
            write_manifest(self.site, manifest)
        except BaseException:
            snapshots.restore_latest(self.home_root, self.site, self.settings)
            raise
        # New code is not covered by an earlier yes: the user enables it again.
        for entry_point in manifest[name]["plugins"]:
            self.settings.forget_plugin(entry_point)
        return snapshot.name

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One plugin change at a time, across the window and any command line."""
        from filelock import FileLock  # portable: Windows, macOS and Linux alike

        lock_path = Home(self.home_root).plugin_lock
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(lock_path)):
            yield


def _refuse_taken_names(
    wheel: Path, name: str, manifest: dict[str, dict[str, Any]], site: Path
) -> None:
    """A plugin name already used by a built-in or another installed plugin is refused."""
    import importlib.metadata as metadata

    from studio.engine.plugins.discovery import BUILTIN_DISTRIBUTION, ENTRY_POINT_GROUP

    taken: dict[str, str] = {}
    for dist, entry in manifest.items():
        if dist != name:
            taken.update({plugin: f"the installed plugin '{plugin}' ({dist})"
                          for plugin in entry.get("plugins", [])})  # fmt: skip
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        folder = Path(str(getattr(dist, "_path", ""))).parent
        if dist is None or folder == site or normalize(dist.metadata["Name"]) == name:
            continue
        kind = "built-in" if dist.name == BUILTIN_DISTRIBUTION else "installed"
        taken[entry_point.name] = f"the {kind} plugin '{entry_point.name}' ({dist.name})"
    clashes = [f"'{p}' is already {taken[p]}" for p in _wheel_entry_points(wheel) if p in taken]
    if clashes:
        raise InstallRefused(
            f"refused: {wheel.name} declares plugin names that are taken ({'; '.join(clashes)}); "
            "a plugin can never replace another, so its entry point needs another name"
        )


def _requirement_name(requirement: str) -> str | None:
    """The distribution a requirement names; None for one that only applies with an extra."""
    if "extra" in requirement.partition(";")[2]:
        return None
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return normalize(match.group(1)) if match else None


def _site_closure(site: Path, requires: Sequence[str]) -> set[str]:
    """Every distribution in the plugin site that ``requires`` needs, directly or not.

    Recorded per plugin, so an uninstall removes a dependency only when no other plugin needs it
    (including one that was already in the site when this plugin came).
    """
    present = distributions(site)
    found: set[str] = set()
    todo = [n for n in map(_requirement_name, requires) if n]
    while todo:
        name = todo.pop()
        if name in found or name not in present:
            continue
        found.add(name)
        todo.extend(n for n in map(_requirement_name, present[name].requires or []) if n)
    return found


def _wheel_entry_points(wheel: Path) -> list[str]:
    """The ``studio.plugins`` entry point names a wheel declares, read without installing it."""
    import configparser
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        if not names:
            return []
        parser = configparser.ConfigParser(delimiters=("=",))
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(archive.read(names[0]).decode("utf-8"))
    from studio.engine.plugins.discovery import ENTRY_POINT_GROUP

    return sorted(parser[ENTRY_POINT_GROUP]) if parser.has_section(ENTRY_POINT_GROUP) else []
