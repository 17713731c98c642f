"""``studio``: the window with no arguments; headless subcommands otherwise.

Errors are one line with a hint (``--debug`` shows the traceback). Exit codes: 0 done, 1 the job
failed, 2 bad input or usage; stopped by a signal after saving a checkpoint: 130 Ctrl+C, 143
SIGTERM, 129 SIGHUP (see exit_codes).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from studio import __version__
from studio.api import GENERATION_MODES, StudioError
from studio.cli.exit_codes import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE

from . import library_commands, model_commands, plugin_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Generate text and images with local models, and teach them your style.",
    )
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--safe-mode", action="store_true", help="load built-in plugins only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    plugins = sub.add_parser("plugins", help="list plugins and their generators")
    plugins.add_argument("--json", action="store_true", help="print as JSON")

    describe = sub.add_parser("describe", help="a generator's parameters")
    describe.add_argument("generator", help="a generator id (see 'studio plugins')")
    describe.add_argument("--json", action="store_true", help="print as JSON")

    gen = sub.add_parser("generate", help="generate samples to files")
    gen.add_argument("generator", help="a generator id (see 'studio plugins')")
    gen.add_argument("--model", help="checkpoint folder, library model or run name")
    gen.add_argument("--prompt", default="", help="text to start from (text generators)")
    gen.add_argument("--seed", type=int, help="seed of the first sample (default: random)")
    gen.add_argument("--count", type=int, default=1, help="how many samples (default: 1)")
    gen.add_argument("--input", action="append", default=[], help="input file (repeatable)")
    gen.add_argument(
        "--mode",
        default="sample",
        choices=GENERATION_MODES,
        help="sample (default), reconstruct or variations of --input images, or interpolate",
    )
    gen.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a generation parameter (repeatable; 'studio describe GENERATOR' lists them)",
    )
    gen.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    gen.add_argument("--out", required=True, help="folder for the outputs")
    _isolation(gen)

    train = sub.add_parser("train", help="train a model, or fine-tune one with --from")
    train.add_argument("generator", help="a generator id (see 'studio plugins')")
    train.add_argument("--data", required=True, help="a file or folder")
    train.add_argument(
        "--from",
        dest="from_checkpoint",
        metavar="CKPT",
        help="fine-tune this model (library name, run name or checkpoint folder)",
    )
    train.add_argument("--steps", type=int, help="optimisation steps (default: the generator's)")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training parameter (repeatable; 'studio describe GENERATOR' lists them)",
    )
    train.add_argument("--name", help="the run's name (default: generator and time)")
    _isolation(train)
    _processes(train)

    evaluate = sub.add_parser(
        "evaluate",
        help="measure a model against your data: image quality (KID) and memorisation for "
        "image models, the voice report for text models",
    )
    evaluate.add_argument("model", help="checkpoint folder, library model or run name")
    evaluate.add_argument("--data", required=True, help="the folder or file to compare with")
    evaluate.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="an evaluation parameter"
    )
    evaluate.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    evaluate.add_argument("--out", help="also write the results and samples into this folder")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    text = evaluate.add_argument_group("text models (the voice report)")
    text.add_argument("--against", help="another model to compare with (the base, say)")
    text.add_argument("--training", help="the training text (default: what its run used)")
    text.add_argument("--prompts", type=int, default=8, help="prompts taken from the data")
    text.add_argument("--seed", type=int, default=0, help="seed of the generated samples")

    resume = sub.add_parser("resume", help="continue a stopped or killed run")
    resume.add_argument("run", help="the run's name or folder (see 'studio runs')")
    resume.add_argument("--steps", type=int, help="raise the run's total steps")
    _isolation(resume)
    _processes(resume)

    models_sub = library_commands.add_parsers(sub)
    model_commands.add_subcommands(sub, models_sub)

    plugin = sub.add_parser("plugin", help="enable, disable, create, install or remove a plugin")
    plugin_sub = plugin.add_subparsers(dest="plugin_command", metavar="ACTION", required=True)
    for action in ("enable", "disable"):
        verb = "load" if action == "enable" else "stop loading"
        switch = plugin_sub.add_parser(action, help=f"{verb} a plugin from the next start")
        switch.add_argument("name", help="the plugin's name (see 'studio plugins')")
    plugin_commands.add_subcommands(plugin_sub)
    return parser


def _isolation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--isolate",
        action="store_true",
        default=None,
        help="run the job in its own process (third-party plugins' jobs always are)",
    )


def _processes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nproc-per-node",
        type=int,
        default=1,
        metavar="N",
        help="train on N processes with PyTorch's launcher (torchrun): one per GPU, or CPU ranks",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    from studio.engine import safe_mode_requested

    args.safe_mode = args.safe_mode or safe_mode_requested()
    args.argv = argv  # --nproc-per-node runs the same command again under torchrun
    if args.command is None:
        return open_window(args.safe_mode)
    from . import commands

    handler = getattr(commands, f"cmd_{args.command}")
    try:
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        # `studio plugins | head`: the reader has gone, so there is nothing to say and no one
        # to say it to. Point stdout at nothing so the exit's own flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except StudioError as error:
        return fail(args, error, EXIT_USAGE)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as error:
        return fail(args, error, EXIT_FAILED)


def fail(args: argparse.Namespace, error: BaseException, code: int) -> int:
    if args.debug:
        traceback.print_exception(error, file=sys.stderr)
    message = str(error) if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
    print(f"studio: error: {message}", file=sys.stderr)
    if not args.debug:
        print("hint: run again with --debug for the full traceback", file=sys.stderr)
    return code


def open_window(safe_mode: bool = False) -> int:
    try:
        from studio.ui.app import main as window_main
    except ImportError:
        print(
            "studio: the window is not part of this build yet; use the subcommands (studio --help)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return window_main(safe_mode=safe_mode)


if __name__ == "__main__":
    raise SystemExit(main())
