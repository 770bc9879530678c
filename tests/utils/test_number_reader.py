"""read_number: a row of handwritten digits read as a number, as the web page calls it.

Fast tests use stand-in classifiers; the ``slow`` ones train the seed CNN for one
epoch on real MNIST and read numbers composed from MNIST *test* digits: separated,
touching (slid together until their strokes meet), dark ink on white paper, with a
frame and specks along the border.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.utils import DigitReading, NumberReading, read_number

DATA_HOME = Path(__file__).resolve().parents[2] / ".pytest_data" / "cnnkit_home"


class Bars:
    """A stand-in classifier: a "1" for a thin upright stroke, unsure otherwise.
    Counts its calls and the images it saw."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, batch: np.ndarray, verbose: int = 0) -> np.ndarray:
        self.calls.append(len(batch))
        # Columns holding more than two pixels' worth of ink, and their spread.
        heavy = batch[..., 0].sum(axis=1) > 2.0  # (N, 28)
        first = heavy.argmax(axis=1)
        last = 27 - heavy[:, ::-1].argmax(axis=1)
        upright = heavy.any(axis=1) & (last - first < 8)
        probs = np.full((len(batch), 10), 0.05)
        probs[:, 1] = np.where(upright, 0.9, 0.05)
        return probs / probs.sum(axis=1, keepdims=True)


def _bars_page(count: int = 3, *, height: int = 60, scale: int = 1) -> np.ndarray:
    """White paper with ``count`` dark upright strokes, 30 px apart (x ``scale``)."""
    page = np.full((height * scale, (30 * count + 20) * scale), 255, np.uint8)
    for k in range(count):
        x = (20 + 30 * k) * scale
        page[12 * scale : 48 * scale, x : x + 4 * scale] = 0
    return page


# --- fast: the contract -----------------------------------------------------------


def test_separate_strokes_are_read_left_to_right() -> None:
    reading = read_number(Bars(), _bars_page(3))
    assert reading.number == "111"
    assert [d.box for d in reading.digits] == [
        (20, 12, 4, 36),
        (50, 12, 4, 36),
        (80, 12, 4, 36),
    ]
    assert all(isinstance(d, DigitReading) for d in reading.digits)
    assert all(0.6 < d.confidence <= 1.0 for d in reading.digits)


def test_touching_strokes_are_split_where_the_classifier_is_sure() -> None:
    # Two strokes joined by a thin line at the bottom: one connected blob, a "U".
    page = np.full((60, 90), 255, np.uint8)
    page[12:48, 20:24] = page[12:48, 56:60] = 0
    page[47, 20:60] = 0
    reading = read_number(Bars(), page)
    assert reading.number == "11"
    (x0, _, w0, _), (x1, _, w1, _) = (d.box for d in reading.digits)
    assert x0 == 20
    assert x0 + w0 <= x1
    assert x1 + w1 == 60


def test_all_candidates_go_to_one_predict_call() -> None:
    model = Bars()
    read_number(model, _bars_page(4))
    assert len(model.calls) == 1


def test_models_taking_batch_size_get_one_batch() -> None:
    class KerasLike(Bars):
        def predict(
            self, batch: np.ndarray, batch_size: int = 32, verbose: int = 0
        ) -> np.ndarray:
            self.batch_sizes.append(batch_size)
            return super().predict(batch)

    model = KerasLike()
    model.batch_sizes = []
    read_number(model, _bars_page(3))
    assert model.batch_sizes == model.calls  # the whole batch, at once


def test_blank_pages_read_as_no_number() -> None:
    for page in (np.full((40, 90), 255, np.uint8), np.zeros((40, 90), np.uint8)):
        reading = read_number(Bars(), page)
        assert reading == NumberReading("", ())
        assert reading.to_json() == {"number": "", "digits": []}


def test_to_json_is_plain_python_for_the_web_api() -> None:
    data = read_number(Bars(), _bars_page(2)).to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["number"] == "11"
    first = data["digits"][0]
    assert set(first) == {"digit", "confidence", "box"}
    assert type(first["digit"]) is int
    assert type(first["confidence"]) is float
    assert type(first["box"]) is list
    assert all(type(v) is int for v in first["box"])


def test_both_polarities_and_value_ranges_read_the_same() -> None:
    page = _bars_page(2)
    expected = read_number(Bars(), page)
    for variant in (
        255 - page,  # light ink on black, as MNIST
        page / 255.0,  # floats in [0, 1]
        page.astype(np.float64),  # floats in [0, 255]
        page[..., None],  # (H, W, 1), as img_to_array gives
    ):
        assert read_number(Bars(), variant) == expected


