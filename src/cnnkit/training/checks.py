"""Teaching checks of training data, run once before the first step.

Each names what was received, what was expected and the fix, and fires before any deep
torch traceback (KERAS_SPEC §8 pain points #1 and #2).
"""

from __future__ import annotations

import numbers
import os
import sys
import warnings
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cnnkit import activations, config, losses
from cnnkit.errors import DoctorWarning, TrainingInputError
from cnnkit.layers.activations.softmax import Softmax
from cnnkit.training.compile import output_layers
from cnnkit.utils import tree
from cnnkit.utils.validation import format_shape, missing_batch_axis_hint

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


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
                    + _one_sample_hint(flat_x, received)
                )
        flat_y = tree.flatten(y)
        for i, label in enumerate(flat_y):
            check_finite_labels(label, "`y`" if len(flat_y) == 1 else f"`y` ({i})")
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


def _one_sample_hint(flat_x: list[Any], labels: int) -> str:
    """One label for an ``x`` of many "samples": probably one image without batch axis."""
    if labels != 1 or len(flat_x) != 1 or flat_x[0].dim() < 2:
        return ""
    return (
        f" If `x` (shape {format_shape(tuple(flat_x[0].shape))}) is a single sample, "
        "add the batch axis: `x = x[None]` or `x = np.expand_dims(x, 0)`."
    )


def check_finite_labels(label: Any, name: str) -> None:
    """NaN (or infinite) labels fail before training, with how many and where.

    An error rather than a warning: the loss of any batch holding such a label is
    NaN, and the first gradient step with it turns every weight into NaN, so the
    run cannot produce anything useful (nor can ``evaluate`` report a loss).
    """
    if not isinstance(label, torch.Tensor) or not label.is_floating_point():
        return
    if label.numel() == 0 or bool(torch.isfinite(label).all()):
        return
    bad = torch.isnan(label)
    kind = "NaN"
    if not bool(bad.any()):
        bad, kind = torch.isinf(label), "infinite"
    first = [int(i) for i in torch.nonzero(bad)[0].tolist()]
    where = (
        f"index {first[0]}" if len(first) == 1 else f"y[{', '.join(map(str, first))}]"
    )
    keep = (
        "np.isfinite(y)"
        if label.dim() == 1
        else "np.isfinite(y).reshape(len(y), -1).all(axis=1)"
    )
    raise TrainingInputError(
        f"{name} contains {int(bad.sum())} {kind} label value(s) ({_describe(label)}); "
        f"the first is at {where} (sample {first[0]}). A {kind} label makes the loss "
        f"{kind}, and the first training step that sees it turns every weight into "
        f"NaN. Drop those samples (`keep = {keep}`, then `x, y = x[keep], y[keep]`) "
        "or replace them with real labels."
    )


def _model_inputs(model: Trainer, x: Any) -> list[tuple[Any, Any]]:
    """(InputLayer, array) pairs for models whose inputs are declared."""
    input_layers = getattr(model, "_input_layers", None)  # Functional
    if input_layers is not None:
        flatten = getattr(model, "_flatten_call_inputs")  # noqa: B009 (Functional only)
        return list(zip(input_layers, flatten(x)))
    input_layer = getattr(model, "_input_layer", None)  # Sequential
    if input_layer is not None and isinstance(x, torch.Tensor):
        return [(input_layer, x)]
    return []


def check_inputs_against_model(model: Trainer, x: Any) -> None:
    """The data's full shape fits each declared ``Input`` (before any batch runs).

    Allowed, as in Keras: one missing or extra trailing axis of size 1. Anything
    else fails here, with the whole data shape, rather than deep in a layer with
    the shape of one batch: one sample without its batch axis, images with the
    wrong number of channels, data of the wrong size.
    """
    for layer, value in _model_inputs(model, x):
        if not isinstance(value, torch.Tensor) or value.dim() == 0:
            continue  # a 0-d scalar: `check_arrays` explains it
        expected, shape = layer.batch_shape, tuple(value.shape)
        one_sample = missing_batch_axis_hint(shape, expected)
        if one_sample is not None:
            raise TrainingInputError(
                f"{_input_intro(model, layer, value)} {one_sample}"
            )
        if len(shape) == len(expected) - 1 and expected[-1] == 1:
            shape = (*shape, 1)  # the model adds the axis; the sizes must still fit
            _note_added_channel_axis(model, layer.name, tuple(value.shape), expected)
        elif len(shape) == len(expected) + 1 and shape[-1] == 1:
            shape = shape[:-1]
        if len(shape) == len(expected) and all(
            e is None or e == d for e, d in zip(expected[1:], shape[1:])
        ):
            continue
        fix = _channel_fix(expected, shape, _data_format(model))
        intro = _input_intro(model, layer, value)
        raise TrainingInputError(f"{intro} {fix or _input_fix(expected, shape)}")


