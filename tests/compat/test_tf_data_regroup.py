"""``tf.data``'s regrouping transformations: interleave, padded_batch, rebatch,
reduce, group_by_window, bucket_by_sequence_length and options, on the examples
of TensorFlow's documentation (expected outputs copied from it)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit.compat import tf_api as tf

Dataset = tf.data.Dataset


def _lists(dataset: object) -> list[object]:
    return [np.asarray(e).tolist() for e in dataset.as_numpy_iterator()]  # type: ignore[attr-defined]


def test_interleave_follows_tfs_cycle_and_block_order() -> None:
    dataset = Dataset.range(1, 6).interleave(
        lambda x: Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4
    )
    assert _lists(dataset) == [
        1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3,
        4, 4, 4, 4, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5,
    ]  # fmt: skip
    assert int(dataset.cardinality()) == tf.data.UNKNOWN_CARDINALITY


def test_interleave_reads_files_in_parallel_style() -> None:
    # The tutorial pattern: one inner dataset per "file", num_parallel_calls given.
    files = Dataset.from_tensor_slices(np.array([[0, 1, 2], [10, 11, 12]]))
    dataset = files.interleave(
        lambda row: Dataset.from_tensor_slices(row),
        cycle_length=tf.data.AUTOTUNE,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=False,
    )
    assert sorted(_lists(dataset)) == [0, 1, 2, 10, 11, 12]
    one_at_a_time = files.interleave(Dataset.from_tensor_slices, cycle_length=1)
    assert _lists(one_at_a_time) == [0, 1, 2, 10, 11, 12]


def test_interleave_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"`cycle_length` and `block_length` must be"):
        Dataset.range(3).interleave(Dataset.from_tensors, block_length=0)
    with pytest.raises(TypeError, match=r"`map_func` must return a tf.data.Dataset"):
        list(Dataset.range(3).interleave(lambda x: x * 2, cycle_length=2))


def test_padded_batch_pads_to_the_longest_or_to_a_fixed_size() -> None:
    a = Dataset.range(1, 5, output_type=tf.int32).map(lambda x: tf.fill([x], x))
    assert _lists(a.padded_batch(2)) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    assert _lists(a.padded_batch(2, padded_shapes=5, padding_values=-1))[0] == [
        [1, -1, -1, -1, -1],
        [2, 2, -1, -1, -1],
    ]
    batch = next(iter(a.padded_batch(3, drop_remainder=True)))
    assert batch.dtype == torch.int32
    assert len(a.padded_batch(3, drop_remainder=True)) == 1
    assert len(a.padded_batch(3)) == 2


def test_padded_batch_pads_tuple_components_independently() -> None:
    elements = [([1, 2, 3], [10]), ([4, 5], [11, 12])]
    dataset = Dataset.from_generator(lambda: iter(elements), (tf.int32, tf.int32))
    ((first, second),) = dataset.padded_batch(
        2, padded_shapes=([4], [None]), padding_values=(-1, 100)
    )
    assert first.tolist() == [[1, 2, 3, -1], [4, 5, -1, -1]]
    assert second.tolist() == [[10, 100], [11, 12]]
    a = Dataset.range(1, 3).map(lambda x: tf.fill([x], x))
    ((left, right),) = Dataset.zip((a, a)).padded_batch(2, padding_values=-1)
    assert left.tolist() == right.tolist() == [[1, -1], [2, 2]]


def test_padded_batch_refuses_an_element_larger_than_its_padded_shape() -> None:
    a = Dataset.range(1, 5).map(lambda x: tf.fill([x], x))
    with pytest.raises(
        ValueError, match=r"size 4 in dimension 0, more than its padded size 3"
    ):
        list(a.padded_batch(4, padded_shapes=[3]))
    with pytest.raises(ValueError, match=r"`padded_shapes` \[3, 3\] has rank 2"):
        list(a.padded_batch(4, padded_shapes=[3, 3]))
    with pytest.raises(
        ValueError, match=r"padded_batch: `batch_size` must be a positive"
    ):
        a.padded_batch(0)


def test_rebatch_and_reduce() -> None:
    assert _lists(Dataset.range(8).batch(4).rebatch(batch_size=2)) == [
        [0, 1], [2, 3], [4, 5], [6, 7],
    ]  # fmt: skip
    assert _lists(Dataset.range(16).batch(4).rebatch(batch_size=[2, 1, 1]))[:4] == [
        [0, 1], [2], [3], [4, 5],
    ]  # fmt: skip
    assert _lists(Dataset.range(5).batch(2).rebatch(3, drop_remainder=True)) == [
        [0, 1, 2]
    ]
    assert Dataset.range(5).reduce(np.int64(0), lambda total, x: total + x).item() == 10
    pairs = Dataset.from_tensor_slices((np.arange(4.0), np.ones(4)))
    total, count = pairs.reduce((0.0, 0), lambda s, e: (s[0] + e[0] * e[1], s[1] + 1))
    assert (total.item(), count.item()) == (6.0, 4)


def test_group_by_window_as_in_tfs_documentation() -> None:
    dataset = Dataset.range(10).group_by_window(
        key_func=lambda x: x % 2,
        reduce_func=lambda key, window: window.batch(5),
        window_size=5,
    )
    assert _lists(dataset) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    by_key = Dataset.range(7).group_by_window(
        lambda x: x % 2,
        lambda key, window: window.batch(10),
        window_size_func=lambda key: 2 + key,
    )
    assert _lists(by_key) == [[0, 2], [1, 3, 5], [4, 6]]
    applied = Dataset.range(4).apply(
        tf.data.experimental.group_by_window(
            lambda x: x // 2, lambda key, window: window.batch(2), window_size=2
        )
    )
    assert _lists(applied) == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match=r"exactly one of `window_size` and"):
        Dataset.range(4).group_by_window(lambda x: x, lambda k, w: w)


def test_bucket_by_sequence_length_as_in_tfs_documentation() -> None:
    elements = [
        [0],
        [1, 2, 3, 4],
        [5, 6, 7],
        [7, 8, 9, 10, 11],
        [13, 14, 15, 16, 19, 20],
        [21, 22],
    ]
    dataset = Dataset.from_generator(lambda: elements, tf.int64, output_shapes=[None])
    bucketed = dataset.bucket_by_sequence_length(
        element_length_func=lambda elem: tf.shape(elem)[0],
        bucket_boundaries=[3, 5],
        bucket_batch_sizes=[2, 2, 2],
    )
    assert _lists(bucketed) == [
        [[1, 2, 3, 4], [5, 6, 7, 0]],
        [[7, 8, 9, 10, 11, 0], [13, 14, 15, 16, 19, 20]],
        [[0, 0], [21, 22]],
    ]
    to_boundary = dataset.take(3).bucket_by_sequence_length(
        lambda elem: tf.shape(elem)[0], [3, 7], [2, 2, 2], pad_to_bucket_boundary=True
    )
    assert _lists(to_boundary) == [[[1, 2, 3, 4, 0, 0], [5, 6, 7, 0, 0, 0]], [[0, 0]]]
    with pytest.raises(
        ValueError, match=r"length must be below the last boundary \(3\)"
    ):
        list(dataset.bucket_by_sequence_length(
            lambda e: tf.shape(e)[0], [3], [1, 1], pad_to_bucket_boundary=True
        ))  # fmt: skip
    with pytest.raises(
        ValueError, match=r"needs one more entry than `bucket_boundaries`"
    ):
        dataset.bucket_by_sequence_length(lambda e: tf.shape(e)[0], [3], [2])


def test_options_are_kept_and_change_nothing() -> None:
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    options.deterministic = False
    dataset = Dataset.range(3).with_options(options).map(lambda x: x + 1)
    assert _lists(dataset) == [1, 2, 3]
    assert len(dataset) == 3
    assert dataset.options().deterministic is False
    assert Dataset.range(3).options().deterministic is None
    assert int(tf.data.experimental.cardinality(dataset)) == 3


def test_sample_from_datasets_follows_the_weights_and_the_seed() -> None:
    zeros = Dataset.from_tensors(np.int64(0)).repeat()
    ones = Dataset.from_tensors(np.int64(1)).repeat()
    mixed = Dataset.sample_from_datasets([zeros, ones], weights=[0.8, 0.2], seed=3)
    draws = np.array(_lists(mixed.take(2000)))
    assert abs(draws.mean() - 0.2) < 0.03
    assert _lists(mixed.take(50)) == _lists(mixed.take(50))  # seeded: every pass
    again = Dataset.sample_from_datasets(
        [zeros, ones], seed=3, rerandomize_each_iteration=True
    )
    assert _lists(again.take(50)) != _lists(again.take(50))
    short = Dataset.sample_from_datasets([Dataset.range(3), Dataset.range(10, 13)])
    assert sorted(_lists(short)) == [0, 1, 2, 10, 11, 12]
    stopping = Dataset.sample_from_datasets(
        [Dataset.range(3), ones], weights=[0.5, 0.5], stop_on_empty_dataset=True
    )
    assert 3 <= len(_lists(stopping)) < 1000
    with pytest.raises(ValueError, match=r"`weights` must give one non-negative"):
        Dataset.sample_from_datasets([zeros, ones], weights=[1.0])


def test_choose_counter_scan_shard_take_while_as_in_tfs_documentation() -> None:
    datasets = [
        Dataset.from_tensors("foo").repeat(),
        Dataset.from_tensors("bar").repeat(),
        Dataset.from_tensors("baz").repeat(),
    ]
    chosen = Dataset.choose_from_datasets(datasets, Dataset.range(3).repeat(3))
    assert list(chosen) == ["foo", "bar", "baz"] * 3
    with pytest.raises(ValueError, match=r"the choice 5 is not an index into the 3"):
        list(Dataset.choose_from_datasets(datasets, Dataset.from_tensors(np.int64(5))))
    assert _lists(Dataset.counter(start=2, step=3).take(3)) == [2, 5, 8]
    assert Dataset.counter().cardinality().item() == tf.data.INFINITE_CARDINALITY
    scanned = Dataset.range(10).scan(
        initial_state=tf.constant(0, dtype=tf.int64),
        scan_func=lambda state, i: (state + i, state + i),
    )
    assert _lists(scanned) == [0, 1, 3, 6, 10, 15, 21, 28, 36, 45]
    assert len(scanned) == 10
    assert _lists(Dataset.range(10).shard(num_shards=3, index=0)) == [0, 3, 6, 9]
    assert _lists(Dataset.range(10).shard(3, 2)) == [2, 5, 8]
    assert len(Dataset.range(10).shard(3, 1)) == 3
    with pytest.raises(ValueError, match=r"need 0 <= index < num_shards"):
        Dataset.range(10).shard(2, 2)
    assert _lists(Dataset.range(10).take_while(lambda x: x < 5)) == [0, 1, 2, 3, 4]
    assert Dataset.range(10).take(1).get_single_element().item() == 0
    with pytest.raises(ValueError, match=r"exactly one element; it has more than one"):
        Dataset.range(2).get_single_element()
    with pytest.raises(ValueError, match=r"exactly one element; it has no element"):
        Dataset.range(0).get_single_element()