def test_big_page_boxes_are_in_the_input_pixels() -> None:
    page = _bars_page(2, scale=5)  # 300 px tall: worked on at a smaller size
    reading = read_number(Bars(), page)
    assert reading.number == "11"
    for digit, x in zip(reading.digits, (100, 250)):
        bx, by, bw, bh = digit.box
        assert abs(bx - x) <= 5
        assert abs(by - 60) <= 5
        assert abs(bw - 20) <= 6
        assert abs(bh - 180) <= 6
        assert bx + bw <= page.shape[1]
        assert by + bh <= page.shape[0]


def test_a_frame_and_specks_along_the_border_are_not_digits() -> None:
    page = _bars_page(3)
    page[0, :] = page[-1, :] = page[:, 0] = page[:, -1] = 0  # a 1-px frame
    page[2:4, 40:42] = 0  # dust in the margin
    page[55:57, 70:72] = 0
    assert read_number(Bars(), page).number == "111"


def test_a_small_speck_between_digits_is_ignored() -> None:
    page = _bars_page(2)
    page[30, 37] = 0  # one dark pixel between the strokes
    assert read_number(Bars(), page).number == "11"


def test_image_files_are_read_by_path(tmp_path: Path) -> None:
    path = tmp_path / "number.png"
    Image.fromarray(_bars_page(2)).save(path)
    assert read_number(Bars(), path).number == "11"
    assert read_number(Bars(), str(path)).number == "11"


def test_logits_are_turned_into_probabilities() -> None:
    class Logits(Bars):
        def predict(self, batch: np.ndarray, verbose: int = 0) -> np.ndarray:
            return np.log(super().predict(batch)) * 3.0

    reading = read_number(Logits(), _bars_page(2))
    assert reading.number == "11"
    assert all(0.0 <= d.confidence <= 1.0 for d in reading.digits)


# --- fast: errors that teach ------------------------------------------------------


def test_model_without_predict_is_refused() -> None:
    with pytest.raises(InvalidTypeError, match=r"`model` must have a `predict"):
        read_number(object(), _bars_page(1))


@pytest.mark.parametrize("value", [True, 2.0, "3"])
def test_max_digits_of_the_wrong_type_is_refused(value: Any) -> None:
    with pytest.raises(InvalidTypeError, match=r"`max_digits` must be a positive int"):
        read_number(Bars(), _bars_page(1), max_digits=value)


def test_max_digits_below_one_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"max_digits=0"):
        read_number(Bars(), _bars_page(1), max_digits=0)


def test_more_digits_than_max_digits_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"at least 4 digits.*max_digits=3"):
        read_number(Bars(), _bars_page(4), max_digits=3)


def test_image_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(InvalidTypeError, match=r"`image` must be a 2-D numpy array"):
        read_number(Bars(), [[0, 255]])


@pytest.mark.parametrize("shape", [(4, 5, 3), (7,), (0, 5)])
def test_image_of_the_wrong_shape_is_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(InvalidArgumentError, match=r"non-empty 2-D array.*received"):
        read_number(Bars(), np.zeros(shape, np.uint8))


def test_image_of_text_is_refused() -> None:
    with pytest.raises(InvalidTypeError, match=r"`image` must hold numbers"):
        read_number(Bars(), np.array([["a", "b"]]))


@pytest.mark.parametrize("bad", [-1.0, 300.0, np.nan])
def test_image_values_out_of_range_are_refused(bad: float) -> None:
    page = _bars_page(1).astype(np.float32)
    page[0, 0] = bad
    with pytest.raises(InvalidArgumentError, match=r"grey levels in \[0, 1\]"):
        read_number(Bars(), page)


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not-an-image.png"
    path.write_bytes(b"hello")
    with pytest.raises(InvalidArgumentError, match=r"Cannot read image"):
        read_number(Bars(), path)


def test_oversized_file_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(_bars_page(1)).save(path)
    monkeypatch.setattr("cnnkit.utils.image_utils.MAX_PIXELS", 100)
    with pytest.raises(InvalidArgumentError, match=r"more than the 100 cnnkit decodes"):
        read_number(Bars(), path)


def test_predictions_of_the_wrong_shape_are_refused() -> None:
    class FiveClasses:
        def predict(self, batch: np.ndarray, verbose: int = 0) -> np.ndarray:
            return np.full((len(batch), 5), 0.2)

    with pytest.raises(InvalidArgumentError, match=r"must return \(N, 10\)"):
        read_number(FiveClasses(), _bars_page(1))


# --- slow: a real classifier on MNIST test digits ---------------------------------


