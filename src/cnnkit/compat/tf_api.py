"""What ``import tensorflow as tf`` gives under ``cnnkit run``: ``tf.keras``, TF's
eager tensor functions on torch tensors (``tf.constant``, ``tf.reduce_mean``,
``tf.math``, ``tf.nn``, ``tf.image``, ``tf.random``, ``tf.linalg``, ``tf.io``),
``tf.GradientTape``, ``tf.data.Dataset``, ``tf.function`` and ``tf.print``.
Any other ``tf.X`` fails with a one-line message that names it.

Example:
    >>> [d.device_type for d in config.list_physical_devices("CPU")]
    ['CPU']
    >>> reduce_mean(constant([1, 2])).item()  # integers: TF's truncated mean
    1
    >>> random.poisson
    Traceback (most recent call last):
    ...
    AttributeError: tf.random.poisson is not available: ...
"""

from __future__ import annotations

import builtins
import functools
import sys
from collections.abc import Callable
from typing import Any

import torch

from cnnkit._version import __version__ as _cnnkit_version

# Without the hook (``resolve_api``, plain imports) ``tf.keras`` is still there.
from cnnkit.compat import keras_api as keras
from cnnkit.compat.hook import tf_unsupported_message
from cnnkit.compat.tf import data, dtypes, image, io, linalg, nn, random
from cnnkit.compat.tf import math as math
from cnnkit.compat.tf.data import TensorSpec
from cnnkit.compat.tf.dtypes import (
    DType,
    as_dtype,
    bfloat16,
    bool,
    cast,
    complex64,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from cnnkit.compat.tf.gradient_tape import GradientTape, UnconnectedGradients
from cnnkit.compat.tf.linalg import matmul, norm
from cnnkit.compat.tf.manipulation import (
    argsort,
    einsum,
    gather_nd,
    meshgrid,
    numpy_function,
    pad,
    py_function,
    repeat,
    roll,
    scatter_nd,
    sequence_mask,
    sort,
    split,
    tensor_scatter_nd_add,
    tensor_scatter_nd_update,
    unique,
)
from cnnkit.compat.tf.math import (
    abs,
    add,
    add_n,
    argmax,
    argmin,
    atan2,
    cos,
    cumsum,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    round,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tanh,
    truediv,
)
from cnnkit.compat.tf.tensor import (
    Tensor,
    Variable,
    boolean_mask,
    broadcast_to,
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    concat,
    constant,
    convert_to_tensor,
    ensure_shape,
    expand_dims,
    eye,
    fill,
    gather,
    identity,
    is_tensor,
    newaxis,
    one_hot,
    ones,
    ones_like,
    range,
    rank,
    reshape,
    reverse,
    shape,
    size,
    squeeze,
    stack,
    tile,
    transpose,
    unstack,
    where,
    zeros,
    zeros_like,
)
from cnnkit.errors import InvalidArgumentError

# `from tensorflow import *` gives exactly these.
__all__ = [
    "DType",
    "GradientTape",
    "PhysicalDevice",
    "Tensor",
    "TensorSpec",
    "UnconnectedGradients",
    "Variable",
    "__version__",
    "abs",
    "add",
    "add_n",
    "argmax",
    "argmin",
    "argsort",
    "as_dtype",
    "atan2",
    "bfloat16",
    "bool",
    "boolean_mask",
    "broadcast_to",
    "cast",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "complex64",
    "concat",
    "config",
    "constant",
    "convert_to_tensor",
    "cos",
    "cumsum",
    "data",
    "divide",
    "double",
    "dtypes",
    "einsum",
    "ensure_shape",
    "equal",
    "exp",
    "expand_dims",
    "eye",
    "fill",
    "float16",
    "float32",
    "float64",
    "function",
    "gather",
    "gather_nd",
    "greater",
    "greater_equal",
    "half",
    "identity",
    "image",
    "int8",
    "int16",
    "int32",
    "int64",
    "io",
    "is_tensor",
    "keras",
    "less",
    "less_equal",
    "linalg",
    "logical_and",
    "logical_not",
    "logical_or",
    "math",
    "matmul",
    "maximum",
    "meshgrid",
    "minimum",
    "multiply",
    "negative",
    "newaxis",
    "nn",
    "norm",
    "not_equal",
    "numpy_function",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "pow",
    "print",
    "py_function",
    "random",
    "range",
    "rank",
    "reduce_all",
    "reduce_any",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
    "repeat",
    "reshape",
    "reverse",
    "roll",
    "round",
    "scatter_nd",
    "sequence_mask",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "size",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "stop_gradient",
    "subtract",
    "tanh",
    "tensor_scatter_nd_add",
    "tensor_scatter_nd_update",
    "tile",
    "transpose",
    "truediv",
    "uint8",
    "unique",
    "unstack",
    "where",
    "zeros",
    "zeros_like",
]  # fmt: skip

# The TensorFlow release whose Keras API (Keras 3, since TF 2.16) cnnkit follows.
__version__ = f"2.16.0+cnnkit.{_cnnkit_version}"

_DEVICE_TYPES = ("CPU", "GPU")


def stop_gradient(input: Any, name: str | None = None) -> torch.Tensor:
    """The same values, with no gradient flowing back through them."""
    return convert_to_tensor(input).detach()


def function(func: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
    """``@tf.function`` / ``@tf.function(jit_compile=True, ...)``: runs eagerly.

    TensorFlow traces the function into a graph for speed; here it runs as written
    (``input_signature``, ``jit_compile``, ``reduce_retracing`` are accepted and
    change nothing), so ``print`` inside it prints at every call, not once.
    """

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def eager(*call_args: Any, **call_kwargs: Any) -> Any:
            return fn(*call_args, **call_kwargs)

        return eager

    if func is None:
        return wrap
    return wrap(func)


def _printable(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()
        return str(array) if array.ndim else str(array.item())
    return str(value)


def print(
    *inputs: Any,
    output_stream: Any = None,
    summarize: int = 3,
    sep: str = " ",
    end: str = "\n",
    name: str | None = None,
) -> None:
    """``tf.print``: tensors as their values, to standard error by default (as TF).

    ``output_stream`` may be ``sys.stdout``, ``sys.stderr`` (the default, looked up
    at each call so that redirections apply) or a ``"file://path"``.
    """
    text = sep.join(_printable(v) for v in inputs) + end
    if isinstance(output_stream, str) and output_stream.startswith("file://"):
        with open(output_stream[len("file://") :], "a", encoding="utf-8") as f:
            f.write(text)
        return
    stream = output_stream if hasattr(output_stream, "write") else sys.stderr
    stream.write(text)


class PhysicalDevice(tuple):
    """``tf.config.PhysicalDevice(name, device_type)``."""

    __slots__ = ()

    def __new__(cls, name: str, device_type: str) -> PhysicalDevice:
        return super().__new__(cls, (name, device_type))

    @property
    def name(self) -> str:
        return str(self[0])

    @property
    def device_type(self) -> str:
        return str(self[1])

    def __repr__(self) -> str:
        return f"PhysicalDevice(name='{self.name}', device_type='{self.device_type}')"


class _Namespace:
    """``tf.config``: the listed members, a teaching error otherwise."""

    def __init__(self, dotted: str, **members: Any) -> None:
        self._dotted = dotted
        self.__dict__.update(members)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(tf_unsupported_message(f"{self._dotted}.{name}"))

    def __repr__(self) -> str:
        return f"<cnnkit stand-in for {self._dotted}>"


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The devices torch can use, described the way TensorFlow does.

    Raises:
        InvalidArgumentError: ``device_type`` is not ``"CPU"`` or ``"GPU"``.
    """
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    devices += [
        PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in builtins.range(gpus)
    ]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        # TensorFlow's Metal plugin lists Apple GPUs as GPU too.
        devices.append(PhysicalDevice(f"/physical_device:GPU:{gpus}", "GPU"))
    if device_type is None:
        return devices
    if not isinstance(device_type, str) or device_type.upper() not in _DEVICE_TYPES:
        raise InvalidArgumentError(
            f"tf.config.list_physical_devices: `device_type` must be one of "
            f"{list(_DEVICE_TYPES)} or None; received device_type={device_type!r}."
        )
    return [d for d in devices if d.device_type == device_type.upper()]


def _set_memory_growth(device: Any, enable: Any) -> None:
    """torch's caching allocator already grows on demand: nothing to change."""


def _run_functions_eagerly(run_eagerly: Any) -> None:
    """Every ``tf.function`` already runs eagerly here."""


config = _Namespace(
    "tensorflow.config",
    list_physical_devices=list_physical_devices,
    PhysicalDevice=PhysicalDevice,
    run_functions_eagerly=_run_functions_eagerly,
    experimental=_Namespace(
        "tensorflow.config.experimental",
        list_physical_devices=list_physical_devices,
        set_memory_growth=_set_memory_growth,
    ),
)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(tf_unsupported_message(f"tensorflow.{name}"), name=name)
