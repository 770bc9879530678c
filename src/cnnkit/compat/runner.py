"""Execute a Keras script as ``__main__`` with the import hook in place."""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from collections.abc import Sequence

from cnnkit.compat.hook import install


def run_script(path: str, args: Sequence[str] = ()) -> int:
    """Run ``path`` as ``python path args...`` would; returns the exit status."""
    if not os.path.isfile(path):
        print(
            f"cnnkit run: error: can't open file {path!r}: no such file",
            file=sys.stderr,
        )
        return 2
    install()
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_request:
        return _exit_status(exit_request.code)
    except BaseException:
        exc_type, exc, tb = sys.exc_info()
        # Drop the runner's own frames so the traceback starts in the user's script.
        while (
            tb is not None
            and tb.tb_frame.f_code.co_filename != os.path.abspath(path)
            and tb.tb_frame.f_code.co_filename != path
        ):
            tb = tb.tb_next
        traceback.print_exception(exc_type, exc, tb)
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
