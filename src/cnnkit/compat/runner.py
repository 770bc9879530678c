"""Execute a Keras script as ``__main__`` with the import hook in place.

The script sees what ``python SCRIPT ARGS...`` would give it: ``sys.argv``,
``__file__``, ``__name__ == "__main__"``, its own folder first on ``sys.path``; and the
caller gets the exit status ``python`` would return (0, the ``sys.exit`` code, or 1
after printing the traceback of an uncaught exception).
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Sequence
from types import TracebackType

from cnnkit.compat.hook import install

# Frames of these files come before the script's own in every traceback.
_RUNNER_FILES = frozenset(
    os.path.normcase(os.path.abspath(f)) for f in (__file__, runpy.__file__)
) | {"<frozen runpy>"}  # runpy is frozen into the interpreter since Python 3.11
# What a shell reports for a program stopped by Ctrl-C (128 + SIGINT), as for python.
KEYBOARD_INTERRUPT_STATUS = 130


def run_script(path: str, args: Sequence[str] = ()) -> int:
    """Run ``path`` as ``python path args...`` would; returns the exit status."""
    if not os.path.exists(path):
        # The same words and status (2) as python itself.
        print(
            f"cnnkit run: can't open file {os.path.abspath(path)!r}: "
            "[Errno 2] No such file or directory",
            file=sys.stderr,
        )
        return 2
    install()
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    # python puts the script's folder (symlinks resolved) in place of its own entry;
    # for a folder with a __main__.py (runpy runs those too), the folder itself.
    real = os.path.realpath(path)
    sys.path[:1] = [real if os.path.isdir(real) else os.path.dirname(real)]
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_request:
        return exit_status(exit_request.code)
    except BaseException as error:
        # The default hook prints the exception's own __traceback__, not its
        # argument, so the trimmed one must be attached to the exception.
        trimmed = _user_frames(error.__traceback__)
        sys.excepthook(type(error), error.with_traceback(trimmed), trimmed)
        if isinstance(error, KeyboardInterrupt):
            return KEYBOARD_INTERRUPT_STATUS
        return 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
    return 0


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """Drop runpy's and the runner's frames so the traceback starts in the script."""
    first = tb
    while first is not None and _is_runner_file(first.tb_frame.f_code.co_filename):
        first = first.tb_next
    # An error before the script's first line ran (a SyntaxError) has no frame of
    # its own; the exception itself says where it is.
    return first


def _is_runner_file(filename: str) -> bool:
    if filename.startswith("<"):
        return filename in _RUNNER_FILES
    return os.path.normcase(os.path.abspath(filename)) in _RUNNER_FILES


def exit_status(code: object) -> int:
    """The status ``python`` exits with for ``sys.exit(code)``.

    Example:
        >>> exit_status(None), exit_status(3), exit_status(True)
        (0, 3, 1)
    """
    if code is None:
        return 0
    if isinstance(code, int):
        return int(code)
    # sys.exit("message") prints the message and exits with 1, as python does.
    print(code, file=sys.stderr)
    return 1
