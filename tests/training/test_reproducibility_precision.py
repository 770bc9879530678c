"""Seeded runs repeat exactly; mixed precision trains on the CPU; PyDataset basics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from training_builders import (
    CLASSES,
    conv_model,
    images,
    tiny_data,
)

import cnnkit
from cnnkit import mixed_precision
from cnnkit.errors import InvalidArgumentError
from cnnkit.utils import PyDataset, set_random_seed


def _seeded_run(seed: int) -> tuple[list[np.ndarray], dict[str, list[float]]]:
    """Everything random: initial weights, dropout, shuffling, the split."""
    set_random_seed(seed)
    x, y = images(32), np.random.randint(0, CLASSES, 32)
    model = cnnkit.Sequential(
        [
            cnnkit.Input((8, 8, 1)),
            cnnkit.layers.Conv2D(4, 3, activation="relu"),
            cnnkit.layers.Flatten(),
            cnnkit.layers.Dropout(0.5),
            cnnkit.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(
        x, y, batch_size=8, epochs=2, validation_split=0.25, shuffle=True, verbose=0
    )
    return model.get_weights(), history.history


def test_set_random_seed_makes_two_runs_identical() -> None:
    weights_a, history_a = _seeded_run(7)
    weights_b, history_b = _seeded_run(7)
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    assert history_a == history_b
    # And the seed matters (otherwise the check above proves nothing).
    weights_c, _ = _seeded_run(8)
    assert not np.array_equal(weights_a[0], weights_c[0])


def test_set_random_seed_rejects_bad_seeds() -> None:
    with pytest.raises(InvalidArgumentError, match="`seed` must be a non-negative"):
        set_random_seed(-1)


@pytest.fixture
def bfloat16_policy() -> Iterator[None]:
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        yield
    finally:
        mixed_precision.set_global_policy("float32")


@pytest.mark.usefixtures("bfloat16_policy")
def test_mixed_bfloat16_trains_on_the_cpu() -> None:
    x = images(32)
    _, y = tiny_data(32)
    model = conv_model()
    model.compile(
        optimizer=cnnkit.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    seen: list[torch.dtype] = []

    def record(module: Any, args: Any, output: torch.Tensor) -> None:
        if torch.is_grad_enabled():  # a training step, not a shape-probing call
            seen.append(output.dtype)

    hook = model.layers[0].register_forward_hook(record)
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    hook.remove()
    assert seen == [torch.bfloat16] * 6  # every training step ran in bfloat16
    losses = history.history["loss"]
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    assert all(w.dtype == np.float32 for w in model.get_weights())  # variables stay
    out = model.predict(x, verbose=0)
    assert out.dtype == np.float32
    assert np.allclose(out.sum(-1), 1.0, atol=1e-2)
    assert np.isfinite(model.evaluate(x, y, verbose=0)).all()


def test_mixed_float16_scales_the_loss() -> None:
    mixed_precision.set_global_policy("mixed_float16")
    try:
        x = images(16)
        _, y = tiny_data(16)
        model = conv_model()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
    finally:
        mixed_precision.set_global_policy("float32")


def test_unknown_policy_lists_the_choices() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"Unknown dtype policy 'mixed_int8'"
    ):
        mixed_precision.set_global_policy("mixed_int8")
    assert mixed_precision.global_policy().name == "float32"


def test_loss_scaler_halves_on_overflow_and_grows_after_a_streak() -> None:
    scaler = mixed_precision.LossScaler(initial_scale=8.0, growth_interval=2)
    grads = [torch.full((2,), 16.0)]
    assert scaler.unscale_and_check(grads)
    torch.testing.assert_close(grads[0], torch.full((2,), 2.0))
    assert scaler.unscale_and_check([torch.ones(1)])
    assert scaler.scale == 16.0
    assert not scaler.unscale_and_check([torch.tensor([float("inf")])])
    assert scaler.scale == 8.0


def test_pydataset_needs_len_and_getitem() -> None:
    with pytest.raises(
        TypeError, match=r"must define __len__ \(the number of batches\)"
    ):
        len(PyDataset())
    with pytest.raises(TypeError, match=r"must define __getitem__\(index\)"):
        PyDataset()[0]


@pytest.mark.parametrize("workers", [0, -1, 1.5])
def test_pydataset_workers_must_be_positive(workers: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="`workers` must be a positive int"):
        PyDataset(workers=workers)


def test_pydataset_keeps_keras_arguments() -> None:
    class Two(PyDataset):
        def __len__(self) -> int:
            return 2

    data = Two(workers=4, use_multiprocessing=True, max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, True, 3)
    assert data.num_batches == 2
