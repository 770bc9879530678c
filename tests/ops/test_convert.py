"""``ops.convert_to_tensor`` keeps the shape of numpy scalars and 0-d arrays."""

from __future__ import annotations

import numpy as np

from cnnkit import ops


def test_numpy_scalars_stay_scalars() -> None:
    assert ops.convert_to_tensor(np.float32(1.5)).shape == ()
    assert ops.convert_to_tensor(np.array(2, dtype="int64")).shape == ()
    assert ops.convert_to_tensor(np.zeros((2, 0))).shape == (2, 0)