def _input_intro(model: Trainer, layer: Any, value: torch.Tensor) -> str:
    """The first sentence of an input-shape error (built only to fail: the check
    runs on every predict call)."""
    expected = layer.batch_shape
    return (
        f"Input '{layer.name}' of {type(model).__name__} '{model.name}' expects "
        f"data of shape {format_shape(expected)} ({len(expected)}-D), but `x` "
        f"has shape {format_shape(tuple(value.shape))} ({value.dim()}-D)."
    )


# Models already told that their data lacked the channel axis: the note is said once.
_TOLD_CHANNEL_AXIS: weakref.WeakSet[Any] = weakref.WeakSet()


def _note_added_channel_axis(
    model: Trainer, input_name: str, shape: tuple[int, ...], expected: Any
) -> None:
    """Keras (and cnnkit) add a missing trailing axis of size 1 without a word; a
    learner who left it out of ``reshape`` deserves to know it happened, once."""
    if model in _TOLD_CHANNEL_AXIS or not config.doctor_enabled():
        return
    _TOLD_CHANNEL_AXIS.add(model)
    full = (*shape, 1)
    warnings.warn(
        f"Input '{input_name}' of {type(model).__name__} '{model.name}' expects "
        f"{format_shape(expected)}; the data has shape {format_shape(shape)}, so "
        "cnnkit added the last axis of size 1 (the channel axis of grayscale "
        "images), as Keras does. To give the model exactly what it sees, reshape "
        f"the data yourself: `x.reshape({full})` or `x[..., None]`. (Said once per "
        "model; cnnkit.config.set_doctor(False) silences the doctor.)",
        DoctorWarning,
        stacklevel=_user_stacklevel(),
    )


def _data_format(model: Trainer) -> str:
    """The image layout of the model's first layer that has one (else the default)."""
    for layer in _leaf_layers(model):
        data_format = getattr(layer, "data_format", None)
        if data_format in ("channels_last", "channels_first"):
            return str(data_format)
    return config.image_data_format()


def _leaf_layers(model: Trainer) -> Iterator[Any]:
    """The layers of a model in order, nested models opened up."""
    for layer in getattr(model, "layers", None) or []:
        if getattr(layer, "layers", None) is not None:
            yield from _leaf_layers(layer)
        else:
            yield layer


def _channel_fix(
    expected: tuple[Any, ...], shape: tuple[int, ...], data_format: str
) -> str | None:
    """Images whose channel count is not the model's: name the axis and the fix.

    Only for images and volumes (4-D data or more): in 3-D data the last axis may
    as well be the width of grayscale images fed to a Flatten.
    """
    if len(shape) < 4 or len(shape) != len(expected):
        return None
    last = data_format == "channels_last"
    axis = -1 if last else 1
    pos = axis % len(shape)
    want, got = expected[pos], shape[pos]
    others = [
        (e, d) for i, (e, d) in enumerate(zip(expected, shape)) if i not in (0, pos)
    ]
    if want is None or want == got or not all(e is None or e == d for e, d in others):
        return _transposed_fix(expected, shape, last)
    sample = tuple(shape[1:])
    where = f"axis {axis}, the channel axis ({data_format})"
    head = f"The images have {got} channel(s) on {where}, but the model expects {want}."
    build = f"build the model for {got} channels: `input_shape={format_shape(sample)}`"
    take = "x[..., {}]" if last else "x[:, {}]"
    if got == 0:
        return (
            f"{head} That axis is empty, so the data holds no pixel values at all: "
            "check the slicing or loading that made `x` (a slice such as "
            f"`{take.format('1:')}` of 1-channel images leaves 0 channels)."
        )
    if want == 1 and got in (3, 4):
        rgb = "" if got == 3 else take.format(":3") + "."
        mean = f"{rgb or 'x.'}mean(axis={axis}, keepdims=True)"
        return (
            f"{head} Convert the images to grayscale, e.g. `x = {mean}` (or load "
            "them with `cnnkit.utils.load_img(path, color_mode='grayscale')`), or "
            f"{build}."
        )
    if want == 3 and got == 1:
        return (
            f"{head} Repeat the gray channel: `x = np.repeat(x, 3, axis={axis})` (or "
            "load the images with `color_mode='rgb'`), or "
            f"{build}."
        )
    if want == 3 and got == 4:
        return f"{head} Drop the alpha channel: `x = {take.format(':3')}`, or {build}."
    return f"{head} Give the data {want} channel(s), or {build}."


def _transposed_fix(
    expected: tuple[Any, ...], shape: tuple[int, ...], last: bool
) -> str | None:
    """Channels-first data for a channels-last model (or the reverse)."""
    if len(shape) < 4 or len(shape) != len(expected):
        return None
    moved = (
        (shape[0], *shape[2:], shape[1])
        if last
        else (shape[0], shape[-1], *shape[1:-1])
    )
    if not all(e is None or e == d for e, d in zip(expected[1:], moved[1:])):
        return None
    if last:
        return (
            "The data looks channels_first (channels on axis 1) but the model is "
            "channels_last (channels on axis -1): move the axis with "
            "`x = np.moveaxis(x, 1, -1)`, or build the model with "
            "`data_format='channels_first'`."
        )
    return (
        "The data looks channels_last (channels on axis -1) but the model is "
        "channels_first (channels on axis 1): move the axis with "
        "`x = np.moveaxis(x, -1, 1)`, or build the model with "
        "`data_format='channels_last'`."
    )


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


