"""``tf.random``'s stateless ops, ``split``/``fold_in`` and ``tf.random.Generator``:
repeatable per seed (cnnkit's own numbers, not TensorFlow's), with TF's shapes,
dtypes and ranges."""

from __future__ import annotations

import pytest
import torch

from cnnkit.compat import tf_api as tf


def test_stateless_draws_depend_on_the_seed_only() -> None:
    a = tf.random.stateless_uniform([4, 3], seed=[1, 2])
    b = tf.random.stateless_uniform([4, 3], seed=tf.constant([1, 2], dtype=tf.int64))
    c = tf.random.stateless_uniform([4, 3], seed=[1, 3])
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert a.dtype == torch.float32
    assert bool(((a >= 0) & (a < 1)).all())
    ints = tf.random.stateless_uniform(
        [1000], seed=[5, 5], minval=2, maxval=5, dtype=tf.int32
    )
    assert ints.dtype == torch.int32
    assert set(ints.tolist()) == {2, 3, 4}
    normal = tf.random.stateless_normal([20000], seed=[3, 4], mean=2.0, stddev=0.5)
    assert abs(float(normal.mean()) - 2.0) < 0.02
    assert abs(float(normal.std()) - 0.5) < 0.02
    assert torch.equal(normal, tf.random.stateless_normal([20000], [3, 4], 2.0, 0.5))
    truncated = tf.random.stateless_truncated_normal([5000], seed=[0, 1])
    assert float(truncated.abs().max()) <= 2.0
    picks = tf.random.stateless_categorical(
        tf.math.log([[0.5, 0.5, 0.0]]), 200, seed=[7, 7]
    )
    assert tuple(picks.shape) == (1, 200)
    assert set(picks.flatten().tolist()) == {0, 1}


def test_a_bad_seed_is_refused_with_the_fix() -> None:
    with pytest.raises(
        ValueError, match=r"`seed` must be a shape \[2\] integer tensor"
    ):
        tf.random.stateless_uniform([2], seed=3)
    with pytest.raises(ValueError, match=r"received shape \[2\] of float32"):
        tf.random.stateless_normal([2], seed=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"stateless_uniform: `maxval` is required"):
        tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32)
    with pytest.raises(ValueError, match=r"`num` must be a positive int"):
        tf.random.split([1, 2], num=0)


def test_split_and_fold_in_make_new_repeatable_seeds() -> None:
    seeds = tf.random.split([1, 2], num=3)
    assert tuple(seeds.shape) == (3, 2)
    assert seeds.dtype == torch.int32
    assert torch.equal(seeds, tf.random.experimental.stateless_split([1, 2], num=3))
    assert len({tuple(s) for s in seeds.tolist()}) == 3
    first = tf.random.stateless_normal([3], seed=seeds[0, :])
    assert torch.equal(first, tf.random.stateless_normal([3], seed=seeds[0]))
    folded = [tuple(tf.random.fold_in([1, 2], step).tolist()) for step in range(4)]
    assert len(set(folded)) == 4
    assert folded[2] == tuple(tf.random.fold_in([1, 2], 2).tolist())


def test_generator_from_seed_is_repeatable_and_advances() -> None:
    rng = tf.random.Generator.from_seed(123, alg="philox")
    again = tf.random.Generator.from_seed(123)
    first = rng.normal(shape=[2, 3])
    assert torch.equal(first, again.normal([2, 3]))
    assert not torch.equal(first, rng.normal([2, 3]))  # the state advanced
    u = rng.uniform([500], minval=-1.0, maxval=1.0)
    assert bool(((u >= -1) & (u < 1)).all())
    ints = rng.uniform([100], minval=0, maxval=3, dtype=tf.int64)
    assert set(ints.tolist()) <= {0, 1, 2}
    with pytest.raises(ValueError, match=r"Generator.uniform: `maxval` is required"):
        rng.uniform([2], dtype=tf.int32)
    assert float(rng.truncated_normal([1000]).abs().max()) <= 2.0


def test_make_seeds_feed_the_stateless_ops_as_in_the_augmentation_tutorial() -> None:
    rng = tf.random.Generator.from_seed(123, alg="philox")
    seeds = rng.make_seeds(2)
    assert tuple(seeds.shape) == (2, 2)
    assert seeds.dtype == torch.int64
    seed = rng.make_seeds(1)[:, 0]
    image = tf.random.stateless_uniform([8, 8, 3], seed=seed)
    assert torch.equal(image, tf.random.stateless_uniform([8, 8, 3], seed=seed))
    children = tf.random.Generator.from_seed(5).split(2)
    twins = tf.random.Generator.from_seed(5).split(2)
    assert torch.equal(children[1].normal([3]), twins[1].normal([3]))
    assert not torch.equal(children[0].normal([3]), children[1].normal([3]))
    fresh = tf.random.Generator.from_non_deterministic_state()
    copy = tf.random.Generator(copy_from=fresh)
    assert torch.equal(fresh.uniform([4]), copy.uniform([4]))
    tf.random.set_global_generator(tf.random.Generator.from_seed(9))
    assert torch.equal(
        tf.random.get_global_generator().normal([2]),
        tf.random.Generator.from_seed(9).normal([2]),
    )
