"""The page in a real browser: Playwright drives Debian's chromium (no download).

A person's gestures are replayed as mouse drags on the pad: the digits of
``strokes.py``. Each test saves a screenshot in its own output folder.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import png_bytes
from tests.web.strokes import PAD, Stroke, number_strokes, placed, render

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")


@contextlib.contextmanager
def _serving(**app_options: Any) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread of this process."""
    import uvicorn

    from cnnkit.web import create_app
    from cnnkit.web.server import open_socket

    sock = open_socket("127.0.0.1", 0)
    app = create_app(**app_options)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="module")
def server_url(seed_model_path: Path) -> Iterator[str]:
    with _serving(model=seed_model_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make install does it as root)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium refuses its sandbox.
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield launched
        launched.close()


@contextlib.contextmanager
def _opened(browser: Any, url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(url)
    opened.wait_for_function("document.getElementById('model-info').textContent !== ''")
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    with _opened(browser, server_url) as opened:
        yield opened


def _draw(page: Any, strokes: list[Stroke]) -> None:
    """Replay strokes (in pad pixels) as mouse drags on the pad."""
    box = page.locator("#pad").bounding_box()
    width = page.evaluate("document.getElementById('pad').width")
    scale = box["width"] / width
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=3)
        page.mouse.up()


def _count(page: Any, what: str) -> int:
    return int(page.evaluate(f"Number(document.body.dataset.{what} || 0)"))


def _wait_for_more(page: Any, what: str, before: int) -> None:
    page.wait_for_function(f"Number(document.body.dataset.{what} || 0) > {before}")
    # Requests queued while drawing: wait until the page has nothing in flight.
    page.wait_for_function("!state.inFlight && !state.again")


def test_drawing_a_digit_shows_its_class_and_every_layer(
    page: Any, tmp_path: Path
) -> None:
    before = _count(page, "explanations")
    _draw(page, placed("3", 40, 40, 200))
    _wait_for_more(page, "explanations", before)
    assert page.locator("#predicted-label").inner_text() == "3"
    assert page.locator(".bar-row").count() == 10
    # Every conv and pool layer of the seed model, each with all its maps.
    layers = page.locator("#activations .layer")
    assert layers.count() == 4
    assert page.locator("#activations canvas").count() == 32 + 32 + 64 + 64
    assert page.locator("#activations canvas[data-drawn=true]").count() == 192
    assert page.locator("#filters canvas[data-drawn=true]").count() == 32
    assert page.locator("#gradcam").get_attribute("data-drawn") == "true"
    assert page.locator("#seen").get_attribute("data-drawn") == "true"
    assert page.locator("#cam-class").inner_text() == "3"
    page.screenshot(path=str(tmp_path / "digit.png"), full_page=True)
    assert (tmp_path / "digit.png").stat().st_size > 10_000


def test_clicking_a_class_explains_that_class(page: Any) -> None:
    _draw(page, placed("7", 40, 40, 200))
    _wait_for_more(page, "explanations", 0)
    before = _count(page, "explanations")
    page.locator(".bar-row[data-class='1']").click()
    _wait_for_more(page, "explanations", before)
    assert page.locator("#cam-class").inner_text() == "1"
    assert page.locator("#predicted-label").inner_text() == "7"
    assert page.locator(".bar-row.chosen").get_attribute("data-class") == "1"


def test_undo_and_clear(page: Any) -> None:
    _draw(page, placed("4", 40, 40, 200))
    _wait_for_more(page, "explanations", 0)
    assert page.locator("#predicted-label").inner_text() == "4"
    before = _count(page, "explanations")
    page.locator("#undo").click()  # the 4's second stroke: what is left is no 4
    _wait_for_more(page, "explanations", before)
    page.locator("#undo").click()
    assert page.locator("#predicted-label").inner_text() == "–"
    _draw(page, placed("0", 40, 40, 200))
    _wait_for_more(page, "explanations", before + 1)
    page.locator("#clear").click()
    assert page.locator("#predicted-label").inner_text() == "–"
    assert page.locator("#activations canvas").count() == 0


def _read_number(page: Any, strokes: list[Stroke]) -> str:
    page.locator("#mode-number").click()
    assert page.evaluate("document.getElementById('pad').width") == 3 * PAD
    before = _count(page, "readings")
    _draw(page, strokes)
    _wait_for_more(page, "readings", before)
    return str(page.locator("#number").inner_text())