# Layers that rescale or normalise what they receive (or read it as ids): a model
# that starts with one may be fed raw 0-255 pixels.
_TAKES_RAW_INPUT = frozenset(
    {
        "Rescaling",
        "Normalization",
        "Lambda",
        "BatchNormalization",
        "LayerNormalization",
        "GroupNormalization",
        "UnitNormalization",
        "Embedding",
    }
)


def _takes_raw_input(model: Trainer) -> bool:
    """Whether ``model`` may scale its own input (so raw pixels can be right).

    Only Sequential and functional models are read: the layers before the first one
    with weights are searched for a rescaling or normalisation layer. A model without
    weights (augmentation only) learns nothing, so any scale is fine; a subclassed
    model's ``call`` may do anything, so it is trusted.
    """
    if not hasattr(model, "_input_layers") and not hasattr(model, "_input_layer"):
        return True
    for layer in _leaf_layers(model):
        if any(cls.__name__ in _TAKES_RAW_INPUT for cls in type(layer).__mro__):
            return True
        if any(True for _ in layer.parameters()):
            return False
    return True


def warn_if_unscaled_images(model: Trainer, x: Any) -> None:
    """Warn once if a batch of images holds raw 0-255 pixel values.

    Called on the first batch only (one host read, never per step). The rule:
    image-like data (3-D or more, or uint8 of any rank), no negative value and a
    maximum above 1.5, for a model that does not rescale its input itself.
    """
    flat = [v for v in tree.flatten(x) if isinstance(v, torch.Tensor) and v.numel()]
    images = [
        v
        for v in flat
        if v.dtype == torch.uint8
        or (v.dim() >= 3 and v.dtype != torch.bool and not v.is_complex())
    ]
    if not images or not config.doctor_enabled():
        return
    for value in images:
        # The maximum first: scaled data (the usual case, checked on every
        # `predict`) is settled by one reduction and one host read.
        high = float(value.max())
        if high <= 1.5:
            continue
        # The model's layers are read only for data that looks raw (a walk of the
        # model costs more than the min/max of a small batch).
        if not float(value.min()) >= 0.0 or _takes_raw_input(model):
            continue
        if high <= 255:
            fix = "as the tutorials do: `x = x.astype('float32') / 255`"
        else:
            fix = (
                "e.g. `x = x.astype('float32') / 65535` for 16-bit images, or "
                "`x = x / x.max()`"
            )
        warnings.warn(
            f"The input images go up to {high:.4g} (dtype "
            f"{str(value.dtype).replace('torch.', '')}, first batch of shape "
            f"{format_shape(tuple(value.shape))}): these look like raw pixel values, "
            "while networks train well on values in [0, 1]. Divide them by the "
            f"largest possible value, {fix}; or start the model with "
            "`layers.Rescaling(1.0 / 255)`.",
            DoctorWarning,
            stacklevel=_user_stacklevel(),
        )
        return


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the user's line (out of cnnkit)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(root):
        frame, level = frame.f_back, level + 1
    return level


def check_labels_against_outputs(state: Any, y: Any, outputs: Any) -> None:
    """Labels fit the loss and the output size (one-hot vs sparse, range, logits)."""
    flat_y, flat_out = state.flatten_targets(y), tree.flatten(outputs)
    layers = output_layers(state.model)
    for i, (loss, label, out, name) in enumerate(
        zip(state.losses, flat_y, flat_out, state.names)
    ):
        if loss is None:
            continue
        # Arrays were checked whole by `check_arrays`; this covers a dataset's first
        # batch.
        check_finite_labels(label, f"`y` for output '{name}'")
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
            activation = getattr(
                getattr(layer, "activation", None), "__name__", "softmax"
            )
            raise TrainingInputError(
                f"Output '{name}' ends in a {activation} (layer '{layer.name}'), but "
                f"the loss {loss.name!r} was given `from_logits=True`, which expects "
                "raw scores: the model would apply the activation twice. Either "
                "remove the final activation (e.g. `Dense(10)` without "
                "`activation=`) or use `from_logits=False` (the default)."
            )


def check_loss_and_metrics_run(
    state: Any, y: Any, outputs: Any, losses: bool = True
) -> None:
    """Run each loss (unless ``losses`` is False) and metric once on a couple of
    samples.

    A shape clash (``mse`` with labels of 4 columns for an output of 3) otherwise
    surfaces as a raw torch broadcasting error in the middle of the first step.
    Metric state is reset afterwards, so nothing is counted.
    """
    flat_y, flat_out = state.flatten_targets(y), tree.flatten(outputs)
    try:
        for loss, label, out, name in zip(state.losses, flat_y, flat_out, state.names):
            if loss is not None and losses:
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
    return isinstance(layer, Softmax) or getattr(layer, "activation", None) in (
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
