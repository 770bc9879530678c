"""Utilities (``cnnkit.utils``), as in ``keras.utils``.

Names are imported on first use, so ``import cnnkit`` stays light and the layer code
can use the internal helpers here without import cycles.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "to_categorical": "numerical_utils",
    "normalize": "numerical_utils",
    "load_img": "image_utils",
    "img_to_array": "image_utils",
    "array_to_img": "image_utils",
    "save_img": "image_utils",
    "load_image_as_input": "digit_image",
    "read_number": "number_reader",
    "NumberReading": "number_reader",
    "DigitReading": "number_reader",
    "image_dataset_from_directory": "dataset_utils",
    "split_dataset": "dataset_utils",
    "PyDataset": "py_dataset",
    "Sequence": "py_dataset",
    "set_random_seed": "rng",
    "plot_model": "model_visualization",
    "model_to_dot": "model_visualization",
    "get_file": "file_utils",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cnnkit.utils' has no attribute {name!r}")
    target = "PyDataset" if name == "Sequence" else name
    value = getattr(importlib.import_module(f"cnnkit.utils.{module}"), target)
    globals()[name] = value
    return value
