"""The JSON API of ``cnnkit serve``, called as the page (and curl) call it."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.web.conftest import png_bytes, upload

DIGITS = 20  # MNIST test digits each API test sends


def _on_paper(digit: np.ndarray, scale: int = 10) -> np.ndarray:
    """An MNIST digit as a drawing: 10x larger, dark ink on white paper."""
    big = np.kron(digit, np.ones((scale, scale), dtype=np.uint8))
    return 255 - big


def test_model_describes_input_classes_and_every_layer(client: Any) -> None:
    body = client.get("/api/model").json()
    assert body["input_shape"] == [28, 28, 1]
    assert body["kind"] == "image"
    assert body["classes"] == [str(d) for d in range(10)]
    names = [layer["name"] for layer in body["layers"]]
    kinds = [layer["class_name"] for layer in body["layers"]]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
                     "Dense"]  # fmt: skip
    assert len(set(names)) == len(names)
    assert body["layers"][0]["output_shape"] == [None, 24, 24, 32]


def test_models_lists_the_one_model(client: Any) -> None:
    assert client.get("/api/models").json() == {
        "models": ["seed.keras"],
        "default": "seed.keras",
    }


def test_predict_reads_mnist_test_digits(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    x_test, y_test = mnist_test
    right = 0
    for digit, label in zip(x_test[:DIGITS], y_test[:DIGITS]):
        body = client.post("/api/predict", files=upload(png_bytes(digit))).json()
        assert len(body["probabilities"]) == 10
        assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert body["label"] == str(body["class"])
        right += body["class"] == int(label)
    assert right >= DIGITS - 1


def test_predict_shows_what_the_network_sees(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    x_test, _ = mnist_test
    body = client.post("/api/predict", files=upload(png_bytes(x_test[0]))).json()
    seen = np.array(body["input"])
    # An MNIST image is already what the network takes: it goes in as it is.
    np.testing.assert_allclose(seen, x_test[0] / 255.0, atol=1e-3)


def test_a_drawing_on_paper_is_read_like_mnist(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    x_test, y_test = mnist_test
    right = 0
    for digit, label in zip(x_test[:DIGITS], y_test[:DIGITS]):
        drawing = png_bytes(_on_paper(digit))
        body = client.post("/api/predict", files=upload(drawing)).json()
        seen = np.array(body["input"])
        assert seen.shape == (28, 28)
        rows, cols = np.nonzero(seen > 0.1)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 21  # MNIST's 20x20 box
        right += body["class"] == int(label)
    assert right >= DIGITS - 2


def test_explain_gives_every_conv_and_pool_layer_and_gradcam(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    x_test, y_test = mnist_test
    body = client.post("/api/explain", files=upload(png_bytes(x_test[1]))).json()
    assert body["class"] == int(y_test[1])
    assert body["explained_class"] == body["class"]
    shapes = {name: np.array(maps).shape for name, maps in body["activations"].items()}
    assert list(shapes.values()) == [(32, 24, 24), (32, 12, 12), (64, 8, 8), (64, 4, 4)]
    assert body["activation_shapes"][next(iter(shapes))] == [24, 24, 32]
    heat = np.array(body["gradcam"])
    assert heat.shape == (28, 28)
    assert heat.min() >= 0.0
    assert heat.max() == pytest.approx(1.0)
    assert body["gradcam_layer"] in body["activations"]


def test_explain_another_class_on_request(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    x_test, _ = mnist_test
    image = upload(png_bytes(x_test[2]))
    own = client.post("/api/explain", files=image).json()
    other = (own["class"] + 1) % 10
    body = client.post("/api/explain", files=image, data={"class": str(other)}).json()
    assert body["explained_class"] == other
    assert body["class"] == own["class"]
    assert body["gradcam"] != own["gradcam"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12", r"class index from 0 to 9; received 12"),
        ("two", r"an integer\); received 'two'"),
    ],
)
def test_explain_bad_class_is_400(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray], value: str, message: str
) -> None:
    image = upload(png_bytes(mnist_test[0][0]))
    response = client.post("/api/explain", files=image, data={"class": value})
    assert response.status_code == 400
    assert re.search(message, response.json()["error"])


def test_filters_are_the_first_convolution(client: Any) -> None:
    body = client.get("/api/filters").json()
    first = client.get("/api/model").json()["layers"][0]
    assert (body["layer"], first["class_name"]) == (first["name"], "Conv2D")
    assert body["shape"] == [5, 5, 1, 32]
    assert np.array(body["filters"]).shape == (32, 5, 5)


def test_page_and_its_files_are_served(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<canvas id="pad"' in page.text
    # No CDN: every script and style the page loads comes from this server.
    assert "http://" not in page.text
    assert "https://" not in page.text
    for path in ("/static/app.js", "/static/style.css"):
        assert client.get(path).status_code == 200
    assert [e["path"] for e in client.get("/api").json()["endpoints"]][-1] == (
        "/api/read-number"
    )


def test_concurrent_requests_share_the_model_safely(
    client: Any, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    x_test, _ = mnist_test
    files = [png_bytes(d) for d in x_test[:16]]
    alone = [client.post("/api/predict", files=upload(f)).json() for f in files]
    results: dict[int, Any] = {}

    def ask(i: int) -> None:
        path = "/api/explain" if i % 4 == 0 else "/api/predict"
        results[i] = client.post(path, files=upload(files[i % 16])).json()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(48)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, body in results.items():
        np.testing.assert_allclose(
            body["probabilities"], alone[i % 16]["probabilities"], atol=1e-5
        )
    assert len(results) == 48


def test_models_folder_offers_its_files_and_nothing_else(
    seed_model_path: Path, tmp_path: Path
) -> None:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app

    folder = tmp_path / "models"
    (folder / "mnist").mkdir(parents=True)
    (folder / "mnist" / "a.keras").write_bytes(seed_model_path.read_bytes())
    (folder / "b.keras").write_bytes(seed_model_path.read_bytes())
    outside = tmp_path / "secret.keras"
    outside.write_bytes(seed_model_path.read_bytes())
    (folder / "link.keras").symlink_to(outside)
    with TestClient(create_app(models_dir=folder)) as client:
        listing = client.get("/api/models").json()
        assert listing == {"models": ["b.keras", "mnist/a.keras"], "default": "b.keras"}
        assert (
            client.get("/api/model?model=mnist/a.keras").json()["name"]
            == "mnist/a.keras"
        )
        for name in ("../secret.keras", "link.keras", str(outside), "mnist/../b.keras"):
            response = client.get("/api/model", params={"model": name})
            assert response.status_code == 404, name
            assert "There is no model named" in response.json()["error"]


def test_empty_models_folder_is_a_clear_404(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app

    with TestClient(create_app(models_dir=tmp_path)) as client:
        response = client.get("/api/model")
    assert response.status_code == 404
    assert "holds no .keras file" in response.json()["error"]


def test_create_app_needs_something_to_serve(tmp_path: Path) -> None:
    from cnnkit.errors import InvalidArgumentError
    from cnnkit.web import create_app

    with pytest.raises(InvalidArgumentError, match="Nothing to serve"):
        create_app()
    with pytest.raises(InvalidArgumentError, match="There is no model file at"):
        create_app(tmp_path / "missing.keras")
    with pytest.raises(InvalidArgumentError, match="is not a folder"):
        create_app(models_dir=tmp_path / "nowhere")
    with pytest.raises(InvalidArgumentError, match="positive number of megabytes"):
        create_app(models_dir=tmp_path, max_upload_mb=0)


@pytest.mark.parametrize(
    ("name", "digit"),
    [("five_paper.jpg", 5), ("seven_white_on_black.png", 7),
     ("three_black_on_white.png", 3), ("two_drawn.png", 2)],
)  # fmt: skip
def test_uploaded_photos_and_scans_are_read(client: Any, name: str, digit: int) -> None:
    # examples/digits: a photo of ink on paper under uneven light, a scan, drawings.
    data = (
        Path(__file__).resolve().parents[2] / "examples" / "digits" / name
    ).read_bytes()
    kind = "image/jpeg" if name.endswith(".jpg") else "image/png"
    body = client.post("/api/predict", files={"image": (name, data, kind)}).json()
    assert body["class"] == digit


def test_more_models_than_stay_loaded_keep_answering(
    seed_model_path: Path, tmp_path: Path, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    from starlette.testclient import TestClient

    from cnnkit.web import create_app

    for i in range(6):  # the shelf keeps 4 loaded: the first ones are dropped
        (tmp_path / f"m{i}.keras").write_bytes(seed_model_path.read_bytes())
    image = upload(png_bytes(mnist_test[0][0]))
    with TestClient(create_app(models_dir=tmp_path)) as client:
        answers = [
            client.post(f"/api/predict?model=m{i % 6}.keras", files=image).json()[
                "class"
            ]
            for i in range(9)  # m0..m5, then m0..m2 loaded again
        ]
    assert answers == [int(mnist_test[1][0])] * 9
