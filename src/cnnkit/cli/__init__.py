"""The ``cnnkit`` command: a thin argument parser over the library.

Every subcommand has ``--help``. Bad input never shows a traceback: a usage error
(an unknown option, a value of the wrong kind) prints one line
``cnnkit <command>: error: ...`` and exits with status 2, as argparse does; an error
from the library (a missing file, an unknown dataset) prints one line
``cnnkit: error: ...`` and exits with status 1. The one exception to "one line" is a
dataset that no source could provide: the sources tried, and how to put the file in
place by hand, follow on the next lines, because that is the part that helps.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from cnnkit.cli import (
    data_commands,
    model_commands,
    report_command,
    run_command,
    serve_command,
    train_command,
)
from cnnkit.errors import DatasetError

# What the library raises for bad input or an unusable file; anything else is a bug
# and keeps its traceback.
_USER_ERRORS = (ValueError, TypeError, RuntimeError, OSError, ImportError)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (subcommand parsers inherit the class)."""

    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block first; one line that names the
        # command and points at its --help reads better in a terminal and a log.
        hint = suggestion(message, self._option_strings())
        self.exit(
            2, f"{self.prog}: error: {message}{hint} (see `{self.prog} --help`)\n"
        )

    def _option_strings(self) -> list[str]:
        """Long options of this parser and of its subcommands (argparse reports a
        subcommand's unknown option from the top-level parser)."""
        parsers: list[argparse.ArgumentParser] = [self]
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += list(action.choices.values())
        return sorted(
            {
                option
                for parser in parsers
                for action in parser._actions
                for option in action.option_strings
                if option.startswith("--") and option != "--help"
            }
        )


def suggestion(message: str, options: Sequence[str]) -> str:
    """ " Did you mean ...?" for argparse's messages about a mistyped command, choice
    or option, else ``""``.

    Example:
        >>> suggestion("argument COMMAND: invalid choice: 'trian' (choose from "
        ...            "'train', 'evaluate')", [])
        " Did you mean 'train'?"
        >>> suggestion("unrecognized arguments: --epoch 3", ["--epochs", "--seed"])
        " Did you mean '--epochs'?"
    """
    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        typed, allowed = choice[1], re.findall(r"'([^']*)'", choice[2])
    else:
        unknown = re.search(r"unrecognized arguments: (\S+)", message)
        if not unknown:
            return ""
        typed, allowed = unknown[1].split("=")[0], list(options)
    close = difflib.get_close_matches(typed, allowed, n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def build_parser() -> argparse.ArgumentParser:
    from cnnkit._version import __version__

    parser = _Parser(
        prog="cnnkit",
        description="Train, inspect and use convolutional neural networks "
        "(Keras 3 API on PyTorch).",
    )
    parser.add_argument("--version", action="version", version=f"cnnkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train_command.register(commands)
    model_commands.register(commands)
    data_commands.register(commands)
    run_command.register(commands)
    report_command.register(commands)
    serve_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m cnnkit``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":  # the script's own arguments must not be parsed here
        return run_command.run_from_argv(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("cnnkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`cnnkit datasets list | head`): not an error worth a
        # message. Point stdout at devnull so flushing it at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a killed writer
    except _USER_ERRORS as exc:
        print(f"cnnkit: error: {_message(exc)}", file=sys.stderr)
        return 1


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    if isinstance(exc, DatasetError):
        return text
    # cnnkit's teaching messages put the whole story on their first line; later
    # lines (a numbered list of causes, an attached torch message) are detail.
    return text.splitlines()[0]
