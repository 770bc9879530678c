"""The one error the web app answers with: an HTTP status and a sentence for the page."""

from __future__ import annotations

__all__ = ["WebError"]


class WebError(Exception):
    """A request the app refuses: sent as ``{"error": message}`` with ``status``.

    Attributes:
        status: The HTTP status code (4xx: the request's fault).
        message: What was wrong and how to fix it, for the person at the page.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
