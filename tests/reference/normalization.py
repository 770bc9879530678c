"""Slow, obviously correct float64 NumPy references for the normalization layers.

Each function loops over the normalised groups explicitly and applies the textbook
formula ``(x - mean) / sqrt(var + eps) * gamma + beta`` with the *biased* variance
``mean((x - mean) ** 2)`` (KERAS_SPEC §1.7). Arrays are any layout; ``axis`` says
where the channels are.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np


def _biased_moments(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64).ravel()
    mean = values.sum() / values.size
    var = ((values - mean) ** 2).sum() / values.size
    return float(mean), float(var)


def batch_norm_train(
    x: np.ndarray,
    axis: int,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    moving_mean: np.ndarray,
    moving_variance: np.ndarray,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One training-mode call: (output, new moving_mean, new moving_variance)."""
    x = np.asarray(x, dtype=np.float64)
    axis = axis % x.ndim
    out = np.empty_like(x)
    new_mean = np.array(moving_mean, dtype=np.float64)
    new_var = np.array(moving_variance, dtype=np.float64)
    for c in range(x.shape[axis]):
        channel = np.take(x, c, axis=axis)  # every element of channel c
        mean, var = _biased_moments(channel)
        g = 1.0 if gamma is None else float(gamma[c])
        b = 0.0 if beta is None else float(beta[c])
        index = [slice(None)] * x.ndim
        index[axis] = c
        out[tuple(index)] = (channel - mean) / np.sqrt(var + epsilon) * g + b
        new_mean[c] = new_mean[c] * momentum + mean * (1.0 - momentum)
        new_var[c] = new_var[c] * momentum + var * (1.0 - momentum)
    return out, new_mean, new_var


def batch_norm_inference(
    x: np.ndarray,
    axis: int,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    moving_mean: np.ndarray,
    moving_variance: np.ndarray,
    epsilon: float = 1e-3,
) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    axis = axis % x.ndim
    out = np.empty_like(x)
    for c in range(x.shape[axis]):
        index = [slice(None)] * x.ndim
        index[axis] = c
        g = 1.0 if gamma is None else float(gamma[c])
        b = 0.0 if beta is None else float(beta[c])
        std = np.sqrt(float(moving_variance[c]) + epsilon)
        out[tuple(index)] = (x[tuple(index)] - float(moving_mean[c])) / std * g + b
    return out


def layer_norm(
    x: np.ndarray,
    axes: Sequence[int],
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    epsilon: float = 1e-3,
) -> np.ndarray:
    """Normalise over ``axes`` for every index of the other axes.

    ``gamma``/``beta`` have the sizes of ``axes`` (in increasing axis order).
    """
    x = np.asarray(x, dtype=np.float64)
    axes = sorted(a % x.ndim for a in axes)
    others = [a for a in range(x.ndim) if a not in axes]
    out = np.empty_like(x)
    for outer in itertools.product(*(range(x.shape[a]) for a in others)):
        index: list[object] = [slice(None)] * x.ndim
        for a, i in zip(others, outer):
            index[a] = i
        block = x[tuple(index)]  # shape: the sizes of `axes`, in order
        mean, var = _biased_moments(block)
        normalized = (block - mean) / np.sqrt(var + epsilon)
        if gamma is not None:
            normalized = normalized * np.asarray(gamma, dtype=np.float64)
        if beta is not None:
            normalized = normalized + np.asarray(beta, dtype=np.float64)
        out[tuple(index)] = normalized
    return out


def group_norm(
    x: np.ndarray,
    groups: int,
    axis: int,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    epsilon: float = 1e-3,
) -> np.ndarray:
    """Per sample and group: statistics over the group's channels and all positions."""
    x = np.asarray(x, dtype=np.float64)
    axis = axis % x.ndim
    channels = x.shape[axis]
    size = channels // groups
    out = np.empty_like(x)
    for b in range(x.shape[0]):
        for g in range(groups):
            members = range(g * size, (g + 1) * size)
            values = np.concatenate(
                [np.take(x[b], c, axis=axis - 1).ravel() for c in members]
            )
            mean, var = _biased_moments(values)
            for c in members:
                index: list[object] = [slice(None)] * x.ndim
                index[0], index[axis] = b, c
                scale = 1.0 if gamma is None else float(gamma[c])
                shift = 0.0 if beta is None else float(beta[c])
                out[tuple(index)] = (x[tuple(index)] - mean) / np.sqrt(
                    var + epsilon
                ) * scale + shift
    return out
