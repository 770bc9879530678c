"""``model.export("m.onnx", format="onnx")``: an inference graph for other runtimes.

The model runs in inference mode (Dropout off, BatchNormalization on its moving
statistics) and is traced by ``torch.onnx.export``, with the batch axis left
dynamic. Inputs and outputs keep Keras layouts (``(batch, height, width,
channels)``), so the ONNX file takes the same arrays as ``model.predict``. torch's
``torch.export``-based exporter needs the ``onnxscript`` package. The file is
written to a temporary name and renamed, like every cnnkit save.

Example:
    >>> import os, tempfile
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((4,)), cnnkit.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.onnx")
    >>> export_model(model, path, verbose=False)
    >>> import onnxruntime
    >>> session = onnxruntime.InferenceSession(path)
    >>> [(i.name, i.shape) for i in session.get_inputs()]
    [('input_0', ['batch', 4])]
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, NotBuiltError
from cnnkit.layers.base.layer import Layer
from cnnkit.saving._files import atomic_write, path_string
from cnnkit.saving.saved_model import SavedModel, as_saved_model

__all__ = ["export_model"]

_FORMATS = ("onnx",)
_SAMPLE_BATCH = 2  # torch.export specialises sizes 0 and 1, so trace with 2


class _InferenceGraph(torch.nn.Module):
    """The model with ``training=False`` and one positional tensor per input."""

    def __init__(self, model: SavedModel, structure: str) -> None:
        super().__init__()
        self.model = model
        self.structure = structure

    def forward(self, *inputs: torch.Tensor) -> Any:
        if self.structure == "single":
            return self.model(inputs[0], training=False)
        return self.model(list(inputs), training=False)


def _input_shapes(model: SavedModel) -> list[tuple[int | None, ...]]:
    try:
        tensors = model.inputs
    except NotBuiltError as error:
        raise NotBuiltError(
            f"Cannot export {type(model).__name__} '{model.name}': it has no known "
            "input shape. Build it first (start with `cnnkit.Input(shape)` or call "
            "`model.build((None, ...))`)."
        ) from error
    shapes = [tuple(t.shape) for t in tensors]
    for shape in shapes:
        if any(d is None for d in shape[1:]):
            raise InvalidArgumentError(
                f"Cannot export {type(model).__name__} '{model.name}': input shape "
                f"{shape} has unknown sizes besides the batch axis. Give the Input a "
                "full shape, e.g. `cnnkit.Input((28, 28, 1))`."
            )
    return shapes


def _samples(
    model: SavedModel, shapes: list[tuple[int | None, ...]]
) -> tuple[torch.Tensor, ...]:
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    dtypes = [getattr(t, "dtype", "float32") for t in model.inputs]
    return tuple(
        torch.zeros(
            (_SAMPLE_BATCH, *(int(d or 0) for d in shape[1:])),
            dtype=getattr(torch, dtype),
            device=device,
        )
        for shape, dtype in zip(shapes, dtypes)
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' progress prints, log lines and internal warnings."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _export(
    graph: torch.nn.Module,
    samples: tuple[torch.Tensor, ...],
    path: str,
    names: list[str],
    opset_version: int | None,
) -> None:
    batch = torch.export.Dim("batch", min=1)
    with _quiet():
        torch.onnx.export(
            graph, samples, path, dynamo=True, external_data=False,
            input_names=names, output_names=["output_0"],
            # `forward(*inputs)`: the varargs are one tuple argument.
            dynamic_shapes=(tuple({0: batch} for _ in samples),),
            opset_version=opset_version,
        )  # fmt: skip


def _require_exporter() -> None:
    """torch's ONNX exporter needs ``onnxscript`` (and ``onnx``).

    The older TorchScript exporter needs neither, but writes graphs onnxruntime
    rejects for cnnkit's layout permutations, so it is not used.
    """
    missing = [m for m in ("onnxscript", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        raise ModuleNotFoundError(
            f"ONNX export needs the {' and '.join(missing)} package(s), which torch's "
            f"exporter uses: `pip install {' '.join(missing)}` (or install cnnkit's "
            "`dev` extra)."
        )


def export_model(
    model: Layer,
    filepath: Any,
    format: str = "onnx",
    verbose: bool | None = None,
    opset_version: int | None = None,
    **kwargs: Any,
) -> None:
    """Export ``model`` for inference as an ONNX file with a dynamic batch axis.

    Args:
        model: A built cnnkit model with fully known input shapes (except batch).
        filepath: Where to write the ``.onnx`` file.
        format: Only ``"onnx"`` is supported.
        verbose: Print the path when done (Keras' ``export`` does by default).
        opset_version: ONNX opset; the exporter's default when None.
        **kwargs: Not supported (Keras' TF-specific options); raises.

    Raises:
        InvalidArgumentError: For another format, an unknown argument, or an input
            shape with unknown non-batch sizes.
        NotBuiltError: If the model has no known input shape.
        ModuleNotFoundError: If ``onnxscript`` or ``onnx`` is not installed.
    """
    saved = as_saved_model(model, "export")
    path = path_string(filepath)
    if format not in _FORMATS:
        raise InvalidArgumentError(
            f"Unrecognized format={format!r}. cnnkit exports to {list(_FORMATS)}; "
            "TensorFlow formats (SavedModel, TFLite) need TensorFlow."
        )
    if kwargs:
        raise InvalidArgumentError(
            f"export() got unsupported argument(s) {sorted(kwargs)}; it takes "
            "`format`, `verbose` and `opset_version`."
        )
    _require_exporter()
    shapes = _input_shapes(saved)
    structure = "single" if len(shapes) == 1 else "list"
    names = [f"input_{i}" for i in range(len(shapes))]
    was_training = saved.training
    graph = _InferenceGraph(saved, structure).eval()  # the model too
    try:
        with atomic_write(path) as tmp, torch.no_grad():
            _export(graph, _samples(saved, shapes), tmp, names, opset_version)
    finally:
        saved.train(was_training)
    if verbose or verbose is None:
        print(f"Saved artifact at '{path}'.")
