"""``keras.ops`` and ``keras.random`` under ``cnnkit run``, and ``cnnkit.random``'s
Keras seed rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnkit import random
from cnnkit.compat.check import check_source
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

WriteScript = Callable[..., Path]


@pytest.mark.usefixtures("keras_hook")
def test_keras_ops_and_random_import_every_way() -> None:
    import keras
    from keras import ops
    from keras import random as krandom
    from keras.ops import image, nn
    from keras.ops import numpy as knp

    assert keras.ops.softmax is ops.softmax is nn.softmax
    assert knp.matmul is ops.matmul
    assert image.resize is ops.image.resize
    assert keras.random.normal is krandom.normal is random.normal
    assert keras.ops.numpy.mean(np.ones((2, 2))).item() == 1.0


def test_int_seed_is_stateless_and_seed_generator_moves_on() -> None:
    same = [random.uniform((4,), seed=3) for _ in range(2)]
    assert torch.equal(same[0], same[1])
    gen = random.SeedGenerator(seed=3)
    first, second = random.normal((4,), seed=gen), random.normal((4,), seed=gen)
    assert not torch.equal(first, second)
    again = random.SeedGenerator(seed=3)
    assert torch.equal(random.normal((4,), seed=again), first)
    assert random.SeedGenerator(5).get_config() == {"seed": 5, "name": "seed_generator"}


def test_distributions_have_keras_ranges_shapes_and_dtypes() -> None:
    u = random.uniform((1000,), minval=2.0, maxval=3.0, seed=1)
    assert u.dtype == torch.float32
    assert float(u.min()) >= 2.0
    assert float(u.max()) < 3.0
    n = random.normal((2, 3), mean=5.0, stddev=0.0, seed=1)
    assert n.shape == (2, 3)
    assert torch.equal(n, torch.full((2, 3), 5.0))
    t = random.truncated_normal((2000,), seed=2)
    assert float(t.abs().max()) <= 2.0
    r = random.randint((100,), minval=0, maxval=3, seed=4)
    assert r.dtype == torch.int32
    assert set(r.tolist()) == {0, 1, 2}
    d = random.dropout(np.ones((1000,), "float32"), rate=0.5, seed=1)
    assert set(np.unique(d.numpy()).tolist()) == {0.0, 2.0}
    s = random.shuffle(np.arange(10), seed=1)
    assert sorted(s.tolist()) == list(range(10))
    c = random.categorical(np.array([[0.0, 50.0]], "float32"), 5, seed=1)
    assert c.tolist() == [[1] * 5]
    assert c.dtype == torch.int32


def test_bad_arguments_say_what_to_pass() -> None:
    with pytest.raises(InvalidTypeError, match="`seed` must be an int, a keras"):
        random.normal((2,), seed="one")
    with pytest.raises(InvalidArgumentError, match="`maxval` must be above"):
        random.randint((2,), minval=3, maxval=3)
    with pytest.raises(InvalidArgumentError, match=r"`rate` must be in \[0, 1\)"):
        random.dropout(np.ones(3), rate=1.0)
    with pytest.raises(InvalidArgumentError, match="`dtype` must be a float dtype"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(InvalidArgumentError, match="SeedGenerator: `seed` must be"):
        random.SeedGenerator(seed=1.5)  # type: ignore[arg-type]


def test_check_resolves_keras_ops_names() -> None:
    usages = check_source(
        "import keras\n"
        "from keras import ops\n"
        "ops.softmax(x)\n"
        "keras.ops.image.resize(x, (2, 2))\n"
        "ops.segment_sum(x, ids)\n"
        "keras.random.normal((2,), seed=keras.random.SeedGenerator(1))\n"
    )
    found = {(u.line, u.name): u.supported for u in usages}
    assert found[(2, "keras.ops")] is True
    assert found[(3, "keras.ops.softmax")] is True
    assert found[(4, "keras.ops.image.resize")] is True
    assert found[(5, "keras.ops.segment_sum")] is False
    assert found[(6, "keras.random.normal")] is True
    assert found[(6, "keras.random.SeedGenerator")] is True


def test_script_with_ops_and_random_runs(
    cli: Callable[..., object], write_script: WriteScript
) -> None:
    script = write_script(
        """
        import keras
        from keras import ops
        gen = keras.random.SeedGenerator(seed=1)
        x = keras.random.normal((2, 3), seed=gen)
        print("softmax rows:", ops.convert_to_numpy(ops.sum(ops.softmax(x), axis=-1)))
        """
    )
    result = cli("run", script)
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    assert "softmax rows: [1. 1.]" in result.stdout  # type: ignore[attr-defined]
