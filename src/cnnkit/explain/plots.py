"""Pictures of the inside of a network: activation maps, filters, Grad-CAM overlays.

Each function returns a ``matplotlib.figure.Figure`` (save it with
``fig.savefig("maps.png")``, or show it in a notebook); matplotlib is needed only
here (the extra ``viz``). 1D, 2D and 3D models all draw: a 1D map is a
(channels x length) strip, a 3D one its middle slice.

Example:
    >>> import numpy as np
    >>> from cnnkit import explain, layers, models
    >>> model = models.Sequential([layers.Input((12, 12, 1)),
    ...                            layers.Conv2D(4, 3, activation="relu"),
    ...                            layers.Flatten(), layers.Dense(3, activation="softmax")])
    >>> x = np.random.default_rng(0).random((2, 12, 12, 1), dtype="float32")
    >>> type(explain.plot_activations(model, x)).__name__
    'Figure'
    >>> len(explain.plot_gradcam(model, x).axes)
    2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.explain import _figure, _target
from cnnkit.explain._i18n import words
from cnnkit.explain.activations import activations
from cnnkit.explain.classification import class_probabilities
from cnnkit.explain.filters import filters
from cnnkit.explain.gradcam import gradcam
from cnnkit.utils.validation import check_positive_int, format_shape

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["draw_heat", "plot_activations", "plot_filters", "plot_gradcam"]


def _first_sample(model: torch.nn.Module, x: Any) -> np.ndarray:
    """``x`` as a batch of one: a lone sample gets its batch axis."""
    array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    rank = _input_rank(model)
    if rank is not None and array.ndim == rank - 1:
        array = array[None]
    return array[:1]


def _input_rank(model: torch.nn.Module) -> int | None:
    shape = getattr(model, "input_shape", None)
    return len(shape) if isinstance(shape, tuple) else None


def _spatial_maps(array: np.ndarray, data_format: str) -> np.ndarray | None:
    """One layer's output for one sample → ``(C, *spatial)``, or ``None`` if flat."""
    if array.ndim < 2:
        return None
    return array if data_format == "channels_first" else np.moveaxis(array, -1, 0)


