"""Teaching checks of training data, run once before the first step.

Each names what was received, what was expected and the fix, and fires before any deep
torch traceback (KERAS_SPEC §8 pain points #1 and #2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cnnkit import activations, losses
from cnnkit.errors import TrainingInputError
from cnnkit.utils import tree
from cnnkit.utils.validation import format_shape


def _describe(value: Any) -> str:
    return f"shape {format_shape(tuple(value.shape))}"


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
    if sample_weight is not None and int(sample_weight.shape[0]) != n:
        raise TrainingInputError(
            f"`sample_weight` has {int(sample_weight.shape[0])} entries but x has {n} "
            "samples; give one weight per sample."
        )
    for i, value in enumerate(flat_x):
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise TrainingInputError(
                f"Input {i} (x) contains {bad} NaN or infinite value(s). Clean the data "
                "first, e.g. `x = np.nan_to_num(x)` or drop those samples."
            )


def check_labels_against_outputs(state: Any, y: Any, outputs: Any) -> None:
    """Labels fit the loss and the output size (one-hot vs sparse, range, logits)."""
    flat_y, flat_out = tree.flatten(y), tree.flatten(outputs)
    for loss, label, out, name in zip(state.losses, flat_y, flat_out, state.names):
        if loss is None:
            continue
        kind = _loss_kind(loss)
        classes = int(out.shape[-1]) if out.dim() > 1 else 1
        if kind == "categorical":
            _check_categorical(label, out, classes, name)
        elif kind == "sparse":
            _check_sparse(label, out, classes, name, loss)
        if _from_logits(loss) and _ends_in_probabilities(state):
            raise TrainingInputError(
                f"Output '{name}' ends in a softmax/sigmoid, but the loss was given "
                "`from_logits=True`, which expects raw scores: the model would apply the "
                "activation twice. Either remove the final activation "
                "(`Dense(10)`) or use `from_logits=False` (the default)."
            )


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
    return None


def _from_logits(loss: Any) -> bool:
    if getattr(loss, "from_logits", False):
        return True
    return bool(getattr(loss, "_fn_kwargs", {}).get("from_logits", False))


def _ends_in_probabilities(state: Any) -> bool:
    from cnnkit.training.compile import final_softmax_layer

    layer = final_softmax_layer(state.model)
    if layer is not None:
        return True
    layers = getattr(state.model, "layers", [])
    last = layers[-1] if layers else None
    return getattr(last, "activation", None) is activations.sigmoid


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
            f"output '{name}' has {classes} units ({_describe(out)}). Make the last "
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
    losses.check_sparse_labels(label, classes, getattr(loss, "ignore_class", None))


def first_samples(structure: Any, count: int = 2) -> Any:
    return tree.map_structure(lambda t: t[:count], structure)


def describe_nan_loss(step: int) -> str:
    return (
        f"The loss became NaN at step {step}. Common causes: a learning rate that is too "
        "high, unnormalised inputs (divide pixels by 255), or NaN in the labels."
    )


def as_numpy(value: Any) -> np.ndarray:
    return (
        value.detach().cpu().numpy()
        if isinstance(value, torch.Tensor)
        else np.asarray(value)
    )
