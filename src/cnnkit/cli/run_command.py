"""``cnnkit run [--check] SCRIPT [ARGS...]``: run a Keras / tf.keras script on cnnkit.

Arguments are parsed by hand, not by argparse: everything after SCRIPT belongs to the
script (``cnnkit run train.py --epochs 3 -h`` passes ``--epochs 3 -h`` on), exactly as
with ``python SCRIPT ARGS...``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

USAGE = """usage: cnnkit run [--check] SCRIPT [ARGS...]

Run a Keras or tf.keras script unchanged on cnnkit: `import keras`,
`import tensorflow as tf` (tf.keras.*) and `from tensorflow.keras... import ...`
resolve to cnnkit. SCRIPT runs as __main__ with ARGS in sys.argv, exactly as
`python SCRIPT ARGS...` would; the exit status is the script's.

options:
  --check     list every Keras/TensorFlow name SCRIPT uses and whether cnnkit
              supports it (static scan, nothing runs); status 1 if any is not
  -h, --help  show this help message and exit"""

# Status for a usage error, as argparse and python use.
USAGE_ERROR = 2


def register(commands: Any) -> None:
    """Add ``run`` to the subcommand list (so ``cnnkit --help`` shows it).

    ``cnnkit.cli.main`` hands ``run`` to ``run_from_argv`` before argparse sees the
    script's arguments; this handler only serves ``cnnkit run`` reached otherwise.
    """
    parser = commands.add_parser(
        "run", help="run a Keras/tf.keras script unchanged on cnnkit", add_help=False
    )
    parser.set_defaults(handler=lambda args: run_from_argv([]))


def _usage_error(message: str) -> int:
    # One line, worded as the other subcommands' usage errors are.
    print(f"cnnkit run: error: {message} (see `cnnkit run --help`)", file=sys.stderr)
    return USAGE_ERROR


def run_from_argv(argv: Sequence[str]) -> int:
    """``cnnkit run`` with the arguments after ``run``; returns the exit status."""
    argv = list(argv)
    if not argv:
        return _usage_error("SCRIPT is missing")
    if argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if argv[0] == "--check":
        if len(argv) != 2:
            return _usage_error("--check takes exactly one SCRIPT (and no ARGS)")
        return check_file(argv[1])
    if argv[0] == "--":  # `cnnkit run -- -odd-name.py` runs a script named with a dash
        argv = argv[1:]
        if not argv:
            return _usage_error("SCRIPT is missing after --")
    elif argv[0].startswith("-"):
        return _usage_error(f"unknown option {argv[0]!r} (options: --check, --help)")
    from cnnkit.compat.runner import run_script

    return run_script(argv[0], argv[1:])


def check_file(path: str) -> int:
    """Print the ``--check`` report for ``path``: 0 all supported, 1 not, 2 unreadable."""
    from cnnkit.compat.check import check_source, format_report

    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        print(f"cnnkit run: error: can't read {path!r}: {reason}", file=sys.stderr)
        return USAGE_ERROR
    try:
        usages = check_source(source, path)
    except SyntaxError as exc:
        print(
            f"cnnkit run: error: {path} is not valid Python "
            f"(line {exc.lineno}: {exc.msg})",
            file=sys.stderr,
        )
        return USAGE_ERROR
    print(format_report(usages, path))
    return 1 if any(not u.supported for u in usages) else 0
