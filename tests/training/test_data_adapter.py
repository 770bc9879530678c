"""Data adapters: conversion, batch unpacking, class weights, validation split."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from training_builders import dense_model, tiny_data

from cnnkit.training.data_adapter import (
    ArrayAdapter,
    IterableAdapter,
    class_weight_to_sample_weight,
    make_adapter,
    split_for_validation,
    to_tensor,
    unpack_batch,
)
from cnnkit.utils import PyDataset


def test_to_tensor_casts_float64_and_keeps_integers() -> None:
    assert to_tensor(np.zeros(3, "float64")).dtype == torch.float32
    assert to_tensor(np.zeros(3, "uint8")).dtype == torch.uint8
    assert to_tensor(np.zeros(3, "int64")).dtype == torch.int64
    assert to_tensor(torch.zeros(3, dtype=torch.float64)).dtype == torch.float32


def test_to_tensor_reads_big_endian_and_non_contiguous_arrays() -> None:
    big = np.arange(6, dtype=">f4").reshape(2, 3)
    np.testing.assert_array_equal(to_tensor(big).numpy(), big.astype("float32"))
    strided = np.arange(12, dtype="float32").reshape(3, 4)[:, ::2]
    np.testing.assert_array_equal(to_tensor(strided).numpy(), strided)


def test_to_tensor_detaches_torch_tensors() -> None:
    leaf = torch.ones(2, requires_grad=True)
    assert not to_tensor(leaf).requires_grad


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        ("x", ("x", None, None)),
        (("x",), ("x", None, None)),
        (("x", "y"), ("x", "y", None)),
        (("x", "y", "w"), ("x", "y", "w")),
        # A list is read as a tuple, as Keras does: DataLoaders collate to lists.
        (["x", "y"], ("x", "y", None)),
        ({"a": "x"}, ({"a": "x"}, None, None)),
    ],
)
def test_unpack_batch(batch: Any, expected: tuple[Any, Any, Any]) -> None:
    assert unpack_batch(batch) == expected


def test_class_weight_to_sample_weight_reads_every_label_form() -> None:
    class_weight = {0: 0.5, 2: 4.0}  # class 1 missing: weight 1.0, as in Keras
    expected = [0.5, 1.0, 4.0, 0.5]
    labels = np.array([0, 1, 2, 0])
    for y in (labels, labels[:, None], np.eye(3)[labels], torch.tensor(labels)):
        np.testing.assert_array_equal(
            class_weight_to_sample_weight(y, class_weight), expected
        )


def test_split_for_validation_takes_the_tail_of_every_array() -> None:
    x = {"a": np.arange(10), "b": np.arange(10) * 2}
    y = [np.arange(10), np.arange(10) + 100]
    (tx, _ty, tw), (vx, vy, vw) = split_for_validation(x, y, None, 0.3)
    np.testing.assert_array_equal(tx["b"], np.arange(7) * 2)
    np.testing.assert_array_equal(vx["a"], [7, 8, 9])
    np.testing.assert_array_equal(vy[1], [107, 108, 109])
    assert tw is None
    assert vw is None


def test_array_adapter_batches_views_of_device_tensors() -> None:
    x, y = tiny_data(10)
    adapter = make_adapter(x, y, np.ones(10), batch_size=4)
    assert isinstance(adapter, ArrayAdapter)
    batches = list(adapter.epoch())
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert all(b[2].dtype == torch.float32 for b in batches)
    # Slices of the converted arrays, not copies per batch.
    assert batches[1][0].untyped_storage().data_ptr() == (
        adapter.x.untyped_storage().data_ptr()
    )


class _CountingIterable:
    """Re-iterable with a length, counting how often an iterator is made."""

    def __init__(self, batches: list[Any]) -> None:
        self.batches = batches
        self.iterations = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[Any]:
        self.iterations += 1
        return iter(self.batches)


def test_reiterable_sources_are_iterated_once_per_epoch() -> None:
    # Deciding "is this one-shot?" must not start an iteration: for a DataLoader
    # with workers that would spawn processes.
    x, y = tiny_data()
    source = _CountingIterable([(x[:10], y[:10]), (x[10:], y[10:])])
    model = dense_model()
    model.compile(loss="sparse_categorical_crossentropy")
    model.fit(source, epochs=3, verbose=0)
    assert source.iterations == 3


def test_generators_are_one_shot_and_containers_restart() -> None:
    generator = (i for i in range(2))
    assert not IterableAdapter(generator)._reiterable
    assert IterableAdapter(_CountingIterable([1, 2]))._reiterable

    class Batches(PyDataset):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, index: int) -> Any:
            return np.zeros((1, 1)), np.zeros(1)

    adapter = IterableAdapter(Batches())
    assert adapter._reiterable
    assert adapter.steps_per_epoch == 2
    assert len(list(adapter.epoch())) == len(list(adapter.epoch())) == 2
