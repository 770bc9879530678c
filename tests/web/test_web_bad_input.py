"""Bad input gets a clear 4xx ``{"error": ...}`` and the server stays up."""

from __future__ import annotations

import io
import json
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.web.conftest import png_bytes, upload


def _png_declaring(width: int, height: int) -> bytes:
    """A 100-byte PNG whose header claims ``width x height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _digit(mnist_test: tuple[np.ndarray, np.ndarray]) -> bytes:
    return png_bytes(mnist_test[0][0])


def _still_up(client: Any, image: bytes) -> None:
    response = client.post("/api/predict", files=upload(image))
    assert response.status_code == 200, response.text


def _error(response: Any, status: int, pattern: str) -> None:
    import re

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    message = response.json()["error"]
    assert re.search(pattern, message), message


@pytest.fixture
def small_limit_client(seed_model_path: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app

    with TestClient(create_app(seed_model_path, max_upload_mb=0.01)) as client:
        yield client


def test_upload_over_the_limit_is_413(
    small_limit_client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    big = np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8)
    response = small_limit_client.post("/api/predict", files=upload(png_bytes(big)))
    _error(response, 413, r"too large: it is [\d,]+ bytes, the limit is 10,485 bytes")
    assert "--max-upload-mb" in response.json()["error"]
    _still_up(small_limit_client, _digit(mnist_test))


def test_streamed_upload_is_cut_at_the_limit(seed_model_path: Path) -> None:
    """A chunked body (no Content-Length) is read only up to the limit.

    The app is called as an ASGI server calls it, so we can count the chunks it
    pulls (a test client would buffer the whole body first)."""
    import asyncio

    from cnnkit.web import create_app

    app = create_app(seed_model_path, max_upload_mb=0.01)
    pulled: list[int] = []
    sent: list[dict[str, Any]] = []
    head = b"--b\r\nContent-Disposition: form-data; name=image; filename=x.png\r\n\r\n"

    async def receive() -> dict[str, Any]:
        pulled.append(4096)
        chunk = head if len(pulled) == 1 else b"\0" * 4096
        return {"type": "http.request", "body": chunk, "more_body": len(pulled) < 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": "POST", "scheme": "http", "path": "/api/predict", "raw_path": b"/api/predict",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert "more than" in body["error"]
    assert "the limit is 10,485 bytes" in body["error"]
    assert sum(pulled) < 20_000  # refused at the limit, not after reading 4 MB


def test_a_file_that_is_not_an_image_is_415(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    response = client.post("/api/predict", files=upload(b"%PDF-1.7 not a picture"))
    _error(response, 415, r"not an image cnnkit reads .*first bytes are b'%PDF-1.7'")
    _still_up(client, _digit(mnist_test))


def test_decompression_bomb_is_400_at_once(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    started = time.perf_counter()
    response = client.post("/api/predict", files=upload(_png_declaring(30000, 30000)))
    _error(response, 400, r"too large to decode")
    # Refused from the header: no 900-megapixel decode happened (that takes seconds
    # and gigabytes). A bound this loose only catches a decode, not a slow machine.
    assert time.perf_counter() - started < 30
    _still_up(client, _digit(mnist_test))


def test_an_image_over_the_pixel_limit_is_400(client: Any) -> None:
    response = client.post("/api/explain", files=upload(_png_declaring(8000, 7000)))
    _error(response, 400, r"declares 8000x7000 pixels; the limit is 50,000,000")


def test_truncated_image_is_400(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    noisy = np.random.default_rng(1).integers(0, 256, (64, 64), dtype=np.uint8)
    whole = png_bytes(noisy)
    response = client.post("/api/predict", files=upload(whole[: len(whole) // 2]))
    _error(response, 400, r"damaged and cannot be decoded")
    _still_up(client, _digit(mnist_test))


def test_missing_field_is_422(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    files = {"picture": ("d.png", _digit(mnist_test), "image/png")}
    for path in ("/api/predict", "/api/explain", "/api/read-number"):
        response = client.post(path, files=files)
        _error(response, 422, r"no field 'image' \(it has \['picture'\]\)")


def test_empty_field_is_422(client: Any) -> None:
    response = client.post("/api/predict", files=upload(b""))
    _error(response, 422, r"The field 'image' is empty")


def test_not_a_form_is_415(client: Any) -> None:
    response = client.post(
        "/api/predict",
        content=b'{"image": 1}',
        headers={"content-type": "application/json"},
    )
    _error(
        response,
        415,
        r"multipart/form-data .* received Content-Type 'application/json'",
    )


def test_broken_multipart_is_400(client: Any) -> None:
    response = client.post(
        "/api/predict",
        content=b"garbage without boundaries",
        headers={"content-type": "multipart/form-data"},
    )
    _error(response, 400, r"multipart form could not be read")


def test_unknown_model_path_and_method_are_json(client: Any) -> None:
    _error(
        client.get("/api/model?model=other.keras"), 404, r"no model named 'other.keras'"
    )
    _error(client.get("/api/nothing"), 404, r"Not Found")
    _error(client.get("/api/predict"), 405, r"Method Not Allowed")


def test_bad_slice_is_400(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    response = client.post(
        "/api/explain", files=upload(_digit(mnist_test)), data={"slice": "2"}
    )
    _error(response, 400, r"'slice' must be a number from 0 to 1; received '2'")


def test_a_model_file_with_code_is_refused_in_safe_mode(
    seed_model_path: Path, tmp_path: Path, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "good.keras").write_bytes(seed_model_path.read_bytes())
    with zipfile.ZipFile(seed_model_path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "Lambda"
    config["config"]["layers"][1]["config"]["function"] = {
        "class_name": "__lambda__",
        "config": {"code": "print('pwned')", "defaults": None, "closure": None},
    }
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    (folder / "evil.keras").write_bytes(buffer.getvalue())
    with TestClient(create_app(models_dir=folder)) as client:
        response = client.get("/api/model?model=evil.keras")
        _error(response, 400, r"The model 'evil.keras' cannot be loaded")
        good = client.post(
            "/api/predict?model=good.keras", files=upload(_digit(mnist_test))
        )
        assert good.status_code == 200


def test_a_server_failure_is_500_json_and_the_server_carries_on(
    seed_model_path: Path,
    mnist_test: tuple[np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app, views

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "explanation", broken)
    # As a real server does: answer, log the traceback, carry on.
    app = create_app(seed_model_path)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/explain", files=upload(_digit(mnist_test)))
        _error(
            response, 500, r"The server failed on this request \(RuntimeError: boom\)"
        )
        _still_up(client, _digit(mnist_test))
    assert "POST /api/explain failed" in caplog.text
