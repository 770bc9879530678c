"""``layers.Normalization``: statistics given or adapted, streamed over batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError

RNG = np.random.default_rng(0)
DATA = (RNG.normal(size=(40, 5, 4, 3)) * [1.0, 3.0, 0.5] + [2.0, -1.0, 7.0]).astype(
    "float32"
)


def _reference(x: np.ndarray, data: np.ndarray, keep: tuple[int, ...]) -> np.ndarray:
    reduce = tuple(d for d in range(data.ndim) if d not in keep)
    mean = data.astype("float64").mean(axis=reduce, keepdims=True)
    var = data.astype("float64").var(axis=reduce, keepdims=True)
    return (x - mean) / np.maximum(np.sqrt(var), 1e-7)


@pytest.mark.parametrize(
    ("axis", "keep"), [(-1, (3,)), (None, ()), ((1, 3), (1, 3)), (2, (2,))]
)
def test_adapt_on_an_array_matches_the_reference(axis: object, keep: tuple) -> None:
    layer = layers.Normalization(axis=axis)
    layer.adapt(DATA)
    x = DATA[:3]
    np.testing.assert_allclose(
        layer(x).numpy(), _reference(x, DATA, keep), rtol=1e-5, atol=1e-5
    )


def test_streaming_over_batches_equals_the_whole_array() -> None:
    whole = layers.Normalization()
    whole.adapt(DATA)
    batches = layers.Normalization()
    batches.adapt([DATA[:7], DATA[7:20], DATA[20:]])
    labelled = layers.Normalization()
    labelled.adapt((DATA[i : i + 8], np.zeros(8)) for i in range(0, 40, 8))
    for other in (batches, labelled):
        np.testing.assert_allclose(
            other.adapt_mean.numpy(), whole.adapt_mean.numpy(), rtol=1e-5
        )
        np.testing.assert_allclose(
            other.adapt_variance.numpy(), whole.adapt_variance.numpy(), rtol=1e-5
        )


def test_adapt_on_a_tensor_and_a_keras_dataset() -> None:
    from_tensor = layers.Normalization()
    from_tensor.adapt(torch.from_numpy(DATA))

    class Batches(cnnkit.utils.PyDataset):
        def __len__(self) -> int:
            return 4

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            return DATA[index * 10 : (index + 1) * 10], np.zeros(10)

    from_dataset = layers.Normalization()
    from_dataset.adapt(Batches())
    np.testing.assert_allclose(
        from_dataset.adapt_mean.numpy(), from_tensor.adapt_mean.numpy(), rtol=1e-5
    )
    np.testing.assert_allclose(
        from_tensor.adapt_mean.numpy(), DATA.mean(axis=(0, 1, 2)), rtol=1e-5
    )


def test_given_statistics_make_no_weights_and_invert_undoes_them() -> None:
    layer = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])
    x = np.ones((2, 3), dtype="float32") * 3.0
    np.testing.assert_allclose(layer(x).numpy(), [[1.0, 1.0, 0.0]] * 2)
    assert layer.weights == []
    inverse = layers.Normalization(
        mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25], invert=True
    )
    np.testing.assert_allclose(inverse(layer(x)).numpy(), x, rtol=1e-6)
    scalar = layers.Normalization(axis=None, mean=3.0, variance=2.0)
    np.testing.assert_allclose(
        scalar(np.array([[1.0], [3.0]], "float32")).numpy(),
        [[-np.sqrt(2.0)], [0.0]],
        rtol=1e-6,
    )


def test_mean_and_variance_are_broadcast_as_in_keras() -> None:
    layer = layers.Normalization()
    assert not hasattr(layer, "mean")  # as in Keras, until built
    layer.adapt(DATA)
    assert tuple(layer.mean.shape) == (1, 1, 1, 3)
    np.testing.assert_allclose(
        layer.mean.numpy().ravel(), DATA.mean(axis=(0, 1, 2)), rtol=1e-5
    )
    np.testing.assert_allclose(
        layer.variance.numpy().ravel(), DATA.var(axis=(0, 1, 2)), rtol=1e-4
    )
    given = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])
    given.build((None, 3))
    assert given.variance.numpy().tolist() == [[4.0, 1.0, 0.25]]


def test_a_zero_variance_divides_by_epsilon_not_zero() -> None:
    layer = layers.Normalization(axis=None)
    layer.adapt(np.full((4, 2), 5.0, "float32"))
    assert layer(np.full((1, 2), 5.0, "float32")).abs().max() == 0.0


def test_adapted_weights_config_and_keras_file_round_trip(tmp_path) -> None:
    layer = layers.Normalization(axis=-1, name="norm")
    layer.adapt(DATA)
    assert [(w.name, str(w.dtype)) for w in layer.weights] == [
        ("mean", "float32"),
        ("variance", "float32"),
        ("count", "int32"),
    ]
    assert not layer.trainable_weights
    config = layer.get_config()
    assert (config["axis"], config["invert"], config["mean"]) == ((-1,), False, None)
    model = cnnkit.Sequential([cnnkit.Input((5, 4, 3)), layer])
    path = tmp_path / "norm.keras"
    model.save(path)
    loaded = cnnkit.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(DATA[:4], verbose=0), model.predict(DATA[:4], verbose=0)
    )


def test_normalization_trains_inside_a_cnn() -> None:
    norm = layers.Normalization()
    norm.adapt(DATA)
    model = cnnkit.Sequential(
        [cnnkit.Input((5, 4, 3)), norm, layers.Conv2D(4, 3), layers.Flatten(),
         layers.Dense(2, activation="softmax")]
    )  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = norm.adapt_mean.numpy().copy()
    model.fit(DATA, (DATA[:, 0, 0, 0] > 2).astype("int64"), epochs=1, verbose=0)
    np.testing.assert_array_equal(norm.adapt_mean.numpy(), before)


def test_errors_teach() -> None:
    with pytest.raises(InvalidArgumentError, match=r"give both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(IncompatibleShapeError, match=r"same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(IncompatibleShapeError, match=r"more than the 1 kept axis"):
        layers.Normalization(mean=[[1.0]], variance=[[1.0]])
    with pytest.raises(InvalidTypeError, match=r"`axis` must be an int"):
        layers.Normalization(axis="channels")
    with pytest.raises(InvalidArgumentError, match=r"must lie in \[-2, 2\)"):
        layers.Normalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(IncompatibleShapeError, match=r"axis 1 is kept"):
        cnnkit.Sequential([cnnkit.Input((None, 3)), layers.Normalization(axis=1)])
    with pytest.raises(
        IncompatibleShapeError,
        match=r"do not broadcast to the kept axes of shape \(3,\)",
    ):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(
            np.zeros((2, 3), "float32")
        )
    with pytest.raises(InvalidArgumentError, match=r"was given `mean` and `variance`"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(DATA)
    with pytest.raises(InvalidArgumentError, match=r"received no batches"):
        layers.Normalization().adapt([])
    with pytest.raises(InvalidTypeError, match=r"takes a numpy array"):
        layers.Normalization().adapt(3.0)
    with pytest.raises(InvalidTypeError, match=r"batches that are dicts"):
        layers.Normalization().adapt([{"image": DATA}])
    with pytest.raises(
        IncompatibleShapeError, match=r"a batch has shape \(2, 5, 4, 2\)"
    ):
        layers.Normalization().adapt([DATA[:2], DATA[:2, ..., :2]])
