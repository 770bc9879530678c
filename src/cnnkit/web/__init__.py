"""A local web page for your own model: draw, upload, read a number, see every layer.

``cnnkit serve`` runs it (the extra ``web``: Starlette and uvicorn). The app is
plain ASGI (:func:`create_app`), so it also runs under any ASGI server or test
client. The page is HTML, CSS and JavaScript served by the app itself: no CDN, no
build step, it works offline.
"""

from cnnkit.web.app import DEFAULT_MAX_UPLOAD_MB, create_app
from cnnkit.web.errors import WebError
from cnnkit.web.server import serve

__all__ = ["DEFAULT_MAX_UPLOAD_MB", "WebError", "create_app", "serve"]
