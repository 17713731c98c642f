"""The subcommands. Each builds an engine job or reads the library, and renders the result."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from studio.api import parse_assignments
from studio.engine import (
    Cancelled,
    Failed,
    Finished,
    Home,
    Job,
    Session,
    Settings,
    describe_import,
    open_session,
)

from . import library_commands, model_commands, plugin_commands
from .exit_codes import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from .progress import EventPrinter


def _session(args: argparse.Namespace) -> Session:
    # --isolate runs the job in its own process; without it the isolation policy decides.
    return open_session(
        safe_mode=getattr(args, "safe_mode", False), isolate=getattr(args, "isolate", None)
    )


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def cmd_plugins(args: argparse.Namespace) -> int:
    host = _session(args).host
    if args.json:
        _print_json(
            {
                "safe_mode": host.safe_mode,
                "plugins": [r.to_json() for r in host.records.values()],
                "generators": [
                    {**g.describe(), "plugin": host.generator_plugin[g.id]}
                    for g in host.generators.values()
                ],
            }
        )
        return EXIT_OK
    if host.safe_mode:
        print("safe mode: third-party plugins are not loaded")
    for record in host.records.values():
        generators = ", ".join(record.generators) or "-"
        print(f"{record.name:<20} {record.status:<10} {record.source} {record.version}".rstrip())
        print(f"  generators: {generators}")
        if record.reason:
            print(f"  reason: {record.reason}")
    if not host.records:
        print("no plugins installed")
    return EXIT_OK


def cmd_describe(args: argparse.Namespace) -> int:
    host = _session(args).host
    from studio.engine import training_schema

    generator = host.generator(args.generator)
    schemas = {"generate": generator.generate_params, "train": training_schema(generator)}
    if args.json:
        _print_json({name: schema.to_json() for name, schema in schemas.items()})
        return EXIT_OK
    print(f"{generator.name} ({generator.id} {generator.version}, {generator.modality})")
    for name, schema in schemas.items():
        print(f"\n{name} parameters (--set KEY=VALUE):")
        for param in schema:
            bounds = ", ".join(
                part
                for part in (
                    f"min {param.minimum:g}" if param.minimum is not None else "",
                    f"max {param.maximum:g}" if param.maximum is not None else "",
                    "one of " + "|".join(map(str, param.choices)) if param.choices else "",
                )
                if part
            )
            bounds = f" [{bounds}]" if bounds else ""
            print(f"  {param.name} ({param.kind}, default {param.default!r}){bounds}: {param.help}")
    return EXIT_OK


# Ctrl+C, and what ``kill``, systemd and a closing terminal or session send: all stop a job the
# same way (finish the step, save a checkpoint) and exit 128 + the signal's number.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def run_job(job: Job, printer: EventPrinter | None = None) -> int:
    """Run ``job`` in this thread; Ctrl+C, SIGTERM or SIGHUP cancel it cleanly.

    A second signal of the same kind forces the exit (Ctrl+C raises KeyboardInterrupt, the others
    their default action).
    """
    if printer is None and os.environ.get("RANK", "0") != "0":
        # Under torchrun rank 0 reports; the other ranks print only their own failure.
        quiet = open(os.devnull, "w")  # noqa: SIM115 — for the life of the process
        printer = EventPrinter(err=quiet, out=quiet, tty=False)
    printer = printer or EventPrinter()
    received: list[int] = []

    def cancel(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        again = "Ctrl+C" if signum == signal.SIGINT else f"{name} again"
        printer.say(f"{name}: finishing the step and saving a checkpoint ({again} to quit)")
        received.append(signum)
        job.cancel()
        signal.signal(
            signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
        )

    previous = {signum: signal.signal(signum, cancel) for signum in STOP_SIGNALS}
    code = EXIT_OK
    try:
        for event in job.run():
            printer.handle(event)
            if isinstance(event, Cancelled):
                code = 128 + received[0] if received else EXIT_CANCELLED
            elif isinstance(event, Failed):
                code = EXIT_USAGE if event.user_error else EXIT_FAILED
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if printer.failure is not None:
        failure = printer.failure
        if "--debug" in sys.argv:
            print(failure.traceback, file=sys.stderr)
        print(f"studio: error: {failure.message}", file=sys.stderr)
        print(
            f"hint: {failure.hint or 'run again with --debug for the full traceback'}",
            file=sys.stderr,
        )
    return code


def cmd_generate(args: argparse.Namespace) -> int:
    session = _session(args)
    out = Path(args.out)  # made by the job, once the request is valid
    job = session.generate_job(
        args.generator,
        model=args.model,
        prompt=args.prompt,
        seed=args.seed,
        count=args.count,
        params=parse_assignments(args.set),
        inputs=[Path(p) for p in args.input],
        mode=args.mode,
        out_dir=out,
        device=args.device,
    )
    return run_job(job)


def cmd_train(args: argparse.Namespace) -> int:
    if args.nproc_per_node > 1:
        return launch_ranks(args.nproc_per_node, args.argv)
    session = _session(args)
    params: dict[str, Any] = parse_assignments(args.set)
    if args.steps is not None:
        params["steps"] = args.steps
    job = session.train_job(
        args.generator,
        data=args.data,
        params=params,
        from_checkpoint=args.from_checkpoint,
        name=args.name,
    )
    return run_job(job)


class _KeepResult(EventPrinter):
    """Shows progress and logs as usual, but keeps the job's result for the caller to print."""

    result: dict[str, Any] | None = None

    def handle(self, event: Any) -> None:
        if isinstance(event, Finished):
            self._close_bar()
            self.result = event.result
        else:
            super().handle(event)


