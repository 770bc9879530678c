"""The ASGI app behind ``cnnkit serve``: the page, its files, and the JSON API.

Endpoints (every ``/api`` call takes ``?model=NAME`` to choose among the models
``GET /api/models`` lists; without it, the default model):

- ``GET /`` — the page; ``GET /static/...`` — its script and style.
- ``GET /api`` — this list, as JSON.
- ``GET /api/models`` → ``{"models": [...], "default": name}``.
- ``GET /api/model`` → ``{"name", "input_shape", "kind", "classes", "layers":
  [{"name", "class_name", "output_shape"}, ...]}``.
- ``GET /api/filters`` → ``{"layer", "shape", "filters"}`` (the first convolution).
- ``POST /api/predict`` (multipart field ``image``; ``signal`` for 1D models,
  optionally ``volume`` for 3D ones) → ``{"class", "label", "probabilities",
  "input"}`` (``input``: what the network sees).
- ``POST /api/explain`` (same fields, optional ``class`` and ``slice``) → the
  prediction plus ``{"activations": {layer: maps}, "activation_shapes",
  "gradcam", "gradcam_layer", "explained_class"}``.
- ``POST /api/read-number`` (field ``image``) → ``{"number": "2024", "digits":
  [{"digit", "confidence", "box": [x, y, w, h]}, ...]}``.

Bad input is answered ``{"error": "..."}`` with a 4xx status (413 too large, 415
not an image or not a form, 400 broken or oversized image, 422 missing field, 404
unknown model); anything else that goes wrong is a 500 with the same shape, and the
server carries on.

Example:
    >>> import tempfile, pathlib, cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((8, 8, 1)),
    ...                            cnnkit.layers.Conv2D(2, 3, name="conv"),
    ...                            cnnkit.layers.Flatten(), cnnkit.layers.Dense(3)])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.keras"
    >>> model.save(path)
    >>> from starlette.testclient import TestClient
    >>> with TestClient(create_app(path)) as client:
    ...     client.get("/api/model").json()["input_shape"]
    [8, 8, 1]
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cnnkit.errors import InvalidArgumentError
from cnnkit.web import views
from cnnkit.web.batching import PredictBatcher
from cnnkit.web.errors import WebError
from cnnkit.web.inputs import gray_page, sample_from_form
from cnnkit.web.shelf import ModelShelf, ServedModel
from cnnkit.web.uploads import decode_image, read_form, required_bytes

__all__ = ["DEFAULT_MAX_UPLOAD_MB", "create_app"]

DEFAULT_MAX_UPLOAD_MB = 10.0
_log = logging.getLogger("cnnkit.web")


class _Api:
    """The handlers, sharing the shelf of models and one batcher per model."""

    def __init__(self, shelf: ModelShelf, max_upload_bytes: int) -> None:
        self.shelf = shelf
        self.max_upload_bytes = max_upload_bytes
        # name -> (the loaded model, its batcher): a model dropped from the shelf
        # and loaded again gets a new batcher, so the old one is not kept alive.
        self._batchers: dict[str, tuple[ServedModel, PredictBatcher]] = {}

    async def served(self, request: Request) -> ServedModel:
        name = request.query_params.get("model")
        return await run_in_threadpool(self.shelf.get, name)

    def batcher(self, served: ServedModel) -> PredictBatcher:
        known = self._batchers.get(served.name)
        if known is not None and known[0] is served:
            return known[1]
        batcher = PredictBatcher(lambda xs: views.probabilities(served, xs))
        self._batchers[served.name] = (served, batcher)
        return batcher

    @contextlib.asynccontextmanager
    async def form(self, request: Request) -> AsyncIterator[FormData]:
        """The request's form; its spooled files are closed when the block ends."""
        form = await read_form(request, self.max_upload_bytes)
        try:
            yield form
        finally:
            await form.close()

    async def models(self, request: Request) -> Response:
        names = await run_in_threadpool(self.shelf.names)
        return JSONResponse({"models": names, "default": self.shelf.default_name})

    async def model(self, request: Request) -> Response:
        served = await self.served(request)
        description = await run_in_threadpool(lambda: served.description)
        return JSONResponse(description)

    async def filters(self, request: Request) -> Response:
        served = await self.served(request)
        return JSONResponse(await run_in_threadpool(views.first_filters, served))

    async def predict(self, request: Request) -> Response:
        served = await self.served(request)
        async with self.form(request) as form:
            x = await sample_from_form(form, served)
            at = _slice(form)
        row = await self.batcher(served).predict(x)
        return JSONResponse(views.prediction(served, row, x, at))

    async def explain(self, request: Request) -> Response:
        served = await self.served(request)
        async with self.form(request) as form:
            x = await sample_from_form(form, served)
            at, class_index = _slice(form), _class_index(form)
        result = await run_in_threadpool(views.explanation, served, x, class_index, at)
        return JSONResponse(result)

    async def read_number(self, request: Request) -> Response:
        served = await self.served(request)
        _check_digit_reader(served)
        async with self.form(request) as form:
            data = await required_bytes(form, "image")
        reading = await run_in_threadpool(_read, served, data)
        return JSONResponse(reading)

    async def index(self, request: Request) -> Response:
        return FileResponse(_static_dir() / "index.html", media_type="text/html")

    async def describe_api(self, request: Request) -> Response:
        return JSONResponse({"endpoints": _ENDPOINTS})


