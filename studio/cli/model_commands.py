"""``studio models found`` and ``studio export``: the models on this machine, and taking one out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from studio.engine import Event, Finished, Job, Session, find_models, judge_models

from .exit_codes import EXIT_OK
from .progress import EventPrinter


def add_subcommands(sub: Any, models_sub: Any) -> None:
    found = models_sub.add_parser(
        "found", help="models other apps keep on this machine (Hugging Face, LM Studio, Ollama...)"
    )
    found.add_argument("--json", action="store_true", help="print as JSON")
    found.add_argument("--seconds", type=float, default=10.0, help="time budget for the scan")

    export = sub.add_parser("export", help="export a model for llama.cpp, Ollama, LM Studio...")
    export.add_argument("model", help="a library model, run name, or transformers model folder")
    export.add_argument(
        "--format",
        required=True,
        choices=("gguf", "merged", "adapter"),
        help="gguf (llama.cpp, Ollama, LM Studio), merged (a Hugging Face folder) or adapter",
    )
    export.add_argument("--type", default="f16", help="GGUF type: f16 (default) or q8_0")
    export.add_argument("--out", required=True, help="the file to write, or a folder for it")

    # ``studio evaluate`` is one command for every model (studio/cli/main.py); for text models
    # it runs the voice report below (commands.cmd_evaluate).


def found(args: argparse.Namespace, session: Session) -> int:
    scan = find_models(seconds=args.seconds)
    judge_models(scan.models, session.host.generators.values())
    if args.json:
        json.dump(scan.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for model in scan.models:
        facts = [model.format, model.architecture or "?"]
        if model.parameters:
            facts.append(f"{model.parameters / 1e6:.1f}M parameters")
        if model.precision:
            facts.append(model.precision)
        facts.append(f"{model.size_bytes / 2**30:.2f} GiB")
        print(f"{model.source:<12} {model.name}")
        print(f"  {', '.join(facts)}")
        print(f"  {model.path}")
        print(f"  {'ok' if model.can_generate else 'no'}: {model.reason}")
    if not scan.models:
        where = ", ".join(scan.searched) or "none of the usual folders exist"
        print(f"no models found (searched: {where})")
    if scan.truncated:
        print(f"the scan stopped after {args.seconds:g} s; raise --seconds to look further")
    return EXIT_OK


def evaluate_job(args: argparse.Namespace, session: Session) -> Job:
    """The voice report, made by the command's own session (its plugins, loaded once)."""
    return session.voice_report_job(
        args.model,
        data=args.data,
        against=args.against,
        training=args.training,
        prompts=args.prompts,
        seed=args.seed,
        out=args.out,
    )


class ReportPrinter(EventPrinter):
    """Progress as usual; the finished report as a table (or JSON on stdout with --json)."""

    def __init__(self, as_json: bool) -> None:
        super().__init__()
        self.as_json = as_json

    def handle(self, event: Event) -> None:
        if not isinstance(event, Finished):
            super().handle(event)
            return
        self._close_bar()
        print_report(event.result["report"], self.as_json)
        for path in event.result["written"]:
            self.say(f"wrote {path}")


def print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    print(f"{'model':<28} {'bits/byte':>9} {'copy rate':>9} {'longest':>8} {'style':>6}")
    for label, entry in report["models"].items():
        copying = entry["copying"]
        bits = entry.get("bits_per_byte")
        print(
            f"{label[-28:]:<28} {f'{bits:.3f}' if bits is not None else '-':>9} "
            f"{copying['rate']:>9.1%} {copying['longest_words']:>8} {entry['style_distance']:>6.3f}"
        )
    real = report["figures"].get("style_distance/real")
    if real is not None:
        print(f"{'(the real continuations)':<28} {'':>9} {'':>9} {'':>8} {real:>6.3f}")
    for note in report.get("notes", []):
        print(f"note: {note}")


def export_job(args: argparse.Namespace, session: Session) -> Job:
    return session.export_job(args.model, args.out, args.format, args.type)
