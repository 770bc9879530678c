"""``cnnkit run [--check] SCRIPT [ARGS...]``: run a Keras / tf.keras script on cnnkit."""

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


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "run", help="run a Keras/tf.keras script unchanged on cnnkit", add_help=False
    )
    parser.set_defaults(handler=lambda args: run_from_argv([]))


def run_from_argv(argv: Sequence[str]) -> int:
    argv = list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] == "--check":
        if len(argv) != 2:
            print(
                "cnnkit run: error: --check takes exactly one SCRIPT", file=sys.stderr
            )
            return 2
        return _check(argv[1])
    from cnnkit.compat.runner import run_script

    return run_script(argv[0], argv[1:])


def _check(path: str) -> int:
    from cnnkit.compat.check import check_source, format_report

    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
    except OSError as exc:
        print(
            f"cnnkit run: error: can't read {path!r}: {exc.strerror}", file=sys.stderr
        )
        return 2
    try:
        usages = check_source(source, path)
    except SyntaxError as exc:
        print(
            f"cnnkit run: error: {path} is not valid Python (line {exc.lineno}: {exc.msg})",
            file=sys.stderr,
        )
        return 2
    print(format_report(usages, path))
    return 1 if any(not u.supported for u in usages) else 0
