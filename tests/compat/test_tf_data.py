"""``tf.data.Dataset``: constructors, transformations with TF's semantics, cardinality,
the sliced fast path, and fit / evaluate / predict on datasets."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch

from cnnkit import layers, models
from cnnkit.compat import tf_api as tf
from cnnkit.compat.tf import data as tf_data

Dataset = tf.data.Dataset


def _values(ds: object) -> list[object]:
    return [
        v.tolist() if isinstance(v, torch.Tensor) else v
        for v in ds  # type: ignore[attr-defined]
    ]


def test_from_tensor_slices_of_arrays_tuples_and_dicts() -> None:
    x = np.arange(6, dtype="float32").reshape(3, 2)
    assert _values(Dataset.from_tensor_slices(x)) == [[0, 1], [2, 3], [4, 5]]
    pairs = list(Dataset.from_tensor_slices((x, np.array([7, 8, 9]))))
    assert pairs[1][0].tolist() == [2.0, 3.0]
    assert pairs[1][1].item() == 8
    named = list(Dataset.from_tensor_slices({"a": x, "b": [1, 2, 3]}))
    assert named[2]["b"].item() == 3
    assert named[2]["a"].dtype == tf.float32
    assert _values(Dataset.from_tensor_slices([1, 2])) == [1, 2]


def test_from_tensor_slices_reads_lists_inside_tuples_as_arrays_and_keeps_text() -> (
    None
):
    ds = Dataset.from_tensor_slices((["a.png", "b.png"], [0, 1]))
    assert [(p, int(label)) for p, label in ds] == [("a.png", 0), ("b.png", 1)]
    assert [b.tolist() for b, _ in ds.batch(2)] == [["a.png", "b.png"]]
    tensors = Dataset.from_tensor_slices([tf.constant([1.0]), tf.constant([2.0])])
    assert _values(tensors) == [[1.0], [2.0]]


def test_from_tensor_slices_refuses_arrays_of_different_lengths() -> None:
    with pytest.raises(
        ValueError, match=r"same size in its first dimension .*\(2,\), \(3,\)"
    ):
        Dataset.from_tensor_slices((np.zeros(2), np.zeros(3)))
    with pytest.raises(ValueError, match=r"received shapes \[\(\)\]"):
        Dataset.from_tensor_slices(np.float32(1.0))


def test_from_tensors_range_and_len() -> None:
    one = Dataset.from_tensors(np.zeros((2, 3)))
    assert len(one) == 1
    assert next(iter(one)).shape == (2, 3)
    r = Dataset.range(2, 8, 3)
    assert _values(r) == [2, 5]
    assert next(iter(r)).dtype == tf.int64
    assert len(Dataset.range(5)) == 5
    assert repr(Dataset.range(3)) == "<SlicesDataset cardinality=3>"


def test_datasets_cannot_be_made_directly() -> None:
    with pytest.raises(TypeError, match=r"cannot be created directly; use"):
        iter(Dataset())


def test_from_generator_with_output_signature_restarts_each_pass() -> None:
    def gen() -> Iterator[tuple[list[float], int]]:
        for i in range(3):
            yield [float(i), 0.0], i

    signature = (
        tf.TensorSpec(shape=(2,), dtype=tf.float32),
        tf.TensorSpec(shape=(), dtype=tf.int64),
    )
    ds = Dataset.from_generator(gen, output_signature=signature)
    first = [(x.tolist(), y.item(), y.dtype) for x, y in ds]
    assert first == [([0.0, 0.0], 0, tf.int64), ([1.0, 0.0], 1, tf.int64),
                     ([2.0, 0.0], 2, tf.int64)]  # fmt: skip
    assert len(list(ds)) == 3  # a new generator each pass
    assert int(ds.cardinality()) == tf.data.experimental.UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match=r"The dataset length is unknown"):
        len(ds)
    typed = Dataset.from_generator(lambda: iter([1, 2]), output_types=tf.float32)
    assert _values(typed) == [1.0, 2.0]
    with_args = Dataset.from_generator(lambda n: iter(range(n)), args=(4,))
    assert _values(with_args) == [0, 1, 2, 3]
    assert repr(signature[0]) == "TensorSpec(shape=(2,), dtype=tf.float32, name=None)"
    assert tf.TensorSpec(None).is_compatible_with(tf.zeros([3]))
    assert tf.TensorSpec([None, 2]).is_compatible_with(tf.zeros([5, 2]))


def test_from_generator_errors() -> None:
    def gen() -> Iterator[list[float]]:
        yield [1.0, 2.0, 3.0]

    with pytest.raises(TypeError, match=r"pass `gen`, not `gen\(\)`"):
        Dataset.from_generator(gen())  # type: ignore[arg-type]
    wrong_shape = Dataset.from_generator(
        gen, output_signature=tf.TensorSpec(shape=(2,), dtype=tf.float32)
    )
    with pytest.raises(
        ValueError, match=r"yielded shape \(3,\) where `output_signature`"
    ):
        list(wrong_shape)
    not_a_tuple = Dataset.from_generator(
        lambda: iter([np.zeros(3)]),
        output_signature=(tf.TensorSpec(shape=(3,)), tf.TensorSpec(shape=())),
    )
    with pytest.raises(
        TypeError, match=r"describes a tuple of 2 parts, but the generator"
    ):
        list(not_a_tuple)


def test_map_unpacks_tuples_and_passes_dicts_whole() -> None:
    pairs = Dataset.from_tensor_slices((np.array([1, 2]), np.array([10, 20])))
    assert [v.item() for v in pairs.map(lambda x, y: x + y)] == [11, 22]
    swapped = pairs.map(lambda x, y: [y, x], num_parallel_calls=tf.data.AUTOTUNE)
    assert [tuple(t.item() for t in e) for e in swapped] == [(10, 1), (20, 2)]
    named = Dataset.from_tensor_slices({"a": np.array([1, 2])})
    assert [e["a"].item() for e in named.map(lambda d: {"a": d["a"] * 3})] == [3, 6]
    assert len(pairs.map(lambda x, y: x)) == 2


def test_batch_drop_remainder_and_cardinality() -> None:
    ds = Dataset.range(10)
    assert [b.tolist() for b in ds.batch(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(ds.batch(4)) == 3
    assert len(ds.batch(4, drop_remainder=True)) == 2
    assert [b.shape[0] for b in ds.batch(4, drop_remainder=True)] == [4, 4]
    mapped = ds.map(lambda x: x * 2)
    assert [b.tolist() for b in mapped.batch(4, drop_remainder=True)][-1] == [
        8,
        10,
        12,
        14,
    ]
    assert len(mapped.batch(3)) == 4
    assert len(mapped.batch(3, drop_remainder=True)) == 3
    with pytest.raises(ValueError, match=r"`batch_size` must be a positive int"):
        ds.batch(0)
    with pytest.raises(TypeError, match=r"`batch_size` must be an int; received"):
        ds.batch(2.5)


def test_batch_refuses_elements_of_different_shapes() -> None:
    ragged = Dataset.from_generator(lambda: iter([np.zeros(2), np.zeros(3)]))
    with pytest.raises(
        ValueError, match=r"must have one shape; received shapes \[\(2,\)"
    ):
        list(ragged.batch(2))


def test_batches_of_slices_are_array_slices() -> None:
    x = torch.arange(10)
    batches = list(Dataset.from_tensor_slices(x).batch(4))
    assert batches[0].data_ptr() == x.data_ptr()  # a view: no per-element work
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_shuffle_is_a_permutation_reshuffled_each_pass() -> None:
    ds = Dataset.range(50).shuffle(50, seed=3)
    first, second = _values(ds), _values(ds)
    assert sorted(first) == list(range(50))  # type: ignore[type-var]
    assert first != list(range(50))
    assert first != second  # reshuffle_each_iteration=True
    fixed = Dataset.range(50).shuffle(50, seed=3, reshuffle_each_iteration=False)
    assert _values(fixed) == _values(fixed)
    assert _values(Dataset.range(50).shuffle(50, seed=3)) == first  # seeded: repeatable
    unseeded = Dataset.range(20).shuffle(20, reshuffle_each_iteration=False)
    assert _values(unseeded) == _values(unseeded)


def test_shuffle_with_a_small_buffer_moves_elements_only_a_little() -> None:
    order = _values(Dataset.range(100).shuffle(1))
    assert order == list(range(100))  # a buffer of one is no shuffle
    small = _values(Dataset.range(100).shuffle(5, seed=1))
    assert sorted(small) == list(range(100))  # type: ignore[type-var]
    # Element i cannot come out before position i - buffer_size + 1.
    assert all(pos >= v - 4 for pos, v in enumerate(small))  # type: ignore[operator]
    mapped = _values(Dataset.range(30).map(lambda x: x).shuffle(4, seed=2))
    assert sorted(mapped) == list(range(30))  # type: ignore[type-var]
    assert all(pos >= v - 3 for pos, v in enumerate(mapped))  # type: ignore[operator]
    with pytest.raises(ValueError, match=r"`buffer_size` must be a positive int"):
        Dataset.range(3).shuffle(0)


def test_repeat_take_skip() -> None:
    ds = Dataset.range(3)
    assert _values(ds.repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert len(ds.repeat(2)) == 6
    forever = ds.repeat()
    assert int(forever.cardinality()) == tf.data.INFINITE_CARDINALITY
    with pytest.raises(TypeError, match=r"The dataset is infinite"):
        len(forever)
    assert _values(forever.take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert len(forever.take(7)) == 7
    assert _values(ds.skip(1)) == [1, 2]
    assert _values(ds.take(-1)) == [0, 1, 2]
    assert _values(ds.skip(-1)) == []
    mapped = ds.map(lambda x: x + 1)
    assert _values(mapped.take(2)) == [1, 2]
    assert _values(mapped.take(0)) == []
    assert _values(mapped.skip(2)) == [3]
    assert len(mapped.skip(5)) == 0
    assert _values(mapped.skip(-1)) == []
    assert len(mapped.take(-1)) == 3
    empty = Dataset.from_generator(lambda: iter([])).repeat()
    assert _values(empty) == []


def test_zip_concatenate_enumerate_filter_unbatch() -> None:
    a, b = Dataset.range(3), Dataset.range(10, 15)
    assert [(x.item(), y.item()) for x, y in Dataset.zip((a, b))] == [
        (0, 10), (1, 11), (2, 12)
    ]  # fmt: skip
    assert len(Dataset.zip(a, b)) == 3
    named = Dataset.zip({"x": a, "y": b})
    assert [e["y"].item() for e in named] == [10, 11, 12]
    assert _values(a.concatenate(b))[-1] == 14
    assert len(a.concatenate(b)) == 8
    assert next((i.item(), v.item()) for i, v in b.enumerate(start=1)) == (1, 10)
    evens = Dataset.range(10).filter(lambda x: x % 2 == 0)
    assert _values(evens) == [0, 2, 4, 6, 8]
    assert int(evens.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    rows = Dataset.from_tensor_slices(np.arange(6).reshape(3, 2)).batch(2).unbatch()
    assert _values(rows) == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(TypeError, match=r"give two or more datasets"):
        Dataset.zip(a)
    with pytest.raises(TypeError, match=r"every item must be a tf\.data\.Dataset"):
        Dataset.zip((a, [1, 2]))
    with pytest.raises(
        ValueError, match=r"predicate must return one boolean per element"
    ):
        list(Dataset.from_tensor_slices(np.zeros((2, 3))).filter(lambda x: x > 0))


def test_window_and_flat_map() -> None:
    ds = Dataset.range(7).window(3, shift=2, drop_remainder=True)
    assert len(ds) == 3
    windows = [w.tolist() for w in ds.flat_map(lambda w: w.batch(3))]
    assert windows == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    loose = Dataset.range(5).window(2)
    assert [w.tolist() for w in loose.flat_map(lambda w: w.batch(2))] == [
        [0, 1], [2, 3], [4]
    ]  # fmt: skip
    strided = Dataset.range(6).window(2, shift=1, stride=2, drop_remainder=True)
    assert next(w.tolist() for w in strided.flat_map(lambda w: w.batch(2))) == [0, 2]
    pairs = Dataset.from_tensor_slices((np.arange(4), np.arange(4) * 10)).window(2)
    zipped = pairs.flat_map(lambda x, y: Dataset.zip((x.batch(2), y.batch(2))))
    assert next((x.tolist(), y.tolist()) for x, y in zipped) == ([0, 1], [0, 10])
    with pytest.raises(
        ValueError, match=r"`size`, `shift` and `stride` must be positive"
    ):
        Dataset.range(3).window(0)
    with pytest.raises(
        TypeError, match=r"the function must return a tf\.data\.Dataset"
    ):
        list(Dataset.range(2).flat_map(lambda x: x))


def test_cache_replays_the_first_complete_pass() -> None:
    calls = []

    def count(x: torch.Tensor) -> torch.Tensor:
        calls.append(int(x))
        return x

    ds = Dataset.range(3).map(count).cache()
    assert _values(ds) == [0, 1, 2]
    assert _values(ds) == [0, 1, 2]
    assert calls == [0, 1, 2]
    assert _values(Dataset.range(4).map(count).cache("ignored.cache").take(2)) == [0, 1]


def test_prefetch_yields_the_same_elements_from_a_thread() -> None:
    ds = Dataset.range(20).map(lambda x: x * 2)
    assert _values(ds.prefetch(tf.data.AUTOTUNE)) == _values(ds)
    assert _values(ds.prefetch(buffer_size=2).take(3)) == [0, 2, 4]  # stops early
    assert len(ds.prefetch(1)) == 20
    assert ds.prefetch(0) is ds
    with pytest.raises(ValueError, match=r"`buffer_size` must be a positive int or"):
        ds.prefetch(-5)


def test_errors_in_the_prefetch_thread_reach_the_consumer() -> None:
    def fail(x: torch.Tensor) -> torch.Tensor:
        if int(x) == 2:
            raise ValueError("bad element 2")
        return x

    ds = Dataset.range(5).map(fail).prefetch(2)
    with pytest.raises(ValueError, match=r"bad element 2"):
        list(ds)


def test_parallel_map_keeps_the_order() -> None:
    ds = Dataset.range(50).map(lambda x: x + 1, num_parallel_calls=tf.data.AUTOTUNE)
    assert _values(ds) == list(range(1, 51))
    four = Dataset.range(10).map(lambda x: x * x, num_parallel_calls=4)
    assert _values(four.take(3)) == [0, 1, 4]
    with pytest.raises(TypeError, match=r"`num_parallel_calls` must be an int"):
        Dataset.range(3).map(lambda x: x, num_parallel_calls="auto")


def test_options_apply_and_numpy_iterator() -> None:
    ds = Dataset.range(3)
    kept = ds.with_options(tf.data.Options())
    assert type(kept) is type(ds)  # from_tensor_slices' fast batching stays
    assert _values(kept) == [0, 1, 2]
    assert _values(ds.apply(lambda d: d.take(1))) == [0]
    assert [type(v) for v in ds.as_numpy_iterator()] == [np.ndarray] * 3
    assert int(tf.data.experimental.cardinality(ds)) == 3
    assert bool(Dataset.range(0)) is True


def _model() -> models.Sequential:
    model = models.Sequential(
        [
            layers.Input((4,)),
            layers.Dense(8, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_fit_evaluate_predict_take_datasets() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    train = Dataset.from_tensor_slices((x, y)).shuffle(64).batch(16)
    val = Dataset.from_tensor_slices((x, y)).batch(32)
    model = _model()
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert len(model.evaluate(val, verbose=0)) == 2
    assert model.predict(val, verbose=0).shape == (64, 2)
    assert model.predict(Dataset.from_tensor_slices(x).batch(10), verbose=0).shape == (
        64,
        2,
    )
    repeated = Dataset.from_tensor_slices((x, y)).batch(16).repeat()
    model.fit(repeated, steps_per_epoch=3, epochs=2, verbose=0)


def test_count_arguments_take_scalar_tensors() -> None:
    assert len(Dataset.range(5).take(tf.constant(2))) == 2
    assert tf_data.AUTOTUNE == -1


def test_parallel_map_builds_a_keras_layer_once_before_the_threads() -> None:
    from cnnkit.compat.tf import _pipeline

    built = []

    def first_use(x: torch.Tensor) -> torch.Tensor:
        if not built:
            built.append(True)
        return x

    out = list(_pipeline.mapped_in_threads(first_use, iter(range(20)), 4))
    assert out == list(range(20))
    assert built == [True]
    assert list(_pipeline.mapped_in_threads(first_use, iter([]), 4)) == []
    flip = layers.RandomFlip("horizontal")
    ds = Dataset.from_tensor_slices(np.zeros((8, 2, 4, 4, 1), "float32"))
    results = list(ds.map(lambda x: flip(x), num_parallel_calls=4))
    assert len(results) == 8
    assert flip.built


def test_slow_map_functions_run_in_threads_quick_ones_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import time

    from cnnkit.compat.tf import _pipeline

    def where_run(x: int, pause: float) -> str:
        time.sleep(pause)
        return threading.current_thread().name

    slow = list(
        _pipeline.mapped_in_threads(lambda x: where_run(x, 0.003), iter(range(8)), 2)
    )
    assert slow[0] == threading.current_thread().name  # the first call, alone
    assert all(name.startswith("cnnkit-tf-data-map") for name in slow[1:])
    quick = list(
        _pipeline.mapped_in_threads(lambda x: where_run(x, 0.0), iter(range(8)), 2)
    )
    assert set(quick) == {threading.current_thread().name}
    monkeypatch.setattr(_pipeline, "MIN_PARALLEL_SECONDS", 0.0)
    ds = Dataset.range(30).map(lambda x: x * 2, num_parallel_calls=3)
    assert _values(ds) == list(range(0, 60, 2))
    assert _values(ds.take(2)) == [0, 2]


def test_list_files_globs_and_shuffles(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    for name in ("b.png", "a.png", "c.txt"):
        (root / name).write_bytes(b"")
    pattern = str(root / "*.png")
    ordered = list(Dataset.list_files(pattern, shuffle=False))
    assert ordered == [str(root / "a.png"), str(root / "b.png")]
    assert sorted(Dataset.list_files(pattern, seed=1)) == ordered
    both = list(Dataset.list_files([pattern, str(root / "*.txt")], shuffle=False))
    assert len(both) == 3
    with pytest.raises(ValueError, match=r"Dataset\.list_files: no files matched"):
        Dataset.list_files(str(root / "*.jpg"))


def test_repeat_of_slices_reorders_indices_and_batches_across_passes() -> None:
    ds = Dataset.from_tensor_slices(np.arange(5)).shuffle(5, seed=2).repeat(2)
    assert len(ds) == 10
    values = _values(ds)
    assert sorted(values[:5]) == sorted(values[5:]) == list(range(5))  # type: ignore[type-var]
    batches = [b.tolist() for b in Dataset.range(5).repeat(2).batch(4)]
    assert batches == [[0, 1, 2, 3], [4, 0, 1, 2], [3, 4]]
    assert _values(Dataset.range(2).repeat(-1).take(3)) == [0, 1, 0]


def test_missing_dataset_methods_teach() -> None:
    ds = Dataset.range(3).batch(2)
    with pytest.raises(
        AttributeError, match=r"^tf\.data\.Dataset\.ragged_batch is not available"
    ):
        _ = ds.ragged_batch
    assert not hasattr(ds, "__getitem__")
    assert not hasattr(ds, "on_epoch_end")
