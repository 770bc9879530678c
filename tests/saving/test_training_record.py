"""The training record in ``.keras`` files: history and snapshots survive a round
trip, a malformed record is refused, and Keras 3 still loads the file."""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np
import pytest

import cnnkit
from cnnkit import callbacks, layers, saving
from cnnkit.errors import FileFormatError
from cnnkit.saving.training_record import SavedHistory


def _trained(tmp_path):
    model = cnnkit.Sequential([layers.Input((6, 6, 1)), layers.Conv2D(3, 3),
                               layers.Flatten(), layers.Dense(2, activation="softmax")])  # fmt: skip
    model.compile(
        optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    x = np.random.default_rng(0).random((10, 6, 6, 1), dtype="float32")
    y = np.eye(2)[np.arange(10) % 2]
    model.fit(x, y, epochs=3, verbose=0, validation_split=0.2,
              callbacks=[callbacks.WatchLearning(x[0])])  # fmt: skip
    path = tmp_path / "m.keras"
    model.save(path)
    return model, path


def test_history_and_snapshots_survive_save_and_load(tmp_path):
    model, path = _trained(tmp_path)
    loaded = saving.load_model(path)
    assert isinstance(loaded.history, SavedHistory)
    assert loaded.history.epoch == [0, 1, 2]
    for key, values in model.history.history.items():
        assert loaded.history.history[key] == pytest.approx(values, rel=1e-6)
    assert loaded.history.params["epochs"] == 3
    snaps, original = loaded.learning_snapshots, model.learning_snapshots
    assert snaps.epochs == [0, 1, 2]
    assert snaps.layer == original.layer
    # float16 in the file: pictures, not weights.
    np.testing.assert_allclose(
        snaps.filters[2], original.filters[2], rtol=1e-3, atol=1e-4
    )
    np.testing.assert_allclose(
        snaps.activations[0], original.activations[0], rtol=1e-3, atol=1e-3
    )
    np.testing.assert_allclose(snaps.probe, original.probe, atol=1e-3)


def test_an_untrained_model_writes_no_record_and_nan_becomes_null(tmp_path):
    model = cnnkit.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.save(tmp_path / "a.keras")
    meta = json.loads(zipfile.ZipFile(tmp_path / "a.keras").read("metadata.json"))
    assert "cnnkit" not in meta
    model.history = SavedHistory({"loss": [1.0, float("nan")]}, [0, 1])
    model.save(tmp_path / "b.keras")
    meta = json.loads(zipfile.ZipFile(tmp_path / "b.keras").read("metadata.json"))
    assert meta["cnnkit"]["history"]["history"]["loss"] == [1.0, None]
    assert math.isnan(
        saving.load_model(tmp_path / "b.keras").history.history["loss"][1]
    )


def _rewrite_record(path, out, edit):
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "metadata.json":
                meta = json.loads(data)
                edit(meta["cnnkit"])
                data = json.dumps(meta).encode()
            target.writestr(info.filename, data)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda r: r["history"]["history"].update(loss="x"), "the history of 'loss' is not"),
        (lambda r: r["history"].update(epoch="x"), "'epoch' is not a list of ints"),
        (lambda r: r["history"].update(params=[]), "'params' is not an object"),
        (lambda r: r.update(history=[]), "'history' is not an object of lists"),
        (lambda r: r["learning_snapshots"]["filters"][0].update(shape=[1 << 20, 1 << 20]),
         "an array declares the shape"),
        (lambda r: r["learning_snapshots"]["filters"][0].update(shape=[1]),
         "an array of shape \\[1\\] holds"),
        (lambda r: r["learning_snapshots"]["filters"][0].update(base64="@@"),
         "not valid base64"),
        (lambda r: r["learning_snapshots"]["filters"][0].update(dtype="object"),
         "not a float16 record"),
        (lambda r: r["learning_snapshots"].update(epochs=[0]), "one array per epoch"),
        (lambda r: r.update(learning_snapshots=3), "'learning_snapshots' is not an object"),
        (lambda r: r.clear() or r.update(x=1) or None, None),
    ],
)  # fmt: skip
def test_a_malformed_record_is_refused(tmp_path, edit, match):
    _, path = _trained(tmp_path)
    bad = tmp_path / "bad.keras"
    _rewrite_record(path, bad, edit)
    if match is None:  # unknown keys are ignored (a newer cnnkit may add some)
        assert saving.load_model(bad).learning_snapshots is None
        return
    with pytest.raises(FileFormatError, match=match):
        saving.load_model(bad)


def test_a_record_that_is_not_an_object_is_refused(tmp_path):
    from cnnkit.saving.training_record import decode_record

    with pytest.raises(FileFormatError, match="expected an object, found list"):
        decode_record([], "m.keras")


@pytest.mark.oracle
def test_keras_loads_a_file_with_a_training_record(tmp_path):
    keras = pytest.importorskip("keras")
    model, path = _trained(tmp_path)
    loaded = keras.saving.load_model(str(path))
    x = np.random.default_rng(1).random((2, 6, 6, 1), dtype="float32")
    np.testing.assert_allclose(
        np.asarray(loaded.predict(x, verbose=0)),
        np.asarray(model.predict(x, verbose=0)),
        rtol=1e-5,
        atol=1e-6,
    )
