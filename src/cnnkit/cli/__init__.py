"""The ``cnnkit`` command: a thin argument parser over the library.

Every subcommand has ``--help``; bad input prints one line (``cnnkit: error: ...``)
and exits with status 2, as argparse does for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cnnkit.cli import data_commands, model_commands, run_command, train_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnkit",
        description="Train, inspect and use convolutional neural networks "
        "(Keras 3 API on PyTorch).",
    )
    from cnnkit import __version__

    parser.add_argument("--version", action="version", version=f"cnnkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train_command.register(commands)
    model_commands.register(commands)
    data_commands.register(commands)
    run_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m cnnkit``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":  # the script's own arguments must not be parsed here
        return run_command.run_from_argv(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("cnnkit: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, RuntimeError, OSError) as exc:
        message = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        print(f"cnnkit: error: {message}", file=sys.stderr)
        return 1
