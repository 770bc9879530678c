"""Teaching checks of training data, run once before the first step.

Each names what was received, what was expected and the fix, and fires before any deep
torch traceback (KERAS_SPEC §8 pain points #1 and #2).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from cnnkit import activations, losses
from cnnkit.errors import TrainingInputError
from cnnkit.training.compile import output_layers
from cnnkit.utils import tree
from cnnkit.utils.validation import format_shape


def _describe(value: Any) -> str:
    return f"shape {format_shape(tuple(value.shape))}"


def check_not_a_list_of_numbers(value: Any, name: str) -> None:
    """A Python list of numbers would read as one output (or input) per number."""
    if (
        isinstance(value, list | tuple)
        and len(value) > 0
        and all(isinstance(v, numbers.Number | np.generic) for v in value)
    ):
        raise TrainingInputError(
            f"`{name}` is a Python {type(value).__name__} of {len(value)} numbers; a "
            "list stands for several model inputs or outputs. Convert it to one "
            f"array: `{name} = np.asarray({name})`."
        )


def check_arrays(x: Any, y: Any, sample_weight: Any) -> None:
    """Lengths agree, nothing is empty, and float inputs hold no NaN/Inf."""
    flat_x = tree.flatten(x)
    lengths = {int(v.shape[0]) for v in flat_x if v.dim() > 0} if flat_x else set()
    if any(v.dim() == 0 for v in flat_x):
        raise TrainingInputError(
            "`x` contains a 0-d scalar; the first axis of every input must index samples."
        )
    if 0 in lengths:
        raise TrainingInputError(
            "`x` is empty (0 samples). Check the data loading: the arrays must have at "
            "least one sample along the first axis."
        )
    if len(lengths) > 1:
        raise TrainingInputError(
            f"The model inputs have different numbers of samples: {sorted(lengths)}. "
            "Every input array must have the same length along axis 0."
        )
    n = lengths.pop()
    if y is not None:
        for label in tree.flatten(y):
            if label.dim() == 0 or int(label.shape[0]) != n:
                received = 0 if label.dim() == 0 else int(label.shape[0])
                raise TrainingInputError(
                    f"`x` and `y` have different numbers of samples: x has {n} and y has "
                    f"{received} ({_describe(label)}). Give one label per input sample."
                )
    for weights in [] if sample_weight is None else tree.flatten(sample_weight):
        if weights.dim() == 0 or int(weights.shape[0]) != n:
            received = 0 if weights.dim() == 0 else int(weights.shape[0])
            raise TrainingInputError(
                f"`sample_weight` has {received} entries ({_describe(weights)}) but x "
                f"has {n} samples; give one weight per sample."
            )
    for i, value in enumerate(flat_x):
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise TrainingInputError(
                f"Input {i} (x) contains {bad} NaN or infinite value(s). Clean the data "
                "first, e.g. `x = np.nan_to_num(x)` or drop those samples."
            )


def _model_inputs(model: Any, x: Any) -> list[tuple[Any, Any]]:
    """(InputLayer, array) pairs for models whose inputs are declared."""
    input_layers = getattr(model, "_input_layers", None)  # Functional
    if input_layers is not None:
        return list(zip(input_layers, model._flatten_call_inputs(x)))
    input_layer = getattr(model, "_input_layer", None)  # Sequential
    if input_layer is not None and isinstance(x, torch.Tensor):
        return [(input_layer, x)]
    return []


def check_inputs_against_model(model: Any, x: Any) -> None:
    """The data's full shape fits each declared ``Input`` (before any batch runs).

    Allowed, as in Keras: one missing or extra trailing axis of size 1. Anything
    else fails here, with the whole data shape, rather than deep in a layer with
    the shape of one batch.
    """
    for layer, value in _model_inputs(model, x):
        if not isinstance(value, torch.Tensor):
            continue
        expected, shape = layer.batch_shape, tuple(value.shape)
        if len(shape) == len(expected) - 1 and expected[-1] == 1:
            shape = (*shape, 1)  # the model adds the axis; the sizes must still fit
        elif len(shape) == len(expected) + 1 and shape[-1] == 1:
            shape = shape[:-1]
        if len(shape) == len(expected) and all(
            e is None or e == d for e, d in zip(expected[1:], shape[1:])
        ):
            continue
        who = (
            f"Input '{layer.name}' of {type(model).__name__} '{model.name}' expects "
            f"data of shape {format_shape(expected)} ({len(expected)}-D), but `x` "
            f"has shape {format_shape(tuple(value.shape))} ({value.dim()}-D)."
        )
        raise TrainingInputError(f"{who} {_input_fix(expected, shape)}")


def _inner(shape: tuple[Any, ...]) -> str:
    """``(8, 8, 1)`` → ``"8, 8, 1"``, to write a shape inside a call."""
    return ", ".join(str(d) for d in shape)


def _input_fix(expected: tuple[Any, ...], shape: tuple[int, ...]) -> str:
    """The likely cause of an input mismatch and how to fix it."""
    sample, wanted = tuple(shape[1:]), tuple(expected[1:])
    if len(shape) == len(expected) - 1 and len(expected) >= 3:
        channels_last = all(e is None or e == d for e, d in zip(wanted[:-1], sample))
        channels_first = all(e is None or e == d for e, d in zip(wanted[1:], sample))
        if channels_last and wanted[-1] is not None:
            return (
                f"The data has no channel axis (images of shape {sample}), while the "
                f"model expects {wanted[-1]} channels. For grayscale images build the "
                f"model for one channel (`Input(({_inner(sample)}, 1))`); to feed "
                f"{wanted[-1]} channels, repeat the image: "
                f"`x = np.repeat(x[..., None], {wanted[-1]}, axis=-1)`."
            )
        if channels_first and wanted[0] is not None:
            return (
                "The data has no channel axis, while the model (channels_first) "
                f"expects {wanted[0]} channel(s) first: add it with `x = x[:, None]`."
            )
    if not sample:
        return (
            "Each sample of `x` is a single number: give `x` the shape "
            f"(N, {_inner(wanted)}), one row per sample."
        )
    if None not in wanted and int(np.prod(sample)) == int(np.prod(wanted)):
        return (
            "The sizes agree: reshape the data with "
            f"`x = x.reshape((-1, {_inner(wanted)}))`."
        )
    return (
        f"Reshape or resize the data to (N, {_inner(wanted)}), or build the model for "
        f"this data (`Input({sample})`)."
    )


def check_labels_against_outputs(state: Any, y: Any, outputs: Any) -> None:
    """Labels fit the loss and the output size (one-hot vs sparse, range, logits)."""
    flat_y, flat_out = state.flatten_targets(y), tree.flatten(outputs)
    layers = output_layers(state.model)
    for i, (loss, label, out, name) in enumerate(
        zip(state.losses, flat_y, flat_out, state.names)
    ):
        if loss is None:
            continue
        kind = _loss_kind(loss)
        classes = int(out.shape[-1]) if out.dim() > 1 else 1
        if kind == "categorical":
            _check_categorical(label, out, classes, name)
        elif kind == "sparse":
            _check_sparse(label, out, classes, name, loss)
        elif kind == "binary":
            _check_binary(label, name)
        layer = layers[i] if len(layers) == len(state.names) else None
        if layer is not None and _from_logits(loss) and _ends_in_probabilities(layer):
            activation = getattr(layer.activation, "__name__", "softmax")
            raise TrainingInputError(
                f"Output '{name}' ends in a {activation} (layer '{layer.name}'), but "
                f"the loss {loss.name!r} was given `from_logits=True`, which expects "
                "raw scores: the model would apply the activation twice. Either "
                "remove the final activation (e.g. `Dense(10)` without "
                "`activation=`) or use `from_logits=False` (the default)."
            )


def check_loss_and_metrics_run(state: Any, y: Any, outputs: Any) -> None:
    """Run each loss and metric once on a couple of samples.

    A shape clash (``mse`` with labels of 4 columns for an output of 3) otherwise
    surfaces as a raw torch broadcasting error in the middle of the first step.
    Metric state is reset afterwards, so nothing is counted.
    """
    flat_y, flat_out = state.flatten_targets(y), tree.flatten(outputs)
    try:
        for loss, label, out, name in zip(state.losses, flat_y, flat_out, state.names):
            if loss is not None:
                _run_one("loss", loss, label, out, name)
        for groups in (state.metrics, state.weighted):
            for group, label, out, name in zip(groups, flat_y, flat_out, state.names):
                for metric in group:
                    _run_one("metric", metric, label, out, name)
    finally:
        state.reset_metrics()


def _run_one(kind: str, fn: Any, label: Any, out: Any, name: str) -> None:
    label = label[:2]
    try:
        if kind == "loss":
            fn(label, out)
        else:
            fn.update_state(label, out)
    except (RuntimeError, IndexError) as error:
        reason = str(error).splitlines()[0]
        output_shape = format_shape((None, *tuple(out.shape)[1:]))
        fix = (
            "Give labels the output's shape, or change the last layer so that its "
            "output matches the labels."
            if kind == "loss"
            else "Pick a metric that suits these labels (for integer class ids: "
            f"'sparse_categorical_accuracy'), or give metrics per output, e.g. "
            f"`metrics={{'{name}': [...]}}`."
        )
        label_shape = format_shape((None, *tuple(label.shape)[1:]))
        raise TrainingInputError(
            f"The {kind} {fn.name!r} cannot compare the labels for output '{name}', of "
            f"shape {label_shape}, with the output, of shape {output_shape}: {reason}. "
            f"{fix}"
        ) from error


def _loss_kind(loss: Any) -> str | None:
    name = type(loss).__name__
    fn = getattr(getattr(loss, "fn", None), "__name__", "")
    if name == "CategoricalCrossentropy" or fn == "categorical_crossentropy":
        return "categorical"
    if (
        name == "SparseCategoricalCrossentropy"
        or fn == "sparse_categorical_crossentropy"
    ):
        return "sparse"
    if name == "BinaryCrossentropy" or fn == "binary_crossentropy":
        return "binary"
    return None


def _check_binary(label: torch.Tensor, name: str) -> None:
    """Binary cross-entropy needs targets in [0, 1] (0/1 labels or probabilities)."""
    if label.numel() == 0:
        return
    values = label.float()
    low, high = float(values.min()), float(values.max())
    if low >= 0.0 and high <= 1.0:
        return
    raise TrainingInputError(
        f"`binary_crossentropy` expects labels in [0, 1] for output '{name}', but the "
        f"labels span {low:g}..{high:g} ({_describe(label)}). For two classes use "
        "0/1 labels; for more classes use a softmax output with "
        "`loss='sparse_categorical_crossentropy'` (integer ids) or "
        "`'categorical_crossentropy'` (one-hot)."
    )


def _from_logits(loss: Any) -> bool:
    if getattr(loss, "from_logits", False):
        return True
    return bool(getattr(loss, "_fn_kwargs", {}).get("from_logits", False))


def _ends_in_probabilities(layer: Any) -> bool:
    return getattr(layer, "activation", None) in (
        activations.softmax,
        activations.sigmoid,
    )


def _check_categorical(
    label: torch.Tensor, out: torch.Tensor, classes: int, name: str
) -> None:
    if label.dim() == out.dim() - 1 or (
        label.dim() == out.dim() and label.shape[-1] == 1 and classes > 1
    ):
        raise TrainingInputError(
            f"`categorical_crossentropy` expects one-hot labels of shape (N, {classes}) "
            f"for output '{name}', but the labels have {_describe(label)} (integer class "
            "ids). Either one-hot encode them with `y = cnnkit.utils.to_categorical(y, "
            f"{classes})`, or use `loss='sparse_categorical_crossentropy'`."
        )
    if label.shape[-1] != classes:
        raise TrainingInputError(
            f"The labels have {int(label.shape[-1])} columns ({_describe(label)}) but "
            f"output '{name}' has {classes} units (shape "
            f"{format_shape((None, *tuple(out.shape)[1:]))}). Make the last "
            f"Dense layer `Dense({int(label.shape[-1])})`, or encode the labels with "
            f"`to_categorical(y, {classes})`."
        )


def _check_sparse(
    label: torch.Tensor, out: torch.Tensor, classes: int, name: str, loss: Any
) -> None:
    if label.dim() == out.dim() and label.shape[-1] == classes and classes > 1:
        raise TrainingInputError(
            f"`sparse_categorical_crossentropy` expects integer class ids of shape (N,) "
            f"for output '{name}', but the labels look one-hot ({_describe(label)}). "
            "Either use `loss='categorical_crossentropy'`, or turn them into ids with "
            "`y = y.argmax(axis=-1)`."
        )
    try:
        losses.check_sparse_labels(label, classes, getattr(loss, "ignore_class", None))
    except TrainingInputError as error:
        # The loss check cannot know which output it guards: say it here.
        raise TrainingInputError(
            f"Labels `y` for output '{name}' (output shape "
            f"{format_shape((None, *tuple(out.shape)[1:]))}): {error}"
        ) from error