def cmd_evaluate(args: argparse.Namespace) -> int:
    session = _session(args)
    if session.model_modality(args.model) == "text":
        # Text models: the voice report (fit, copying, style, samples beside the real text).
        job = model_commands.evaluate_job(args, session)
        return run_job(job, model_commands.ReportPrinter(args.json))
    job = session.evaluate_job(
        args.model,
        data=args.data,
        params=parse_assignments(args.set),
        device=args.device,
        out_dir=Path(args.out) if args.out else None,
    )
    printer = _KeepResult()
    code = run_job(job, printer)
    if printer.result is None:
        return code
    figures, results = printer.result["figures"], printer.result["results"]
    if args.json:
        _print_json({**figures, "results": results})
        return code
    if "kid" in figures:
        print(f"KID {figures['kid']:.4g} +- {figures.get('kid_std', 0.0):.2g}")
    for name, value in figures.items():
        if name not in ("kid", "kid_std"):
            print(f"{name}: {value:.4g}")
    for folder in results:
        print(f"results: {folder}")
    return code


def cmd_resume(args: argparse.Namespace) -> int:
    if args.nproc_per_node > 1:
        return launch_ranks(args.nproc_per_node, args.argv)
    return run_job(_session(args).resume_job(args.run, extra_steps=args.steps))


def launch_ranks(processes: int, argv: list[str]) -> int:
    """Run this same command under PyTorch's launcher, once per rank, on this machine.

    ``studio train ... --nproc-per-node 2`` is ``torchrun --standalone --nproc-per-node 2 -m
    studio train ...``; each rank finds its rank in the environment (train/distributed.py).
    Ctrl+C reaches every rank (one process group): each cancels, rank 0 saves the checkpoint.
    """
    import subprocess

    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={processes}",
        "-m",
        "studio",
        *_without_nproc(argv),
    ]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the ranks handle it
    try:
        code = subprocess.call(command)
    finally:
        signal.signal(signal.SIGINT, previous)
    return code if code >= 0 else EXIT_FAILED


def _without_nproc(argv: list[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc-per-node":
            skip = True
        elif not arg.startswith("--nproc-per-node="):
            kept.append(arg)
    return kept


def cmd_runs(args: argparse.Namespace) -> int:
    from studio.engine import list_runs

    handled = library_commands.run(args)
    if handled is not None:
        return handled
    runs = [run.summary() for run in list_runs(Home.open().runs)]
    if args.json:
        _print_json(runs)
        return EXIT_OK
    for run in runs:
        print(
            f"{run['name']:<32} {run['generator']:<10} {run['status']:<12} "
            f"step {run['step']}/{run['total_steps']}"
        )
    if not runs:
        print("no runs yet: start one with 'studio train GENERATOR --data PATH'")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "add":
        return run_job(_session(args).import_job(args.path, name=args.name))
    if getattr(args, "action", None) == "found":
        return model_commands.found(args, _session(args))
    from studio.engine import list_models

    handled = library_commands.run(args)
    if handled is not None:
        return handled
    models = list_models(Home.open())
    if args.json:
        _print_json(models)
        return EXIT_OK
    if not models:
        print(
            "no models yet: train one with 'studio train GENERATOR --data PATH', "
            "or import one with 'studio models add PATH'"
        )
        return EXIT_OK
    # One line per model: a library model by name, an unfinished run's checkpoint as run@step.
    print(f"{'MODEL':<36} {'GENERATOR':<10} {'STEP':<8} {'HASH'}")
    for model in models:
        # An imported model is known by its source's hash (its own weights file is empty).
        shown = model["base"][:16] if model.get("info") and model["step"] == 0 else None
        print(
            f"{model['name']:<36} {model['generator']:<10} {model['step']:<8} "
            f"{shown or model['model_hash']}"
        )
        if model.get("info"):
            print(f"  {describe_import(model['info'])}")
        for warning in model.get("warnings", []):
            print(f"  warning: {warning}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    return run_job(model_commands.export_job(args, _session(args)))


def cmd_plugin(args: argparse.Namespace) -> int:
    if args.plugin_command in plugin_commands.ACTIONS:
        return plugin_commands.run(args)
    home = Home.open()
    settings = Settings.load(home.settings_file)
    enable = args.plugin_command == "enable"
    settings.set_plugin_enabled(args.name, enable)
    print(
        f"plugin '{args.name}' {'enabled' if enable else 'disabled'}; "
        "the window picks this up when it next starts"
    )
    return EXIT_OK