@pytest.fixture(scope="session")
def mnist_arrays() -> tuple[np.ndarray, ...]:
    from cnnkit.datasets import mnist

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNKIT_HOME", str(DATA_HOME))
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="session")
def seed_model(mnist_arrays: tuple[np.ndarray, ...]) -> Any:
    """The seed tutorial's CNN, one epoch of Adam on MNIST (about 98 %)."""
    from cnnkit import zoo
    from cnnkit.utils import set_random_seed, to_categorical

    x_train, y_train, _, _ = mnist_arrays
    set_random_seed(0)
    model = zoo.seed_cnn()
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    x = x_train[..., None].astype("float32") / 255
    model.fit(x, to_categorical(y_train), batch_size=100, epochs=1, verbose=0)
    return model


def _compose(digits: list[np.ndarray], *, touching: bool) -> tuple[np.ndarray, list]:
    """Dark digits on white paper, 8 px margin; each digit's ink columns 4 px from
    the next, or slid left until its strokes touch the previous one's and 1 px
    further. Returns the page and each digit's (start, end) columns."""
    canvas = np.zeros((44, 40 * len(digits)), np.uint8)
    spans: list[tuple[int, int]] = []
    x = 8
    for digit in digits:
        cols = np.flatnonzero((digit > 30).any(axis=0))
        glyph = digit[:, cols[0] : cols[-1] + 1]
        width = glyph.shape[1]
        if touching and spans:
            grown = canvas[8:36] > 30
            grown = grown | np.roll(grown, 1, 0) | np.roll(grown, -1, 0)
            grown = grown | np.roll(grown, 1, 1) | np.roll(grown, -1, 1)
            while x > 8 and not (grown[:, x : x + width] & (glyph > 30)).any():
                x -= 1
            x -= 1
        region = canvas[8:36, x : x + width]
        np.maximum(region, glyph, out=region)
        spans.append((x, x + width))
        x += width + (0 if touching else 4)
    return 255 - canvas[:, : x + 8], spans


def _read_many(
    model: Any, arrays: tuple[np.ndarray, ...], *, touching: bool, noise: bool = False
) -> tuple[float, float, list]:
    """Exact-number and per-position accuracy over 40 numbers of 4-6 digits."""
    _, _, x_test, y_test = arrays
    rng, noise_rng = np.random.default_rng(1), np.random.default_rng(2)
    exact, right, total, readings = 0, 0, 0, []
    for _ in range(40):
        index = rng.choice(len(x_test), size=int(rng.integers(4, 7)), replace=False)
        page, spans = _compose([x_test[i] for i in index], touching=touching)
        if noise:
            page[0, :] = page[:, -1] = 0  # a scanner edge along two sides
            specks = (
                noise_rng.integers(0, 3, 6),
                noise_rng.integers(0, page.shape[1], 6),
            )
            page[specks] = 0  # and dust along the top
        truth = "".join(str(y_test[i]) for i in index)
        reading = read_number(model, page)
        readings.append((page, spans, reading))
        exact += reading.number == truth
        if len(reading.number) == len(truth):
            right += sum(a == b for a, b in zip(reading.number, truth))
        total += len(truth)
    return exact / 40, right / total, readings


@pytest.mark.slow
def test_separated_mnist_digits_are_read(
    seed_model: Any, mnist_arrays: tuple[np.ndarray, ...]
) -> None:
    exact, per_digit, readings = _read_many(seed_model, mnist_arrays, touching=False)
    assert exact >= 0.6
    assert per_digit >= 0.9
    for page, spans, reading in readings:
        if len(reading.digits) != len(spans):
            continue
        for digit, (start, end) in zip(reading.digits, spans):
            x, y, w, h = digit.box
            # Most of each box on its digit (a broken stroke may be left out).
            assert min(x + w, end) - max(x, start) >= 0.5 * (end - start)
            assert y >= 0
            assert y + h <= page.shape[0]


@pytest.mark.slow
def test_touching_mnist_digits_are_split(
    seed_model: Any, mnist_arrays: tuple[np.ndarray, ...]
) -> None:
    exact, per_digit, readings = _read_many(seed_model, mnist_arrays, touching=True)
    # Connected components alone would read each number as one digit.
    counts_right = np.mean([len(r.digits) == len(s) for _, s, r in readings])
    assert counts_right >= 0.5
    assert per_digit >= 0.4
    assert exact >= 0.1
    for page, _, reading in readings:
        for digit in reading.digits:
            x, y, w, h = digit.box
            assert min(x, y) >= 0
            assert min(w, h) > 0
            assert x + w <= page.shape[1]
            assert y + h <= page.shape[0]


@pytest.mark.slow
def test_border_noise_does_not_change_the_reading(
    seed_model: Any, mnist_arrays: tuple[np.ndarray, ...]
) -> None:
    clean = _read_many(seed_model, mnist_arrays, touching=False)
    noisy = _read_many(seed_model, mnist_arrays, touching=False, noise=True)
    assert noisy[0] >= clean[0] - 0.05
    assert noisy[1] >= clean[1] - 0.02
