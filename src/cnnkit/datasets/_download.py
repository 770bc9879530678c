"""HTTP downloads with a timeout, a progress bar and an atomic final rename.

Example:
    >>> DownloadError("no answer").args
    ('no answer',)
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TextIO

__all__ = ["DownloadError", "download"]

_CHUNK = 1 << 16
_REDRAW_EVERY_S = 0.1


class DownloadError(OSError):
    """One URL could not be fetched; the message says why in one line."""


class _Progress:
    """One-line progress bar, redrawn at most ten times a second."""

    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.done = 0
        self._last_draw = 0.0

    def update(self, nbytes: int) -> None:
        self.done += nbytes
        now = time.monotonic()
        if now - self._last_draw >= _REDRAW_EVERY_S:
            self._last_draw = now
            self._draw()

    def close(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self) -> None:
        mb = self.done / 1e6
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "=" * int(frac * 30)
            total_mb = self.total / 1e6
            text = f"{self.label} [{bar:<30}] {frac:4.0%} {mb:.1f}/{total_mb:.1f} MB"
        else:
            text = f"{self.label} {mb:.1f} MB"
        self.stream.write("\r" + text)
        self.stream.flush()


def _why(exc: BaseException, url: str, timeout: float) -> str:
    """Turn the many urllib failure types into one readable reason."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} ({exc.reason}) from {url}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return (
            f"no answer from {url} within {timeout:g} s (timed out); the server "
            "or a proxy is not responding"
        )
    if isinstance(exc, http.client.IncompleteRead):
        return f"connection closed early by {url}: the download is truncated"
    return f"network error for {url}: {reason}"


def download(url: str, dest: Path, *, timeout: float, label: str | None = None) -> str:
    """Download ``url`` to ``dest`` and return the file's sha256.

    The bytes go to ``dest.part`` first and are renamed onto ``dest`` only once the
    whole body arrived, so an interrupted download never looks like a complete file.

    Args:
        url: ``http(s)://`` or ``file://`` URL.
        dest: Final path of the file.
        timeout: Seconds to wait for the connection and for each read; a server that
            accepts the connection but never answers fails after this long.
        label: Text in front of the progress bar (shown only when stderr is a TTY).

    Returns:
        The hex sha256 of the downloaded bytes.

    Raises:
        DownloadError: HTTP error, network error, timeout or truncated body.
    """
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    progress: _Progress | None = None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            if sys.stderr.isatty():
                progress = _Progress(label or dest.name, total, sys.stderr)
            received = 0
            with open(part, "wb") as out:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if progress is not None:
                        progress.update(len(chunk))
        if total and received != total:
            raise DownloadError(
                f"connection closed early by {url}: received {received} of "
                f"{total} bytes (the download is truncated)"
            )
        os.replace(part, dest)
    except DownloadError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # ValueError: a malformed URL, e.g. a mirror variable without http://.
        raise DownloadError(_why(exc, url, timeout)) from exc
    finally:
        if progress is not None:
            progress.close()
        part.unlink(missing_ok=True)
    return digest.hexdigest()
