"""Pictures of how a classifier trained and errs: curves, confusion, mistakes, epochs.

Example:
    >>> from cnnkit import explain
    >>> fig = explain.plot_history({"loss": [1.0, 0.5], "accuracy": [0.6, 0.8]})
    >>> [ax.get_title() for ax in fig.axes]
    ['Loss', 'Accuracy']
    >>> fig = explain.plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["a", "b"])
    >>> fig.axes[0].get_xlabel()
    'Predicted class'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.explain import _figure, _target
from cnnkit.explain._i18n import words
from cnnkit.explain.classification import (
    confusion_matrix,
    labels_of,
    worst_errors,
)
from cnnkit.explain.gradcam import gradcam
from cnnkit.explain.history import load_history
from cnnkit.explain.plots import draw_heat
from cnnkit.saving.training_record import LearningSnapshots
from cnnkit.utils.validation import check_positive_int

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "plot_confusion_matrix",
    "plot_history",
    "plot_learning",
    "plot_worst_errors",
]

_TRAIN, _VALIDATION = "#1f77b4", "#ff7f0e"


def plot_history(history: Any, *, lang: str = "en") -> Figure:
    """Training curves: the loss in one panel, each metric in the next ones.

    Args:
        history: A ``History`` (what ``fit`` returns), a trained or loaded model,
            a dict of lists, or a ``CSVLogger`` CSV path.
        lang: ``"en"`` or ``"fr"``.

    Returns:
        A figure with one panel per quantity (training solid, validation dashed).

    Raises:
        InvalidArgumentError: As :func:`cnnkit.explain.load_history`, or a history
            with no epoch.
    """
    text = words(lang)
    logs = load_history(history)
    names = [k for k in logs if not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in names]
    names.sort(key=lambda k: (k != "loss", k))
    if not names:
        raise InvalidArgumentError(
            "plot_history: the history holds no epoch (no numeric log). Train with "
            "`fit` first, or pass a dict such as {'loss': [0.9, 0.5]}."
        )
    figure = _figure.new_figure(4.2 * len(names), 3.2)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        for key, color, style, label in (
            (name, _TRAIN, "-", text["train"]),
            (f"val_{name}", _VALIDATION, "--", text["validation"]),
        ):
            values = logs.get(key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(
                    epochs,
                    values,
                    style,
                    color=color,
                    marker="o",
                    markersize=3,
                    label=label,
                )
        ax.set_title(text.get(name, name.replace("_", " ").capitalize()))
        ax.set_xlabel(text["epoch"])
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
    return figure


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    *,
    normalize: bool = False,
    lang: str = "en",
) -> Figure:
    """The confusion matrix as a heat map, each cell labelled with its count.

    Args:
        y_true: True labels (indices or one-hot).
        y_pred: Predictions (indices or per-class scores).
        class_names: Tick labels (else class indices).
        normalize: Show each row as shares of the true class instead of counts.
        lang: ``"en"`` or ``"fr"``.

    Raises:
        InvalidArgumentError: As :func:`cnnkit.explain.confusion_matrix`.
    """
    text = words(lang)
    matrix = confusion_matrix(y_true, y_pred)
    k = matrix.shape[0]
    shown = (
        matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        if normalize
        else matrix
    )
    size = min(max(3.0, 0.55 * k + 1.6), 12.0)
    figure = _figure.new_figure(size + 0.8, size)
    ax = figure.subplots()
    # A log-like scale: the diagonal dwarfs the mistakes, which are the interesting part.
    image = ax.imshow(
        np.sqrt(shown / max(float(shown.max()), 1e-12)), cmap="Blues", vmin=0, vmax=1
    )
    del image
    labels = [_figure.class_name(i, class_names) for i in range(k)]
    ax.set_xticks(
        range(k),
        labels,
        rotation=45 if max(map(len, labels)) > 3 else 0,
        ha="right" if max(map(len, labels)) > 3 else "center",
    )
    ax.set_yticks(range(k), labels)
    ax.set_xlabel(text["predicted"])
    ax.set_ylabel(text["true"])
    if k <= 30:
        for i in range(k):
            for j in range(k):
                value = shown[i, j]
                if value:
                    label = f"{value:.2f}" if normalize else str(int(value))
                    dark = np.sqrt(value / shown.max()) > 0.55
                    ax.text(
                        j,
                        i,
                        label,
                        ha="center",
                        va="center",
                        fontsize=8 if k <= 12 else 6,
                        color="white" if dark else "black",
                    )
    ax.set_title(text["confusion"])
    return figure


def plot_worst_errors(
    model: torch.nn.Module,
    x: Any,
    y: Any,
    n: int = 9,
    class_names: Sequence[str] | None = None,
    *,
    probabilities: Any = None,
    lang: str = "en",
) -> Figure:
    """The ``n`` most confident mistakes, each with its Grad-CAM heat map on top.

    Each title reads ``true: 4 → answer: 9 (97%)``; the heat map is Grad-CAM for
    the class the model (wrongly) chose: where it saw that class.

    Args:
        model: The classifier.
        x: Test inputs in the model's layout.
        y: Their true labels.
        n: How many mistakes to show.
        class_names: Names for the titles.
        probabilities: The model's outputs on ``x``, if already computed.
        lang: ``"en"`` or ``"fr"``.

    Raises:
        InvalidArgumentError: As :func:`cnnkit.explain.worst_errors`, or a model
            that makes no mistake on ``x`` (nothing to draw).
    """
    text = words(lang)
    n = check_positive_int(n, "n")
    mistakes = worst_errors(model, x, y, n, probabilities=probabilities)
    if not mistakes.indices.size:
        raise InvalidArgumentError(
            f"plot_worst_errors: the model classifies all {len(labels_of(y, 'y'))} "
            "samples correctly, so there is no mistake to show. Pass harder (or "
            "more) samples."
        )
    array = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x)
    chosen = array[mistakes.indices]
    heat = gradcam(model, chosen, class_index=mistakes.predicted, normalize=True)
    data_format = _target.input_format(model)
    if heat.ndim == 4:  # volumes: the middle slice of each
        middle = heat.shape[1] // 2
        chosen = np.stack(
            [_figure.channels_last(c, data_format)[middle] for c in chosen]
        )
        heat, data_format = heat[:, middle], "channels_last"
    wide = heat.ndim == 2
    rows, cols = _figure.grid_shape(len(heat), 3 if wide else 5)
    figure = _figure.new_figure(
        cols * (3.4 if wide else 2.0), rows * (1.5 if wide else 2.25)
    )
    axes = figure.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(heat):
            ax.set_visible(False)
            continue
        draw_heat(ax, chosen[i], heat[i], data_format)
        true = _figure.class_name(int(mistakes.true[i]), class_names)
        guess = _figure.class_name(int(mistakes.predicted[i]), class_names)
        ax.set_title(
            f"{text['true_short']} {true}\n"
            f"{text['pred_short']} {guess} ({mistakes.confidence[i]:.0%})",
            fontsize=8.5,
        )
    return figure


def plot_learning(source: Any, *, max_channels: int = 8, lang: str = "en") -> Figure:
    """The strip recorded by ``WatchLearning``: one row per epoch.

    Each row shows the watched convolution's first filters at the end of that
    epoch and, if a probe image was given, its feature maps for the probe.

    Args:
        source: A model trained with ``callbacks.WatchLearning`` (or loaded from
            such a file), or its ``learning_snapshots``.
        max_channels: Filters (and maps) per row.
        lang: ``"en"`` or ``"fr"``.

    Raises:
        InvalidTypeError: ``source`` carries no snapshots.
    """
    text = words(lang)
    snaps = getattr(source, "learning_snapshots", source)
    if not isinstance(snaps, LearningSnapshots) or not snaps.epochs:
        raise InvalidTypeError(
            "plot_learning needs the snapshots that `callbacks.WatchLearning` records; "
            f"received {type(source).__name__} without any. Train with "
            "`model.fit(..., callbacks=[cnnkit.callbacks.WatchLearning(probe=x[0])])`."
        )
    count = min(max_channels, snaps.filters[0].shape[-1])
    maps = bool(snaps.activations)
    cols = count * (2 if maps else 1) + (1 if maps else 0)
    rows = len(snaps.epochs)
    figure = _figure.new_figure(0.62 * cols + 0.9, 0.66 * rows + 0.7)
    axes = figure.subplots(rows, cols, squeeze=False)
    # One scale per filter, shared by the epochs: the filter's change shows.
    limits = np.max(
        [np.abs(f[..., :count]).reshape(-1, count).max(0) for f in snaps.filters],
        axis=0,
    )
    for row, epoch in enumerate(snaps.epochs):
        axes[row, 0].set_ylabel(
            f"{text['epoch']} {epoch + 1}",
            fontsize=8,
            rotation=0,
            ha="right",
            va="center",
        )
        for j in range(count):
            _draw_small(
                axes[row, j],
                snaps.filters[row][..., j],
                _figure.FILTER_CMAP,
                float(limits[j]) or 1.0,
            )
        if maps:
            axes[row, count].set_visible(False)  # a gap between the two halves
            for j in range(count):
                _draw_small(
                    axes[row, count + 1 + j],
                    snaps.activations[row][..., j],
                    _figure.MAP_CMAP,
                    None,
                )
    axes[0, 0].set_title(text["filters_word"], fontsize=9, loc="left")
    if maps:
        axes[0, count + 1].set_title(text["maps_word"], fontsize=9, loc="left")
    return figure


def _draw_small(ax: Any, values: np.ndarray, cmap: str, limit: float | None) -> None:
    """A filter ``(*k, in)`` or a map ``(*spatial)`` as a tiny picture."""
    values = np.asarray(values, dtype=np.float64)
    if limit is not None:  # a filter: mean over input channels
        values = values.mean(axis=-1) if values.ndim >= 2 else values
    if values.ndim == 3:
        values = values[values.shape[0] // 2]
    if values.ndim == 1:
        values = values[None]
    bounds = {"vmin": -limit, "vmax": limit} if limit is not None else {}
    ax.imshow(
        values, cmap=cmap, aspect="auto" if values.shape[0] == 1 else "equal", **bounds
    )
    ax.set_xticks([])
    ax.set_yticks([])
