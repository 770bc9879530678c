"""``run_layer_test``: one call that checks a layer honours the whole layer contract.

Modelled on Keras' own ``run_layer_test``: build, ``compute_output_shape`` against the
real output (eager and symbolic), dtype, weight counts, ``get_config``/``from_config``
and ``get_weights``/``set_weights`` round trips, and one real training step.

Example:
    >>> from cnnkit import layers
    >>> run_layer_test(layers.Dense, {"units": 3}, input_shape=(2, 4),
    ...                expected_output_shape=(2, 3), expected_num_trainable_weights=2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch

from cnnkit.layers.base.layer import Layer
from cnnkit.layers.input_layer import Input

__all__ = [
    "LayerContractError",
    "run_layer_test",
]

Shape = Sequence[int]


class LayerContractError(AssertionError):
    """A layer broke its contract; the message says which part."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise LayerContractError(message)


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "name"}


def _sample(shape: Shape, dtype: str, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    if dtype.startswith(("int", "uint")):
        return torch.from_numpy(rng.integers(0, 10, size=tuple(shape)).astype(dtype))
    return torch.from_numpy(rng.standard_normal(tuple(shape)).astype(dtype))


def run_layer_test(
    layer_cls: type[Layer],
    init_kwargs: dict[str, Any],
    input_shape: Shape | Sequence[Shape],
    expected_output_shape: Shape | None = None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    input_dtype: str = "float32",
    expected_output_dtype: str | None = "float32",
    run_training_check: bool = True,
    deterministic: bool = True,
) -> None:
    """Check ``layer_cls(**init_kwargs)`` on inputs of ``input_shape``.

    ``input_shape`` includes the batch axis; a list of shapes means a merge layer.
    ``deterministic=False`` skips the checks that compare two forward passes (layers
    that are random at inference, e.g. augmentation layers whose default is training).
    """
    multi = isinstance(input_shape, list)
    # mypy cannot narrow the unions below through the saved `multi`, so each branch
    # casts to the member that `multi` selects.
    shapes: list[tuple[int, ...]] | tuple[int, ...] = (
        [tuple(s) for s in cast("list[Shape]", input_shape)]
        if multi
        else tuple(cast(Shape, input_shape))
    )

    layer = layer_cls(**init_kwargs)
    _check(
        layer.built is layer_cls._built_at_init,
        f"{layer_cls.__name__} must be built at construction exactly when its class "
        f"says so (`_built_at_init`, as in Keras); built={layer.built}",
    )
    config = layer.get_config()
    rebuilt_config = layer_cls.from_config(config).get_config()
    _check(
        _comparable(rebuilt_config) == _comparable(config),
        f"{layer_cls.__name__}: from_config(get_config()) changed the config:\n"
        f"{config}\n!=\n{rebuilt_config}",
    )

    inputs: Any = (
        [
            _sample(s, input_dtype, i)
            for i, s in enumerate(cast("list[tuple[int, ...]]", shapes))
        ]
        if multi
        else _sample(cast("tuple[int, ...]", shapes), input_dtype, 0)
    )
    outputs = layer(inputs)
    _check(layer.built, f"{layer_cls.__name__} must be built after its first call")
    real_shape = tuple(outputs.shape)
    if expected_output_shape is not None:
        _check(
            real_shape == tuple(expected_output_shape),
            f"{layer_cls.__name__}: output shape {real_shape} != expected {tuple(expected_output_shape)}",
        )
    if expected_output_dtype is not None:
        _check(
            str(outputs.dtype) == f"torch.{expected_output_dtype}",
            f"{layer_cls.__name__}: output dtype {outputs.dtype} != {expected_output_dtype}",
        )

    # compute_output_shape, with the batch axis unknown and known.
    none_batch: list[tuple[int | None, ...]] | tuple[int | None, ...] = (
        [(None, *s[1:]) for s in cast("list[tuple[int, ...]]", shapes)]
        if multi
        else (None, *cast("tuple[int, ...]", shapes)[1:])
    )
    predicted = tuple(layer.compute_output_shape(none_batch))
    _check(
        predicted == (None, *real_shape[1:]),
        f"{layer_cls.__name__}: compute_output_shape({none_batch}) = {predicted}, but the "
        f"real output shape is {real_shape}",
    )

    # Symbolic call on a fresh instance gives the same shape.
    fresh = layer_cls(**init_kwargs)
    symbolic_inputs: Any = (
        [
            Input(batch_shape=s, dtype=input_dtype)
            for s in cast("list[tuple[int | None, ...]]", none_batch)
        ]
        if multi
        else Input(
            batch_shape=cast("tuple[int | None, ...]", none_batch), dtype=input_dtype
        )
    )
    symbolic = fresh(symbolic_inputs)
    _check(
        tuple(symbolic.shape) == (None, *real_shape[1:]),
        f"{layer_cls.__name__}: symbolic output shape {symbolic.shape} != {(None, *real_shape[1:])}",
    )

    if expected_num_trainable_weights is not None:
        count = len(layer.trainable_weights)
        _check(
            count == expected_num_trainable_weights,
            f"{layer_cls.__name__}: {count} trainable weights, expected {expected_num_trainable_weights}",
        )
    if expected_num_non_trainable_weights is not None:
        count = len(layer.non_trainable_weights)
        _check(
            count == expected_num_non_trainable_weights,
            f"{layer_cls.__name__}: {count} non-trainable weights, expected "
            f"{expected_num_non_trainable_weights}",
        )

    # get_weights / set_weights round trip: a clone with copied weights agrees.
    fresh.set_weights(layer.get_weights())
    for mine, theirs in zip(layer.get_weights(), fresh.get_weights()):
        _check(
            np.array_equal(mine, theirs),
            f"{layer_cls.__name__}: set_weights did not copy",
        )
    if deterministic:
        again = fresh(inputs)
        _check(
            torch.allclose(outputs, again, atol=1e-6, rtol=1e-6),
            f"{layer_cls.__name__}: a clone with the same weights gave different outputs",
        )

    if run_training_check and layer.trainable_weights:
        _training_step(layer, inputs)


def _training_step(layer: Layer, inputs: Any) -> None:
    """One SGD step: every trainable weight gets a finite gradient and moves."""
    before = [v.numpy() for v in layer.trainable_weights]
    outputs = layer(inputs, training=True)
    loss = outputs.float().square().mean() + sum(layer.losses, torch.zeros(()))
    params = [v.value for v in layer.trainable_weights]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    for variable, grad in zip(layer.trainable_weights, grads):
        _check(grad is not None, f"{variable.path}: no gradient reached this weight")
        _check(
            bool(torch.isfinite(grad).all()), f"{variable.path}: gradient is not finite"
        )
    with torch.no_grad():
        for param, grad in zip(params, grads):
            param.sub_(0.1 * grad)
    after = [v.numpy() for v in layer.trainable_weights]
    moved = any(not np.array_equal(b, a) for b, a in zip(before, after))
    _check(
        moved,
        f"{type(layer).__name__}: no trainable weight changed after a training step",
    )
