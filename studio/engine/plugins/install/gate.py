"""The plugin site's gate: only approved, enabled plugins' distributions can be imported.

The plugin site is never on ``sys.path``. Instead one finder sits at the *end* of
``sys.meta_path`` and does two jobs:

- it lists every distribution in the site to ``importlib.metadata`` (``find_distributions``), so
  entry point discovery sees installed plugins, approved or not, and can say what each one is;
- it imports (``find_spec``) only the top-level modules of the distributions it was told to open:
  the enabled plugins and the dependencies they brought. Anything else in the site, a never-enabled
  plugin's package, or a module named like one of torch's optional imports, stays unimportable,
  whoever asks for it.

A name that Studio's own environment provides is never served from the site: the regular path
finders come first on ``sys.meta_path``, and the gate also refuses such a name outright, so a
plugin cannot shadow a module even where the environment's copy failed to import.
"""

from __future__ import annotations

import csv
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata as metadata
import sys
from collections.abc import Iterable
from pathlib import Path


def top_level_names(dist: metadata.Distribution) -> set[str]:
    """The top-level modules and packages a distribution installed, read from its RECORD."""
    names: set[str] = set()
    for entry in dist.files or []:
        parts = Path(str(entry)).parts
        if not parts or parts[0] in ("..", "__pycache__"):
            continue
        if parts[0].endswith((".dist-info", ".data")):
            continue
        first = parts[0]
        if len(parts) > 1:
            names.add(first)  # a package folder
        elif (
            first.endswith((".py", ".pyc"))
            or ".cpython-" in first
            or first.endswith((".so", ".pyd"))
        ):
            names.add(first.split(".", 1)[0])
    return {n for n in names if n.isidentifier()}


def record_names(dist: metadata.Distribution) -> set[str]:
    """Every path a distribution's RECORD lists, as written there."""
    record = Path(str(dist._path)) / "RECORD"  # type: ignore[attr-defined]
    if not record.is_file():
        return set()
    with open(record, newline="", encoding="utf-8") as handle:
        return {row[0] for row in csv.reader(handle) if row}


class SiteGate(importlib.abc.MetaPathFinder):
    """Serves the site's metadata to discovery, and its modules only for opened distributions."""

    def __init__(self, site: Path) -> None:
        self.site = Path(site)
        self.served: dict[str, str] = {}  # top-level module -> the distribution it comes from
        self.refused: dict[str, str] = {}  # top-level module -> why it is not served

    # -- discovery ------------------------------------------------------------------------------

    def find_distributions(
        self, context: metadata.DistributionFinder.Context | None = None
    ) -> Iterable[metadata.Distribution]:
        context = context or metadata.DistributionFinder.Context()
        # Only for a search of the default path: a search of named folders is not ours to join.
        if "path" in vars(context) or not self.site.is_dir():
            return iter(())
        return metadata.MetadataPathFinder.find_distributions(
            metadata.DistributionFinder.Context(name=context.name, path=[str(self.site)])
        )

    # -- imports --------------------------------------------------------------------------------

    def open(self, distributions: Iterable[str]) -> None:
        """Make the top-level modules of ``distributions`` (normalised names) importable."""
        from studio.engine.plugins.install.site import distributions as site_distributions

        present = site_distributions(self.site)
        for name in distributions:
            dist = present.get(name)
            if dist is None:
                continue
            for module in top_level_names(dist):
                if _provided_by_environment(module):
                    self.refused[module] = (
                        f"'{module}' from {name} is not importable: Studio's own environment "
                        "provides a module of that name, and a plugin never replaces it"
                    )
                    continue
                self.served.setdefault(module, name)
        importlib.invalidate_caches()

    def find_spec(self, fullname: str, path=None, target=None):  # importlib's finder protocol
        # Submodules are found through their package's __path__ by the normal finders.
        if path is not None or fullname not in self.served:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [str(self.site)])


def _provided_by_environment(module: str) -> bool:
    if module in sys.builtin_module_names or module in sys.stdlib_module_names:
        return True
    return importlib.machinery.PathFinder.find_spec(module, sys.path) is not None


def current() -> SiteGate | None:
    return next((f for f in sys.meta_path if isinstance(f, SiteGate)), None)


def install(site: Path) -> SiteGate:
    """Put the gate for ``site`` at the end of ``sys.meta_path``, replacing any earlier one."""
    remove()
    gate = SiteGate(site)
    sys.meta_path.append(gate)
    importlib.invalidate_caches()
    return gate


def remove() -> None:
    """Take the gate away (tests, a library folder changed in the settings)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, SiteGate)]
    importlib.invalidate_caches()
