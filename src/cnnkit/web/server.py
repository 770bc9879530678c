"""Run the app with uvicorn on a socket of our own: its real address is known (port 0
picks a free one) and printed before the first request, and Ctrl-C stops cleanly
(uvicorn finishes the requests in flight, then returns)."""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
from pathlib import Path
from typing import TextIO

from cnnkit.errors import InvalidArgumentError
from cnnkit.web.app import DEFAULT_MAX_UPLOAD_MB, create_app

__all__ = ["is_loopback", "open_socket", "serve"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``.

    Raises:
        InvalidArgumentError: The port is taken, or the address is not this
            machine's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InvalidArgumentError(
                f"Port {port} on {host} is already in use (another `cnnkit serve`?). "
                f"Stop it, or choose another: `--port {port + 1}` (`--port 0` picks "
                "a free one)."
            ) from exc
        raise InvalidArgumentError(
            f"Cannot listen on {host}:{port}: {exc.strerror}. Use `--host 127.0.0.1` "
            "(this machine only) or an address of this machine."
        ) from exc
    sock.listen(128)
    return sock


def serve(
    model: str | Path | None = None,
    *,
    models_dir: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    out: TextIO | None = None,
) -> None:
    """Serve the page for ``model`` (and the models of ``models_dir``) until Ctrl-C.

    Raises:
        InvalidArgumentError: No model to serve, a bad option, or a port in use.
    """
    import uvicorn

    out = sys.stdout if out is None else out
    app = create_app(model, models_dir=models_dir, max_upload_mb=max_upload_mb)
    sock = open_socket(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(
        f"cnnkit serve: http://{shown}:{bound_port}/  (Ctrl-C stops)",
        file=out,
        flush=True,
    )
    if not is_loopback(host):
        print(
            f"cnnkit serve: warning: listening on {host}, so other machines can reach "
            "this page and your model. Use --host 127.0.0.1 to keep it local.",
            file=out,
            flush=True,
        )
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully on Ctrl-C, then raises the signal again
        # for its caller: here, stopping is the expected way to end.
        pass
    finally:
        sock.close()
    print("cnnkit serve: stopped", file=out, flush=True)
