"""ModelCheckpoint (KERAS_SPEC §5.2): names, best-only logic, frequency, messages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cnnkit
from cnnkit import layers
from cnnkit.callbacks import ModelCheckpoint
from cnnkit.errors import InvalidArgumentError


def _model() -> Any:
    model = cnnkit.Sequential(
        [cnnkit.Input((4,)), layers.Dense(3, activation="softmax", name="probs")]
    )
    model.compile(
        optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def _data(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    return rng.rand(n, 4).astype("float32"), rng.randint(0, 3, n)


def test_saves_each_epoch_with_formatted_names(tmp_path: Path) -> None:
    model = _model()
    x, y = _data()
    template = str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.keras")
    history = model.fit(
        x, y, epochs=3, verbose=0, callbacks=[ModelCheckpoint(template, monitor="loss")]
    )
    expected = [
        f"ckpt-{epoch + 1:02d}-{loss:.3f}.keras"
        for epoch, loss in enumerate(history.history["loss"])
    ]
    assert sorted(os.listdir(tmp_path)) == expected
    last = cnnkit.saving.load_model(tmp_path / expected[-1])
    np.testing.assert_array_equal(
        last.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def _drive(
    checkpoint: ModelCheckpoint, values: list[float | None], key: str
) -> list[str]:
    """Run epoch ends with ``{key: value}`` logs; returns the saved file names."""
    model = _model()
    model.fit(*_data(), epochs=1, verbose=0)  # resolves the compiled metrics
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch, value in enumerate(values):
        checkpoint.on_epoch_begin(epoch)
        logs = {"loss": 1.0} if value is None else {"loss": 1.0, key: value}
        checkpoint.on_epoch_end(epoch, logs)
    folder = Path(checkpoint.filepath).parent
    return sorted(os.listdir(folder))


def test_save_best_only_min_mode_and_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = ModelCheckpoint(
        str(tmp_path / "best-{epoch}.keras"), save_best_only=True, verbose=1
    )
    saved = _drive(checkpoint, [0.5, 0.6, 0.4, 0.4], "val_loss")
    assert saved == ["best-1.keras", "best-3.keras"]
    assert checkpoint.best == 0.4
    path1, path3 = tmp_path / "best-1.keras", tmp_path / "best-3.keras"
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to {path1}\n"
        f"\nEpoch 1: finished saving model to {path1}\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
        f"\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {path3}\n"
        f"\nEpoch 3: finished saving model to {path3}\n"
        "\nEpoch 4: val_loss did not improve from 0.40000\n"
    )


def test_max_and_auto_modes(tmp_path: Path) -> None:
    saved = _drive(
        ModelCheckpoint(
            str(tmp_path / "a" / "m-{epoch}.keras"),
            monitor="val_accuracy",
            save_best_only=True,
        ),  # auto: the compiled accuracy metric goes up
        [0.5, 0.7, 0.6],
        "val_accuracy",
    )
    assert saved == ["m-1.keras", "m-2.keras"]
    saved = _drive(
        ModelCheckpoint(
            str(tmp_path / "b" / "m-{epoch}.keras"),
            monitor="val_score",
            mode="max",
            save_best_only=True,
        ),
        [1.0, 0.5, 2.0],
        "val_score",
    )
    assert saved == ["m-1.keras", "m-3.keras"]


def test_initial_value_threshold(tmp_path: Path) -> None:
    saved = _drive(
        ModelCheckpoint(
            str(tmp_path / "m-{epoch}.keras"),
            save_best_only=True,
            initial_value_threshold=0.3,
        ),
        [0.5, 0.35, 0.2],
        "val_loss",
    )
    assert saved == ["m-3.keras"]


def test_missing_monitor_warns_and_saves(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss"):
        saved = _drive(checkpoint, [None], "val_loss")
    assert saved == ["m.keras"]


def test_non_scalar_monitor_falls_back(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    model = _model()
    checkpoint.set_model(model)
    with pytest.warns(UserWarning, match="scalar value"):
        checkpoint.on_epoch_end(0, {"val_loss": np.array([0.1, 0.2])})
    assert (tmp_path / "m.keras").exists()


def test_weights_only(tmp_path: Path) -> None:
    model = _model()
    x, y = _data()
    checkpoint = ModelCheckpoint(
        str(tmp_path / "w-{epoch}.weights.h5"), save_weights_only=True
    )
    model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["w-1.weights.h5", "w-2.weights.h5"]
    fresh = _model()
    fresh.load_weights(tmp_path / "w-2.weights.h5")
    np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])


def test_batch_frequency_and_batch_names(tmp_path: Path) -> None:
    model = _model()
    x, y = _data(10)
    checkpoint = ModelCheckpoint(
        str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=2, monitor="loss"
    )
    model.fit(x, y, epochs=2, batch_size=2, verbose=0, callbacks=[checkpoint])
    # 5 batches per epoch; the count carries over into the next epoch.
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["e1-b2.keras", "e1-b4.keras", "e2-b1.keras", "e2-b3.keras", "e2-b5.keras"]
    )


def test_legacy_h5_checkpoints(tmp_path: Path) -> None:
    model = _model()
    x, y = _data()
    with pytest.warns(UserWarning, match="legacy"):
        model.fit(
            x,
            y,
            epochs=1,
            verbose=0,
            callbacks=[ModelCheckpoint(str(tmp_path / "m.h5"))],
        )
    assert cnnkit.saving.load_model(tmp_path / "m.h5").count_params() == 15


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"filepath": "m.keras", "save_weights_only": True},
            r"must end in `\.weights\.h5`",
        ),
        ({"filepath": "m.pt"}, r"must end in `\.keras`"),
        ({"filepath": "m.keras", "save_freq": "batch"}, "Unrecognized save_freq"),
        ({"filepath": "m.keras", "save_freq": True}, "Unrecognized save_freq"),
    ],
)
def test_argument_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        ModelCheckpoint(**kwargs)


def test_bad_template_key(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(str(tmp_path / "m-{val_acc:.2f}.keras"))
    checkpoint.set_model(_model())
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        checkpoint.on_epoch_end(0, {"loss": 0.3})


def test_directory_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken.keras").mkdir()
    checkpoint = ModelCheckpoint(str(tmp_path / "taken.keras"))
    checkpoint.set_model(_model())
    with pytest.raises(InvalidArgumentError, match="non-directory filepath"):
        checkpoint.on_epoch_end(0, {"val_loss": 0.3})


def test_pathlike_filepath(tmp_path: Path) -> None:
    checkpoint = ModelCheckpoint(tmp_path / "m.keras")
    assert checkpoint.filepath == str(tmp_path / "m.keras")
    assert _drive(checkpoint, [0.1], "val_loss") == ["m.keras"]
