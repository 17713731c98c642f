"""``studio runs`` and ``studio models``: list them, and remove, rename or export what is there."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.engine import Home, export_metrics, remove_model, remove_run, rename_model

from .exit_codes import EXIT_OK


def add_parsers(sub):
    runs = sub.add_parser("runs", help="list training runs; remove one, or export its metrics")
    runs.add_argument("--json", action="store_true", help="print the list as JSON")
    actions = runs.add_subparsers(dest="action", metavar="ACTION")
    remove = actions.add_parser("remove", help="delete a run (its model in the library stays)")
    remove.add_argument("name", help="the run's name (see 'studio runs')")
    export = actions.add_parser("export", help="write a run's metrics as CSV")
    export.add_argument("name", help="the run's name (see 'studio runs')")
    export.add_argument(
        "--out", default=".", help="a .csv file, or a folder for NAME-metrics.csv (default: .)"
    )

    models = sub.add_parser("models", help="list models; remove or rename one")
    models.add_argument("--json", action="store_true", help="print the list as JSON")
    actions = models.add_subparsers(dest="action", metavar="ACTION")
    add = actions.add_parser(
        "add", help="import a model you have: a Hugging Face folder or a .gguf file"
    )
    add.add_argument("path", help="the model's folder or .gguf file")
    add.add_argument("--name", help="its name in the library (default: from the model)")
    remove = actions.add_parser("remove", help="delete a model from the library")
    remove.add_argument("name", help="the model's name (see 'studio models')")
    rename = actions.add_parser("rename", help="give a model a new name")
    rename.add_argument("old", help="the model's name now")
    rename.add_argument("new", help="its new name: letters, digits, '.', '_' or '-'")
    return actions  # other model actions join it (studio.cli.model_commands)


def run(args: argparse.Namespace) -> int | None:
    """Handle an action of ``runs`` or ``models``; None when the command is a plain listing."""
    action = getattr(args, "action", None)
    if action is None or (args.command == "models" and action in ("add", "found")):
        return None  # a listing, or an import (a job: commands.cmd_models runs it)
    home = Home.open()
    if args.command == "runs" and action == "remove":
        print(f"removed run '{args.name}' ({remove_run(home, args.name)})")
    elif args.command == "runs" and action == "export":
        print(f"wrote {export_metrics(home, args.name, Path(args.out).expanduser())}")
    elif action == "remove":
        print(f"removed model '{args.name}' ({remove_model(home, args.name)})")
    elif action == "rename":
        print(f"renamed model '{args.old}' to '{rename_model(home, args.old, args.new).name}'")
    return EXIT_OK
