"""Checks on a model config read from a file, before anything is built from it.

A ``config.json`` (or a legacy ``model_config``) is untrusted: nothing stops it
from nesting 100 000 levels deep, putting a list where a layer's ``config`` goes,
or asking for ``Conv2D(filters=10**8)``, which would allocate gigabytes in the
constructor's build before any check ran. These checks run on the parsed JSON
only, so layers built from code keep whatever sizes their author chooses.
"""

from __future__ import annotations

import math
from typing import Any

from cnnkit.errors import FileFormatError
from cnnkit.saving import _limits

__all__ = ["check_depth", "check_model_config"]

# Arguments that count units/channels; each gets its own ceiling (a vocabulary
# may be far larger than a layer is wide).
_COUNT_LIMITS: dict[str, int] = {
    "filters": _limits.MAX_CONFIG_ARG,
    "units": _limits.MAX_CONFIG_ARG,
    "output_dim": _limits.MAX_CONFIG_ARG,
    "depth_multiplier": _limits.MAX_CONFIG_ARG,
    "num_heads": _limits.MAX_CONFIG_ARG,
    "key_dim": _limits.MAX_CONFIG_ARG,
    "value_dim": _limits.MAX_CONFIG_ARG,
    "input_dim": _limits.MAX_TENSOR_ELEMENTS,
}
# Arguments that are spatial sizes: an int or a tuple of ints, each small.
_SIZE_KEYS = ("kernel_size", "pool_size", "strides", "dilation_rate", "size")


def check_depth(data: Any, path: str, what: str) -> None:
    """Refuse JSON nested deeper than ``MAX_JSON_DEPTH`` (checked without
    recursion, so the check itself cannot overflow the stack).

    Raises:
        FileFormatError: If ``data`` nests too deeply.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > _limits.MAX_JSON_DEPTH:
            raise FileFormatError(
                f"{path!r}: {what} nests more than {_limits.MAX_JSON_DEPTH} levels "
                "deep; no model config does, so the file is refused."
            )
        if isinstance(item, dict):
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


def _refuse(path: str, where: str, message: str) -> FileFormatError:
    return FileFormatError(f"{path!r}: at {where} in the model config, {message}")


def _check_shape(entry: dict[str, Any], path: str, where: str) -> None:
    """The envelope of one ``{class_name, config, ...}`` entry."""
    if not isinstance(entry["class_name"], str):
        raise _refuse(
            path,
            where,
            f"'class_name' is {type(entry['class_name']).__name__}, not a string.",
        )
    config = entry.get("config")
    # A function reference (`Lambda`, custom activations) names it by a string.
    is_function_name = entry["class_name"] == "function" and isinstance(config, str)
    if config is not None and not isinstance(config, dict) and not is_function_name:
        raise _refuse(
            path,
            where,
            f"the 'config' of {entry['class_name']!r} is "
            f"{type(config).__name__}, not a JSON object.",
        )
    if not isinstance(config, dict):
        return
    dtype = config.get("dtype")
    if isinstance(dtype, dict) and not isinstance(dtype.get("config", {}), dict):
        raise _refuse(
            path,
            where,
            f"'config.dtype.config' is {type(dtype['config']).__name__}, not a JSON "
            "object like {'name': 'float32'}.",
        )
    if "layers" in config and not isinstance(config["layers"], list):
        raise _refuse(
            path,
            where,
            f"'config.layers' is {type(config['layers']).__name__}, not a list of layers.",
        )
    build = entry.get("build_config")
    if build is not None and not isinstance(build, dict):
        raise _refuse(
            path, where, f"'build_config' is {type(build).__name__}, not an object."
        )
    shape = build.get("input_shape") if isinstance(build, dict) else None
    if shape is not None and not _is_shape(shape):
        raise _refuse(
            path,
            where,
            f"'build_config.input_shape' is {shape!r:.80}, not a shape such as "
            "[null, 28, 28, 1] (a list of sizes and nulls, or of such lists).",
        )


def _is_shape(value: Any, depth: int = 0) -> bool:
    """A shape (``[None, 4]``), or a list of shapes for a multi-input layer."""
    if not isinstance(value, list) or depth > 2:
        return False
    if all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):
        return True
    return all(_is_shape(v, depth + 1) for v in value)


def _ints(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, int) and not isinstance(v, bool)]


def _check_bounds(entry: dict[str, Any], path: str, where: str) -> None:
    """Layer arguments no real model uses, refused before the layer allocates."""
    config = entry.get("config")
    if not isinstance(config, dict):
        return
    layer = f"{entry['class_name']} {config.get('name', '?')!r}"
    for key, limit in _COUNT_LIMITS.items():
        for value in _ints(config.get(key)):
            # Too small is the constructor's to report; too big would allocate.
            if value > limit:
                raise _refuse(
                    path,
                    where,
                    f"layer {layer} has {key}={value}, more than the {limit} cnnkit "
                    "builds from a file. The file is corrupted or hostile.",
                )
    for key in _SIZE_KEYS:
        for value in _ints(config.get(key)):
            if value > _limits.MAX_KERNEL_ARG:
                raise _refuse(
                    path,
                    where,
                    f"layer {layer} has {key}={config[key]}; each size must be "
                    f"at most {_limits.MAX_KERNEL_ARG}.",
                )
    _check_tensor(entry, config, path, where, layer)


def _check_tensor(
    entry: dict[str, Any], config: dict[str, Any], path: str, where: str, layer: str
) -> None:
    """The layer's biggest weight, estimated from its arguments and (when the file
    records one) its input shape."""
    width = next(
        (config[k] for k in ("filters", "units", "output_dim") if k in config), None
    )
    if not _ints(width):
        return
    fan_in = 1
    if "input_dim" in config and _ints(config["input_dim"]):
        fan_in = _ints(config["input_dim"])[0]
    build = entry.get("build_config")
    shape = build.get("input_shape") if isinstance(build, dict) else None
    if isinstance(shape, list) and shape and _ints(shape[-1]):
        fan_in = max(fan_in, _ints(shape[-1])[0])
    kernel = math.prod(_ints(config.get("kernel_size")) or [1])
    elements = fan_in * kernel * _ints(width)[0]
    if elements > _limits.MAX_TENSOR_ELEMENTS or 4 * elements > _limits.MAX_LAYER_BYTES:
        raise _refuse(
            path,
            where,
            f"layer {layer} would need a weight of about {elements} elements "
            f"({4 * elements / 2**30:.1f} GiB); cnnkit refuses to build more than "
            f"{_limits.MAX_LAYER_BYTES >> 30} GiB per layer from a file.",
        )


def check_model_config(config: Any, path: str) -> None:
    """Walk a parsed model config (without recursion) checking every layer entry's
    shape and arguments.

    Raises:
        FileFormatError: Naming ``path`` and where in the config the problem is.
    """
    stack: list[tuple[Any, str]] = [(config, "$")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                _check_shape(item, path, where)
                _check_bounds(item, path, where)
            stack.extend((value, f"{where}.{key}") for key, value in item.items())
        elif isinstance(item, list):
            stack.extend((value, f"{where}[{i}]") for i, value in enumerate(item))
