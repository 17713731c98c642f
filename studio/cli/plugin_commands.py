"""``studio plugin new|install|uninstall|rollback|snapshots``: write, install and trust plugins."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .exit_codes import EXIT_OK

ACTIONS = ("new", "install", "uninstall", "rollback", "snapshots")


def add_subcommands(plugin_sub: argparse._SubParsersAction) -> None:
    new = plugin_sub.add_parser("new", help="scaffold a plugin project that works out of the box")
    new.add_argument("name", help="plugin name: lower case letters, digits and _")
    new.add_argument("--dir", default=".", help="folder to create the project in (default: .)")

    install = plugin_sub.add_parser("install", help="install a plugin from a wheel or a folder")
    install.add_argument("path", help="a .whl file or a plugin project folder")
    install.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of wheels for the plugin's dependencies (repeatable; offline)",
    )
    install.add_argument("--dry-run", action="store_true", help="resolve and report only")
    install.add_argument(
        "--build",
        action="store_true",
        help="agree that building a project folder runs its code (wheels need no build)",
    )
    install.add_argument("--json", action="store_true", help="print the result as JSON")

    uninstall = plugin_sub.add_parser("uninstall", help="remove a plugin Studio installed")
    uninstall.add_argument("name", help="plugin or distribution name")

    plugin_sub.add_parser("rollback", help="undo the last plugin change")
    listing = plugin_sub.add_parser("snapshots", help="list plugin snapshots, newest first")
    listing.add_argument("--json", action="store_true", help="print as JSON")


def run(args: argparse.Namespace) -> int:
    return globals()[f"_cmd_{args.plugin_command}"](args)


def _installer():
    from studio.engine import Home, PluginInstaller

    return PluginInstaller(Home.open().root)


def _cmd_new(args: argparse.Namespace) -> int:
    from studio.scaffold import create_project

    project = create_project(args.name, Path(args.dir))
    print(f"created {project}")
    print(f"  test it:    cd {project} && python -m pytest")
    print(f"  install it: studio plugin install {project}")
    print(f"  enable it:  studio plugin enable {args.name}")
    return EXIT_OK


def _cmd_install(args: argparse.Namespace) -> int:
    installer = _installer()
    path = Path(args.path)
    build = args.build or (path.is_dir() and _agrees_to_build(path))
    result = installer.install(
        path, [Path(p) for p in args.find_links], dry_run_only=args.dry_run, build=build
    )
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    verb = "would install" if result.dry_run else "installed"
    print(f"{verb} {result.name} {result.version} in {result.seconds:.1f} s")
    if result.summary:
        print(f"  {result.summary}")
    print(f"  plugins: {', '.join(result.plugins)}")
    print(f"  requires: {', '.join(result.requires) or 'nothing'}")
    print(f"  new dependencies: {', '.join(result.dependencies) or 'none'}")
    if result.dry_run:
        return EXIT_OK
    print(f"  snapshot before the change: {result.snapshot} ('studio plugin rollback' undoes it)")
    names = " ".join(result.plugins)
    print(
        "Not enabled yet: plugins run with your full rights, so Studio does not import one until "
        f"you enable it: studio plugin enable {names}"
    )
    return EXIT_OK


def _agrees_to_build(folder: Path) -> bool:
    """On a terminal, ask before a folder is built; elsewhere the answer is no (see --build)."""
    if not sys.stdin.isatty():
        return False
    print(
        f"{folder} is a project folder. Building it runs its code (setup.py or its build "
        "backend) with your rights, before you have approved the plugin.",
        file=sys.stderr,
    )
    answer = input("Build it now? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _cmd_uninstall(args: argparse.Namespace) -> int:
    removed = _installer().uninstall(args.name)
    print(f"uninstalled {removed['name']} {removed['version']} ({', '.join(removed['removed'])})")
    print(f"  snapshot before the change: {removed['snapshot']} ('studio plugin rollback')")
    return EXIT_OK


def _cmd_rollback(args: argparse.Namespace) -> int:
    restored = _installer().rollback()
    print(f"restored the plugin set from before '{restored['reason']}' ({restored['name']})")
    return EXIT_OK


def _cmd_snapshots(args: argparse.Namespace) -> int:
    found = _installer().snapshots()
    if args.json:
        json.dump(found, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return EXIT_OK
    for snapshot in found:
        print(f"{snapshot['name']}  before: {snapshot['reason']}")
    if not found:
        print("no snapshots yet: one is taken before every install, uninstall and rollback")
    return EXIT_OK