def test_writing_2024_reads_2024(page: Any, tmp_path: Path) -> None:
    assert _read_number(page, number_strokes("2024", cell=170, gap=80)) == "2024"
    assert page.locator("#digits li").count() == 4
    page.screenshot(path=str(tmp_path / "number.png"), full_page=True)


def test_touching_digits_are_still_split(page: Any, tmp_path: Path) -> None:
    # 170-px digits 95 px apart: the 2 runs into the 0, the 2 into the 4.
    strokes = [s for i, d in enumerate("2024") for s in placed(d, 60 + 95 * i, 55, 170)]
    assert _ink_pieces(render(strokes, width=3 * PAD)) == 2
    assert _read_number(page, strokes) == "2024"
    assert page.locator("#digits li").count() == 4
    page.screenshot(path=str(tmp_path / "touching.png"), full_page=True)


def _ink_pieces(pixels: Any) -> int:
    """How many 8-connected pieces of ink the drawing has."""
    from scipy import ndimage

    return int(ndimage.label(pixels < 128, structure=[[1, 1, 1]] * 3)[1])


def test_uploading_a_photo_reads_it(page: Any, tmp_path: Path) -> None:
    photo = tmp_path / "seven.png"
    photo.write_bytes(png_bytes(render(placed("7", 60, 50, 170))))
    before = _count(page, "explanations")
    page.locator("#upload").set_input_files(str(photo))
    _wait_for_more(page, "explanations", before)
    assert page.locator("#predicted-label").inner_text() == "7"


def test_an_error_is_shown_not_thrown(page: Any, tmp_path: Path) -> None:
    junk = tmp_path / "notes.png"
    junk.write_bytes(b"these are not pixels")
    page.locator("#upload").set_input_files(str(junk))
    page.wait_for_function("document.getElementById('status').textContent !== ''")
    assert "not an image" in page.locator("#status").inner_text()
    assert "error" in str(page.locator("#status").get_attribute("class"))


@pytest.fixture(scope="module")
def models_folder(
    tmp_path_factory: pytest.TempPathFactory, seed_model_path: Path
) -> Path:
    import cnnkit
    from cnnkit import layers

    folder = tmp_path_factory.mktemp("models")
    (folder / "digits.keras").write_bytes(seed_model_path.read_bytes())
    signal = cnnkit.Sequential([
        layers.Input((200, 1)), layers.Conv1D(4, 9, activation="relu", name="conv"),
        layers.MaxPooling1D(4, name="pool"), layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])  # fmt: skip
    signal.class_names = ["flat", "wave", "spike"]
    signal.save(folder / "signal.keras")
    volume = cnnkit.Sequential([
        layers.Input((8, 20, 20, 1)), layers.Conv3D(3, 3, activation="relu", name="conv"),
        layers.MaxPooling3D(2, name="pool"), layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    volume.save(folder / "volume.keras")
    return folder


def test_the_page_adapts_to_1d_and_3d_models(
    browser: Any, models_folder: Path, tmp_path: Path
) -> None:
    with _serving(models_dir=models_folder) as url, _opened(browser, url) as page:
        options = page.locator("#model-select option").all_inner_texts()
        assert options == ["digits.keras", "signal.keras", "volume.keras"]
        page.select_option("#model-select", "signal.keras")
        page.wait_for_function("state.model && state.model.kind === 'signal'")
        assert page.locator("#mode-number").is_hidden()
        wave = [(x, 140 + 80 * ((x // 40) % 2 * 2 - 1)) for x in range(10, 270, 20)]
        _draw(page, [wave])
        _wait_for_more(page, "explanations", 0)
        assert page.locator("#predicted-label").inner_text() in (
            "flat",
            "wave",
            "spike",
        )
        assert page.locator("#activations .layer").count() == 2  # conv, pool: curves
        assert page.locator("#filters canvas").count() == 4
        page.screenshot(path=str(tmp_path / "signal.png"), full_page=True)

        page.select_option("#model-select", "volume.keras")
        page.wait_for_function("state.model && state.model.kind === 'volume'")
        assert page.locator("#slice-control").is_visible()
        _draw(page, placed("0", 40, 40, 200))
        _wait_for_more(page, "explanations", 0)
        before = _count(page, "explanations")
        page.locator("#slice").fill("0.9")
        _wait_for_more(page, "explanations", before)
        assert page.locator("#activations canvas[data-drawn=true]").count() == 3 + 3
        assert page.locator("#gradcam").get_attribute("data-drawn") == "true"
