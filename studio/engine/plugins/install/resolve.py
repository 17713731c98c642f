"""Resolving a plugin's requirements offline, before anything changes: pip's dry run.

pip runs with ``--isolated`` (no user or machine pip configuration: no index sneaks in) and
``--no-index`` (only the wheel's own folder and folders the user names). The dry run sees the app's
environment plus the plugin site as installed, and a constraints file pins every one of those
distributions to the version present, so a plugin that needs a different torch or numpy is refused
with pip's own reason, and one that needs nothing new installs only itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from studio.api import StudioError
from studio.engine.plugins.install.site import normalize

# Never upgraded, downgraded or removed by a plugin: the app is built and tested against these.
PROTECTED = frozenset(
    normalize(n)
    for n in (
        "torch",
        "numpy",
        "PySide6",
        "PySide6-Essentials",
        "PySide6-Addons",
        "shiboken6",
        "pillow",
        "pluggy",
        "safetensors",
        "studio",
    )
)
PIP_TIMEOUT = 300


class InstallRefused(StudioError):
    """The plugin cannot be installed; the message names the requirement at fault."""


@dataclass(frozen=True)
class Planned:
    """One distribution the dry run would install into the plugin site."""

    name: str
    version: str
    wheel: Path
    requested: bool
    requires: tuple[str, ...]
    summary: str


def pip(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=PIP_TIMEOUT, env=env, check=False
    )


def build_wheel(project: Path, out: Path) -> Path:
    """Build ``project`` into a wheel in ``out`` offline (an isolated build needs an index)."""
    if not (project / "pyproject.toml").is_file() and not (project / "setup.py").is_file():
        raise InstallRefused(f"{project} is not a Python project (no pyproject.toml or setup.py)")
    out.mkdir(parents=True, exist_ok=True)
    result = pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out),
                 str(project.resolve()))  # fmt: skip
    wheels = sorted(out.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise InstallRefused(f"could not build {project} into a wheel:\n{_tail(result.stderr)}")
    return wheels[0]


def constraints(versions: dict[str, str]) -> str:
    return "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()))


def dry_run(
    wheel: Path,
    find_links: list[Path],
    pinned: dict[str, str],
    installed_view: Path,
) -> list[Planned]:
    """What installing ``wheel`` would add, given everything in ``pinned`` stays as it is.

    ``installed_view`` is a folder of dist-info folders that pip should count as installed besides
    the app's environment (the plugin site, minus the plugin being replaced).
    """
    with tempfile.TemporaryDirectory(prefix="studio-resolve-") as tmp:
        report, cons = Path(tmp) / "report.json", Path(tmp) / "constraints.txt"
        cons.write_text(constraints(pinned), encoding="utf-8")
        links = [arg for folder in find_links for arg in ("--find-links", str(folder))]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(installed_view), *filter(None, [env.get("PYTHONPATH")])]
        )
        # --only-binary: a dependency that is only a source archive would be built to read its
        # metadata, even in a dry run, and building runs its code.
        result = pip("install", "--dry-run", "--report", str(report), "--no-index",
                     "--only-binary", ":all:", *links, "-c", str(cons), str(wheel),
                     env=env)  # fmt: skip
        if result.returncode != 0:
            raise InstallRefused(explain_failure(result.stderr + result.stdout, pinned, find_links))
        data = json.loads(report.read_text(encoding="utf-8"))
    planned = [_planned(item) for item in data.get("install", [])]
    touched = sorted(p.name for p in planned if normalize(p.name) in PROTECTED)
    if touched:
        raise InstallRefused(
            f"installing {wheel.name} would change {', '.join(touched)}, which Studio protects"
        )
    return planned


def _planned(item: dict) -> Planned:
    # Imported here: urllib.request pulls in http and ssl, and the window imports this module.
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    meta = item["metadata"]
    url = item["download_info"]["url"]
    return Planned(
        name=meta["name"],
        version=meta["version"],
        # A file:// URL: percent-encoded (spaces), and with a drive letter on Windows.
        wheel=Path(url2pathname(urlparse(url).path)),
        requested=bool(item.get("requested")),
        requires=tuple(meta.get("requires_dist", [])),
        summary=meta.get("summary", "") or "",
    )


_DEPENDS = re.compile(r"^\s*(\S+) (\S+) depends on (.+?)\s*$", re.MULTILINE)
_MISSING = re.compile(r"No matching distribution found for (\S+)")
_FROM = re.compile(r"satisfies the requirement (\S+) \(from ([^)]+)\)")


def explain_failure(output: str, pinned: dict[str, str], find_links: list[Path] = ()) -> str:
    """pip's resolver output, turned into one sentence that names the requirement at fault."""
    reasons = []
    for who, version, requirement in _DEPENDS.findall(output):
        name = normalize(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0])
        if name in pinned:
            whose = "Studio's" if name in PROTECTED else "the installed"
            reasons.append(
                f"{who} {version} requires {requirement}, but {whose} {name} is {pinned[name]}"
                + (" and Studio never changes it" if name in PROTECTED else "")
            )
    if reasons:
        return "refused: " + "; ".join(dict.fromkeys(reasons))
    missing = _MISSING.search(output)
    if missing:
        wanted = _FROM.search(output)
        who = f"{wanted.group(2)} needs " if wanted else "needs "
        sources = _source_archives(missing.group(1), find_links)
        if sources:
            return (
                f"refused: {who}{missing.group(1)}, which the folders searched hold only as a "
                f"source archive ({sources[0].name}); building one runs its code, so Studio "
                f"installs wheels only: build its wheel where you trust the code (pip wheel "
                f"--no-deps {sources[0]}) and put it beside the plugin"
            )
        return (
            f"refused: {who}{missing.group(1)}, which is not installed and has no wheel in the "
            "folders searched; put its wheel beside the plugin or name a folder with --find-links"
        )
    return f"refused: pip could not resolve the plugin's requirements:\n{_tail(output)}"


def _source_archives(requirement: str, find_links: list[Path]) -> list[Path]:
    """Source archives (sdists) of the distribution ``requirement`` names, in ``find_links``."""
    wanted = normalize(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0])
    found = []
    for folder in find_links:
        for path in sorted(Path(folder).glob("*")):
            if path.name.endswith((".tar.gz", ".zip", ".tar.bz2")):
                stem = path.name.rsplit("-", 1)[0]
                if normalize(stem) == wanted:
                    found.append(path)
    return found


def _tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def installed_view(site: Path, skip: set[str], into: Path) -> Path:
    """Copy the dist-info folders of ``site`` (minus ``skip``) into ``into`` for the dry run."""
    from studio.engine.plugins.install.site import dist_info_folder, distributions

    into.mkdir(parents=True, exist_ok=True)
    for name, dist in distributions(site).items():
        if name not in skip:
            folder = dist_info_folder(dist)
            shutil.copytree(folder, into / folder.name)
    return into
