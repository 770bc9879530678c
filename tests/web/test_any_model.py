"""The page adapts to the model: RGB images of any size, flat MLPs, 1D signals,
3D volumes, class names kept in the file."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.web.conftest import png_bytes, upload

import cnnkit
from cnnkit import layers


def _client(model: Any, tmp_path: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app

    path = tmp_path / "model.keras"
    model.save(path)
    with TestClient(create_app(path)) as client:
        yield client


@pytest.fixture
def rgb_client(tmp_path: Path) -> Iterator[Any]:
    model = cnnkit.Sequential([
        layers.Input((40, 48, 3)),
        layers.Conv2D(6, 3, activation="relu", name="conv"),
        layers.MaxPooling2D(name="pool"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(3, name="logits"),  # no softmax: the page applies one
    ])  # fmt: skip
    model.class_names = ["cat", "dog", "bird"]
    yield from _client(model, tmp_path)


def test_rgb_model_of_any_size_with_its_class_names(rgb_client: Any) -> None:
    body = rgb_client.get("/api/model").json()
    assert (body["kind"], body["input_shape"], body["classes"]) == (
        "image", [40, 48, 3], ["cat", "dog", "bird"],
    )  # fmt: skip
    photo = np.random.default_rng(0).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    result = rgb_client.post("/api/explain", files=upload(png_bytes(photo))).json()
    assert result["label"] == ["cat", "dog", "bird"][result["class"]]
    assert sum(result["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert np.array(result["input"]).shape == (40, 48, 3)
    assert list(result["activations"]) == ["conv", "pool"]  # not the global pool
    assert np.array(result["gradcam"]).shape == (40, 48)
    assert np.array(rgb_client.get("/api/filters").json()["filters"]).shape == (
        6,
        3,
        3,
        3,
    )


def test_flat_mlp_gets_a_square_drawing(tmp_path: Path) -> None:
    model = cnnkit.Sequential([
        layers.Input((784,)), layers.Dense(16, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    for client in _client(model, tmp_path):
        assert client.get("/api/model").json()["kind"] == "flat-image"
        drawing = np.full((280, 280), 255, np.uint8)
        drawing[40:240, 130:150] = 0
        result = client.post("/api/explain", files=upload(png_bytes(drawing))).json()
        assert np.array(result["input"]).shape == (28, 28)
        assert result["activations"] == {}
        assert result["gradcam"] is None
        assert client.get("/api/filters").json() is None


@pytest.fixture
def signal_client(tmp_path: Path) -> Iterator[Any]:
    model = cnnkit.Sequential([
        layers.Input((128, 2)),
        layers.Conv1D(4, 5, activation="relu", name="conv"),
        layers.MaxPooling1D(2, name="pool"),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    yield from _client(model, tmp_path)


def test_signal_model_takes_a_drawn_curve(signal_client: Any) -> None:
    assert signal_client.get("/api/model").json()["kind"] == "signal"
    curve = json.dumps(np.sin(np.linspace(0, 6, 280)).tolist())
    result = signal_client.post("/api/explain", data={"signal": curve}).json()
    seen = np.array(result["input"])
    assert seen.shape == (128,)
    np.testing.assert_allclose(seen[[0, -1]], [0.0, np.sin(6)], atol=1e-3)
    assert np.array(result["activations"]["conv"]).shape == (4, 124)
    assert np.array(result["gradcam"]).shape == (128,)
    assert np.array(signal_client.get("/api/filters").json()["filters"]).shape == (4, 5)


@pytest.mark.parametrize(
    ("signal", "message"),
    [
        ("[1, 2", r"must be a JSON list of numbers"),
        ('{"a": 1}', r"JSON list of 1 to 1,000,000 numbers; received dict"),
        ('[1, "x"]', r"must hold numbers only"),
        ("[1, NaN]", r"NaN or infinite"),
    ],
)
def test_bad_signal_is_400(signal_client: Any, signal: str, message: str) -> None:
    import re

    response = signal_client.post("/api/predict", data={"signal": signal})
    assert response.status_code == 400
    assert re.search(message, response.json()["error"])


def test_signal_model_needs_its_field(signal_client: Any) -> None:
    response = signal_client.post(
        "/api/predict", files=upload(png_bytes(np.zeros((8, 8), np.uint8)))
    )
    assert response.status_code == 422
    assert "no field 'signal'" in response.json()["error"]


@pytest.fixture
def volume_client(tmp_path: Path) -> Iterator[Any]:
    model = cnnkit.Sequential([
        layers.Input((8, 16, 16, 1)),
        layers.Conv3D(3, 3, activation="relu", name="conv"),
        layers.MaxPooling3D(2, name="pool"),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    yield from _client(model, tmp_path)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_volume_model_shows_the_chosen_slice(volume_client: Any) -> None:
    assert volume_client.get("/api/model").json()["kind"] == "volume"
    volume = np.zeros((8, 16, 16), "float32")
    volume[6] = 1.0  # only the 7th slice is lit
    files = {"volume": ("v.npy", _npy(volume), "application/octet-stream")}
    deep = volume_client.post("/api/explain", files=files, data={"slice": "0.8"}).json()
    shallow = volume_client.post(
        "/api/explain", files=files, data={"slice": "0.0"}
    ).json()
    assert np.array(deep["input"]).max() == 1.0
    assert np.array(shallow["input"]).max() == 0.0
    assert np.array(deep["activations"]["conv"]).shape == (3, 14, 14)
    assert np.array(deep["gradcam"]).shape == (16, 16)
    # A drawing goes in too: the same picture through the whole depth.
    drawing = np.full((100, 100), 255, np.uint8)
    drawing[20:80, 45:55] = 0
    drawn = volume_client.post("/api/predict", files=upload(png_bytes(drawing))).json()
    assert np.array(drawn["input"]).shape == (16, 16)


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"not numpy", 415, r"must be a \.npy file"),
        (
            _npy(np.zeros((4, 4, 4))),
            400,
            r"has shape \[4, 4, 4, 1\]; .* takes \[8, 16, 16, 1\]",
        ),
        (_npy(np.array(["a"])), 400, r"must hold numbers; its dtype is <U1"),
    ],
)
def test_bad_volume_is_refused(
    volume_client: Any, data: bytes, status: int, message: str
) -> None:
    import re

    files = {"volume": ("v.npy", data, "application/octet-stream")}
    response = volume_client.post("/api/predict", files=files)
    assert response.status_code == status
    assert re.search(message, response.json()["error"])


def test_a_volume_header_claiming_gigabytes_is_refused_unread(
    volume_client: Any,
) -> None:
    header = {"descr": "<f4", "fortran_order": False, "shape": (4096, 4096, 4096)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    files = {
        "volume": ("v.npy", buffer.getvalue() + b"\0" * 64, "application/octet-stream")
    }
    response = volume_client.post("/api/predict", files=files)
    assert response.status_code == 400
    assert "too large to read" in response.json()["error"]


def test_reading_numbers_needs_a_digit_model(rgb_client: Any) -> None:
    photo = np.zeros((20, 20, 3), np.uint8)
    response = rgb_client.post("/api/read-number", files=upload(png_bytes(photo)))
    assert response.status_code == 400
    assert "Reading numbers needs a digit classifier" in response.json()["error"]


def test_an_input_the_page_cannot_draw_is_400(tmp_path: Path) -> None:
    inputs = cnnkit.Input((4, 4, 4, 4, 2))
    model = cnnkit.Model(inputs, layers.Dense(2)(layers.Flatten()(inputs)))
    for client in _client(model, tmp_path):
        assert client.get("/api/model").json()["kind"] == "other"
        response = client.post(
            "/api/predict", files=upload(png_bytes(np.zeros((8, 8), np.uint8)))
        )
        assert response.status_code == 400
        assert (
            "cannot build inputs of shape [4, 4, 4, 4, 2]" in response.json()["error"]
        )