def _draw_map(ax: Axes, values: np.ndarray) -> None:
    if values.ndim == 3:  # a volume: its middle slice along depth
        values = values[values.shape[0] // 2]
    if values.ndim == 1:
        values = values[None]
    ax.imshow(
        values,
        cmap=_figure.MAP_CMAP,
        aspect="auto" if values.shape[0] == 1 else "equal",
    )
    _figure.hide_ticks(ax)


def plot_activations(
    model: torch.nn.Module,
    x: Any,
    layers: _target.LayerSpec | Sequence[_target.LayerSpec] | None = None,
    *,
    max_channels: int = 16,
    columns: int = 16,
) -> Figure:
    """The feature maps of each layer for one input (the first of ``x``).

    Args:
        model: A cnnkit model or a torch module.
        x: One sample or a batch (its first sample is shown), in the model's layout.
        layers: Layer names; ``None`` shows every layer whose output still has
            spatial axes (convolutions, pooling), in order.
        max_channels: Channels shown per layer (the first ones).
        columns: Maps per row.

    Returns:
        A figure: the input, then one block of maps per layer, titled with the
        layer's name and output shape.

    Raises:
        InvalidArgumentError: No layer to show, or bad ``max_channels``/``columns``.
    """
    max_channels = check_positive_int(max_channels, "max_channels")
    columns = check_positive_int(columns, "columns")
    sample = _first_sample(model, x)
    outputs = activations(model, sample, layers)
    data_format = _target.input_format(model)
    blocks = []
    for key, value in outputs.items():
        layout = _target.output_format(model, _target.find(model, key, "layers"))
        maps = _spatial_maps(value[0], layout)
        if maps is None or (layers is None and maps.ndim < 2):
            continue  # a flat output (Dense, Flatten): nothing spatial to show
        if layers is None and _target.find(model, key, "layers").is_container:
            continue  # a nested model: its own layers are shown instead
        blocks.append((key, value.shape[1:], maps[:max_channels]))
    if not blocks:
        raise InvalidArgumentError(
            "plot_activations found no layer with spatial output (feature maps) in "
            f"{sorted(outputs)}; pass `layers=` the names of convolution or pooling "
            "layers."
        )
    heights = [_figure.grid_shape(len(maps), columns)[0] for _, _, maps in blocks]
    cols = min(columns, max(len(m) for _, _, m in blocks))
    figure = _figure.new_figure(
        1.0 * cols + 0.4, 1.0 * (sum(heights) + 1) + 0.35 * len(blocks) + 0.4
    )
    parts: Any = figure.subfigures(  # always an array here: two or more rows
        len(blocks) + 1, 1, height_ratios=[1.1, *[h + 0.35 for h in heights]]
    )
    _draw_input(parts[0], sample[0], data_format)
    for part, (key, shape, maps), rows in zip(parts[1:], blocks, heights):
        size = " x ".join(str(n) for n in shape)
        part.suptitle(f"{key}  ({size})", fontsize=10, x=0.01, ha="left")
        axes = part.subplots(rows, cols, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i < len(maps):
                _draw_map(ax, maps[i])
            else:
                ax.set_visible(False)
    return figure


def _draw_input(part: Any, sample: np.ndarray, data_format: str) -> None:
    ax = part.subplots(1, 1)
    if sample.ndim == 2:  # 1D: (length, channels) or (channels, length)
        signal = sample if data_format == "channels_last" else sample.T
        ax.plot(signal, linewidth=1)
        ax.set_xlim(0, len(signal) - 1)
        ax.set_yticks([])
    else:
        image = sample
        if sample.ndim == 4:  # a volume: its middle slice
            volume = _figure.channels_last(sample, data_format)
            image = volume[volume.shape[0] // 2]
            data_format = "channels_last"
        picture, cmap = _figure.display_image(image, data_format)
        ax.imshow(picture, cmap=cmap)
        _figure.hide_ticks(ax)
    ax.set_title("input", fontsize=10)


def plot_filters(
    model: torch.nn.Module,
    layer: _target.LayerSpec | None = None,
    *,
    max_filters: int = 64,
    columns: int = 16,
) -> Figure:
    """The kernel of a convolution, one small picture per filter.

    2D kernels with 1 or 3 input channels show as they are (gray-scale weights, or
    an RGB picture); with more input channels each filter shows the mean over
    them. Weights are drawn red (positive) to blue (negative), symmetric around 0 per
    filter, each on its own scale. 1D kernels draw as curves, 3D as their middle
    slice.

    Args:
        model: A cnnkit model or a torch module.
        layer: The convolution's name; ``None`` for the first convolution.
        max_filters: How many filters to draw (the first ones).
        columns: Filters per row.

    Raises:
        InvalidArgumentError: As :func:`cnnkit.explain.filters`, or bad
            ``max_filters``/``columns``.
    """
    max_filters = check_positive_int(max_filters, "max_filters")
    columns = check_positive_int(columns, "columns")
    kernel = filters(model, layer)
    if kernel.ndim < 3:
        raise InvalidArgumentError(
            f"plot_filters draws convolution kernels (kernel_size, in, out); the "
            f"layer {layer!r} has a kernel of shape {format_shape(kernel.shape)}. "
            "Pass a convolution layer, or leave `layer=None` for the first one."
        )
    kernel = kernel[..., :max_filters]
    count = kernel.shape[-1]
    rows, cols = _figure.grid_shape(count, columns)
    figure = _figure.new_figure(0.75 * cols + 0.4, 0.8 * rows + 0.5)
    axes = figure.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= count:
            ax.set_visible(False)
            continue
        # Each filter on its own symmetric scale: one strong filter would leave
        # the others washed out on a shared one, and the pattern is what matters.
        limit = float(np.abs(kernel[..., i]).max()) or 1.0
        _draw_filter(ax, kernel[..., i], limit)
    name = getattr(layer, "name", layer) or "first convolution"
    shape = " x ".join(str(n) for n in kernel.shape[:-1])
    figure.suptitle(f"{name}: {count} filters of {shape}", fontsize=10)
    return figure


def _draw_filter(ax: Axes, weights: np.ndarray, limit: float) -> Any:
    """Draw one filter ``(*k, in)``; returns the image (for the colorbar)."""
    if weights.ndim == 2:  # 1D: (k, in)
        ax.plot(weights.mean(axis=-1), color="#b2182b", linewidth=1.2)
        ax.axhline(0, color="#999", linewidth=0.5)
        ax.set_ylim(-limit, limit)
        _figure.hide_ticks(ax)
        return None
    if weights.ndim == 4:  # 3D: (kd, kh, kw, in) -> middle slice
        weights = weights[weights.shape[0] // 2]
    if weights.shape[-1] == 3:
        ax.imshow((weights / (2 * limit)) + 0.5)  # signed RGB around mid-gray
        _figure.hide_ticks(ax)
        return None
    image = ax.imshow(
        weights.mean(axis=-1), cmap=_figure.FILTER_CMAP, vmin=-limit, vmax=limit
    )
    _figure.hide_ticks(ax)
    return image


def draw_heat(
    ax: Axes,
    sample: np.ndarray,
    heat: np.ndarray,
    data_format: str,
    *,
    alpha: float = 0.6,
) -> None:
    """Draw ``sample`` with its heatmap on top (1D: the curve over a heat band)."""
    if heat.ndim == 1:
        signal = sample if data_format == "channels_last" else sample.T
        low, high = float(signal.min()), float(signal.max())
        pad = 0.05 * (high - low or 1.0)
        ax.imshow(heat[None], extent=(0, len(heat) - 1, low - pad, high + pad),
                  aspect="auto", cmap=_figure.HEAT_CMAP, alpha=0.6, vmin=0, vmax=1)  # fmt: skip
        ax.plot(signal, color="black", linewidth=1)
        ax.set_xlim(0, len(heat) - 1)
        ax.set_yticks([])
        return
    picture, cmap = _figure.display_image(sample, data_format)
    ax.imshow(picture, cmap=cmap)
    # Opacity follows the heat: cold regions leave the image as it is, so a map
    # that is near zero everywhere does not tint the whole picture blue.
    from matplotlib import colormaps

    colors = colormaps[_figure.HEAT_CMAP](np.clip(heat, 0, 1))
    colors[..., 3] = alpha * np.clip(heat, 0, 1) ** 0.5 + 0.1 * (heat > 0.05)
    ax.imshow(colors)
    _figure.hide_ticks(ax)


def plot_gradcam(
    model: torch.nn.Module,
    x: Any,
    class_index: Any = None,
    layer: _target.LayerSpec | None = None,
    *,
    max_images: int = 8,
    class_names: Sequence[str] | None = None,
    lang: str = "en",
) -> Figure:
    """Grad-CAM heatmaps over their inputs, one panel per sample.

    Args:
        model: A classifier (cnnkit model or torch module returning scores).
        x: A batch in the model's layout (the first ``max_images`` are drawn).
        class_index: As :func:`cnnkit.explain.gradcam` (``None``: the predicted
            class of each sample).
        layer: The layer whose maps are weighed; ``None`` picks the last spatial.
        max_images: How many samples to draw.
        class_names: Names for the titles (else class indices).
        lang: ``"en"`` or ``"fr"``, for the titles.

    Returns:
        A figure: 2D inputs with the heatmap on top, 1D signals over a heat band,
        3D volumes as three slices each (one row per sample).

    Raises:
        InvalidArgumentError: As :func:`cnnkit.explain.gradcam`, or a bad
            ``max_images``/``lang``.
    """
    max_images = check_positive_int(max_images, "max_images")
    text = words(lang)
    array = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x)[
        :max_images
    ]
    heat = gradcam(model, array, class_index, layer, normalize=True)
    probs = class_probabilities(model, array)
    predicted = probs.argmax(axis=1)
    data_format = _target.input_format(model)
    volume = heat.ndim == 4
    rows, cols = (len(heat), 3) if volume else _figure.grid_shape(len(heat), 4)
    wide = heat.ndim == 2
    figure = _figure.new_figure(
        cols * (3.2 if wide else 2.0), rows * (1.4 if wide else 2.1)
    )
    axes = figure.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        sample = i // 3 if volume else i
        if sample >= len(heat):
            ax.set_visible(False)
            continue
        name = _figure.class_name(int(predicted[sample]), class_names)
        title = f"{text['pred_short']} {name} ({probs[sample, predicted[sample]]:.0%})"
        if volume:
            _draw_volume_slice(ax, array[sample], heat[sample], data_format, i % 3)
        else:
            draw_heat(ax, array[sample], heat[sample], data_format)
        ax.set_title(title, fontsize=9)
    return figure


def _draw_volume_slice(
    ax: Axes, sample: np.ndarray, heat: np.ndarray, data_format: str, which: int
) -> None:
    volume = _figure.channels_last(sample, data_format)
    depth = _figure.middle_slices(volume.shape[0])
    index = depth[min(which, len(depth) - 1)]
    draw_heat(ax, volume[index], heat[index], "channels_last")