_ENDPOINTS = [
    {"method": "GET", "path": "/api/models", "returns": "models, default"},
    {"method": "GET", "path": "/api/model", "returns": "input_shape, kind, classes, layers"},
    {"method": "GET", "path": "/api/filters", "returns": "layer, shape, filters"},
    {"method": "POST", "path": "/api/predict", "fields": ["image | signal | volume"],
     "returns": "class, label, probabilities, input"},
    {"method": "POST", "path": "/api/explain",
     "fields": ["image | signal | volume", "class?", "slice?"],
     "returns": "prediction + activations, activation_shapes, gradcam, gradcam_layer"},
    {"method": "POST", "path": "/api/read-number", "fields": ["image"],
     "returns": "number, digits[{digit, confidence, box}]"},
]  # fmt: skip


class _LockedPredict:
    """What the number reader calls ``model.predict`` on: the served model, one
    call at a time."""

    def __init__(self, served: ServedModel) -> None:
        self._served = served

    def predict(self, batch: np.ndarray, verbose: Any = 0) -> np.ndarray:
        return views.probabilities(self._served, batch)


def _read(served: ServedModel, data: bytes) -> dict[str, Any]:
    from cnnkit.utils import read_number

    page = gray_page(decode_image(data))
    return read_number(_LockedPredict(served), page).to_json()


def _check_digit_reader(served: ServedModel) -> None:
    if (
        served.kind != "image"
        or served.input_shape[-1] != 1
        or len(served.class_names) != 10
    ):
        raise WebError(
            400,
            f"Reading numbers needs a digit classifier (grayscale images, 10 "
            f"classes, like the MNIST model `make demo` trains); {served.name!r} "
            f"takes {list(served.input_shape)} and has {len(served.class_names)} "
            "classes.",
        )


def _slice(form: FormData) -> float:
    text = form.get("slice")
    if text is None:
        return 0.5
    try:
        value = float(str(text))
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise WebError(
            400, f"The field 'slice' must be a number from 0 to 1; received {text!r}."
        )
    return value


def _class_index(form: FormData) -> int | None:
    text = form.get("class")
    if text is None or text == "":
        return None
    try:
        return int(str(text))
    except ValueError:
        raise WebError(
            400,
            f"The field 'class' must be a class index (an integer); received {text!r}.",
        ) from None


def _static_dir() -> Path:
    return Path(str(resources.files("cnnkit.web") / "static"))


async def _web_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status", 400)  # Starlette calls this for WebError only
    return JSONResponse({"error": str(exc)}, status_code=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    # 404 for an unknown path, 405 for a wrong method: JSON like every answer.
    status = getattr(exc, "status_code", 500)
    return JSONResponse({"error": str(getattr(exc, "detail", exc))}, status_code=status)


async def _server_error(request: Request, exc: Exception) -> Response:
    _log.exception("cnnkit serve: %s %s failed", request.method, request.url.path)
    return JSONResponse(
        {"error": f"The server failed on this request ({type(exc).__name__}: {exc})."},
        status_code=500,
    )


def create_app(
    model: str | Path | None = None,
    *,
    models_dir: str | Path | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
) -> Starlette:
    """The web app serving ``model`` (a ``.keras`` file) and/or a models folder.

    Args:
        model: The model file shown first.
        models_dir: A folder whose ``.keras`` files (3 levels deep) the page may
            choose from; requests can name no other file.
        max_upload_mb: The largest request body accepted, in megabytes (2**20
            bytes); larger uploads get 413 before they are read.

    Raises:
        InvalidArgumentError: Neither ``model`` nor ``models_dir``, a missing
            path, or a ``max_upload_mb`` that is not a positive number.
    """
    if isinstance(max_upload_mb, bool) or not (
        isinstance(max_upload_mb, int | float) and 0 < max_upload_mb < float("inf")
    ):
        raise InvalidArgumentError(
            "`max_upload_mb` must be a positive number of megabytes, e.g. 10; "
            f"received {max_upload_mb!r}."
        )
    shelf = ModelShelf(
        None if model is None else Path(model),
        None if models_dir is None else Path(models_dir),
    )
    api = _Api(shelf, int(max_upload_mb * 2**20))
    routes = [
        Route("/", api.index),
        Route("/api", api.describe_api),
        Route("/api/models", api.models),
        Route("/api/model", api.model),
        Route("/api/filters", api.filters),
        Route("/api/predict", api.predict, methods=["POST"]),
        Route("/api/explain", api.explain, methods=["POST"]),
        Route("/api/read-number", api.read_number, methods=["POST"]),
        Mount("/static", StaticFiles(directory=_static_dir()), name="static"),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            WebError: _web_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
