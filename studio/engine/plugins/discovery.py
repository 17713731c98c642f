"""Finding plugins: entry points and who owns each name, what to open in the plugin site, and
which plugins to try in a throwaway process before they are imported here.

Built-ins always keep their entry point names. Two third-party plugins that share one are both
skipped: neither may hide the other, and which was meant is the user's to say.
"""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path
from typing import TYPE_CHECKING

from studio.engine.home import Home
from studio.engine.plugins import probe
from studio.engine.plugins.install import gate
from studio.engine.plugins.install.site import normalize, read_manifest

if TYPE_CHECKING:
    from studio.engine.plugins.host import PluginRecord

ENTRY_POINT_GROUP = "studio.plugins"
# The distribution that ships Studio and its built-in plugins.
BUILTIN_DISTRIBUTION = "studio"


def is_builtin(entry_point: metadata.EntryPoint) -> bool:
    dist = entry_point.dist
    return dist is not None and dist.name == BUILTIN_DISTRIBUTION


def entry_points_with_rivals() -> list[tuple[metadata.EntryPoint, str | None]]:
    """Every plugin entry point, each with whoever else has its name (None: nobody).

    A built-in keeps its name; two third-party plugins that share one are both skipped, since
    neither may hide the other and which one was meant is the user's to say (by uninstalling one).
    """
    found = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    by_name: dict[str, list[metadata.EntryPoint]] = {}
    for entry_point in found:
        by_name.setdefault(entry_point.name, []).append(entry_point)
    listed = []
    for entry_point in found:
        rivals = [ep for ep in by_name[entry_point.name] if ep is not entry_point]
        builtin = next((ep for ep in rivals if is_builtin(ep)), None)
        if is_builtin(entry_point) or not rivals:
            listed.append((entry_point, None))
        elif builtin is not None:
            listed.append((entry_point, f"the built-in plugin '{entry_point.name}'"))
        else:
            others = ", ".join(sorted(_dist_name(ep) for ep in rivals))
            listed.append(
                (entry_point, f"the plugin '{entry_point.name}' of {others} (uninstall one)")
            )
    # Loaded in a stable order: built-ins, then third-party, each alphabetically.
    return sorted(listed, key=lambda pair: (not is_builtin(pair[0]), pair[0].name))


def _dist_name(entry_point: metadata.EntryPoint) -> str:
    return entry_point.dist.name if entry_point.dist else "unknown"


def _site_distribution(site: Path, entry_point: metadata.EntryPoint) -> str | None:
    """The normalised distribution name if ``entry_point`` comes from the plugin site."""
    dist = entry_point.dist
    folder = getattr(dist, "_path", None)
    if dist is None or folder is None or Path(str(folder)).parent != site:
        return None
    return normalize(dist.metadata["Name"])


def open_site(site: Path, entry_points: list[metadata.EntryPoint]) -> None:
    """Make the enabled site plugins, and the dependencies they brought, importable."""
    manifest = read_manifest(site)
    opened: set[str] = set()
    for entry_point in entry_points:
        name = _site_distribution(site, entry_point)
        if name is not None:
            opened |= {name, *manifest.get(name, {}).get("deps", [])}
    current = gate.current()
    if current is not None:
        current.open(sorted(opened))


def import_check(
    site: Path, to_check: list[tuple[PluginRecord, metadata.EntryPoint]]
) -> dict[str, str]:
    """Third-party plugins that killed, exited or hung a throwaway process at import."""
    manifest = read_manifest(site)
    candidates = []
    for record, entry_point in to_check:
        if entry_point.dist is None:
            continue
        name = _site_distribution(site, entry_point)
        opened = (name, *manifest.get(name, {}).get("deps", [])) if name else ()
        key = probe.cache_key(entry_point.dist)
        candidates.append(probe.Candidate(record.name, entry_point.value, key, tuple(opened)))
    return probe.check(candidates, Home(site.parent.parent).import_checks, site)
