"""``studio models found`` and ``studio export``: the models on this machine, and taking one out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from studio.engine import ExportJob, find_models, judge_models, open_session

from .exit_codes import EXIT_OK


def add_subcommands(sub: Any, models_sub: Any) -> None:
    found = models_sub.add_parser(
        "found", help="models other apps keep on this machine (Hugging Face, LM Studio, Ollama...)"
    )
    found.add_argument("--json", action="store_true")
    found.add_argument("--seconds", type=float, default=10.0, help="time budget for the scan")

    export = sub.add_parser("export", help="export a model for llama.cpp, Ollama, LM Studio...")
    export.add_argument("model", help="a transformers model folder")
    export.add_argument("--format", required=True, choices=("gguf", "merged", "adapter"))
    export.add_argument("--type", default="f16", help="GGUF type: f16 (default) or q8_0")
    export.add_argument("--out", required=True, help="the file to write, or a folder for it")


def found(args: argparse.Namespace) -> int:
    session = open_session()
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


def export_job(args: argparse.Namespace) -> ExportJob:
    return ExportJob(args.model, args.out, args.format, gguf_type=args.type)
