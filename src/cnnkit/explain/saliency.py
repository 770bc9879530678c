"""Saliency maps: how much each input value matters to a class score.

- ``"gradient"`` (Simonyan et al., 2014): the gradient of the score.
- ``"smoothgrad"`` (Smilkov et al., 2017): the gradient averaged over noisy copies.
- ``"integrated_gradients"`` (Sundararajan et al., 2017): ``(x - baseline)`` times
  the gradient averaged along the straight path from the baseline to ``x``; the
  attributions add up to ``score(x) - score(baseline)`` (completeness).
- ``"occlusion"`` (Zeiler and Fergus, 2014): how much the score drops when a window
  of the input is replaced by a baseline value, averaged over the windows covering
  each position.

The score is the class logit: a final softmax is left out (see ``_scores``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.explain import _classes, _occlusion, _options, _scores, _target, _tensors
from cnnkit.utils.validation import check_choice, format_shape

Method = Literal["gradient", "smoothgrad", "integrated_gradients", "occlusion"]
METHODS = tuple(_options.DEFAULTS)


def saliency(
    model: torch.nn.Module,
    x: Any,
    class_index: _classes.ClassIndex = None,
    method: Method = "gradient",
    **options: Any,
) -> np.ndarray:
    """Attribution maps, the shape of ``x``, for one class score per sample.

    Args:
        model: A cnnkit model, or a plain ``torch.nn.Module`` returning class scores.
        x: A batch of inputs in the model's layout (numpy array or tensor).
        class_index: ``None`` (each sample's predicted class on ``x``), an int, or
            one int per sample.
        method: ``"gradient"``, ``"smoothgrad"``, ``"integrated_gradients"`` or
            ``"occlusion"``.
        **options: Depending on ``method`` (unknown ones raise an error):

            - every method: ``internal_batch_size=64``, the most model inputs per
              forward/backward pass (noisy copies, path points and occluded copies
              count one each), which bounds memory.
            - ``"gradient"``: ``abs=False``, the absolute value of the gradient.
            - ``"smoothgrad"``: ``noise_level=0.15``, the noise's standard deviation
              as a fraction of each sample's ``max - min``; ``samples=25`` noisy
              copies; ``seed=None`` (torch's global generator) or an int;
              ``abs=False``, the absolute value of the averaged gradient.
            - ``"integrated_gradients"``: ``baseline=None`` (zeros), a number, or an
              array of one sample's or the batch's shape; ``steps=50``;
              ``integration="gausslegendre"``, or ``"riemann_left"``,
              ``"riemann_right"``, ``"riemann_middle"``, ``"riemann_trapezoid"``.
            - ``"occlusion"``: ``window`` (an int or one per spatial axis; default an
              eighth of each size), ``stride`` (default half the window),
              ``baseline=0.0`` the value that fills the window. The window spans
              all channels.

    Returns:
        A float32 array of the shape of ``x``: positive where the value supports the
        class, negative where it speaks against it (``abs=True`` gives magnitudes).

    Raises:
        InvalidArgumentError: An unknown method or option, a bad option value, or a
            bad ``class_index``.
        InvalidTypeError: ``model``, ``x`` or an option of the wrong type.

    Example:
        >>> import numpy as np
        >>> from cnnkit import explain, layers, models
        >>> model = models.Sequential([layers.Input((6, 6, 1)),
        ...                            layers.Conv2D(2, 3, activation="relu"),
        ...                            layers.Flatten(), layers.Dense(3)])
        >>> x = np.random.default_rng(0).random((2, 6, 6, 1), dtype="float32")
        >>> explain.saliency(model, x, class_index=0).shape
        (2, 6, 6, 1)
        >>> ig = explain.saliency(model, x, method="integrated_gradients", steps=64)
        >>> logits = model(x).detach().numpy()
        >>> gap = logits.max(axis=1) - model(np.zeros_like(x)).detach().numpy()[
        ...     [0, 1], logits.argmax(axis=1)]
        >>> bool(np.allclose(ig.sum(axis=(1, 2, 3)), gap, atol=1e-4))
        True
    """
    model = _target.check_model(model, "saliency")
    check_choice(method, METHODS, "method")
    resolved = _options.resolve(method, options)
    inputs = _tensors.as_input(model, x, min_ndim=3 if method == "occlusion" else 2)
    classes = _predicted(model, inputs, class_index, resolved["internal_batch_size"])
    if method == "occlusion":
        result = _occlusion.occlusion(model, inputs, classes, resolved)
    elif method == "integrated_gradients":
        result = _integrated_gradients(model, inputs, classes, resolved)
    else:
        result = _gradient_family(model, inputs, classes, method, resolved)
    if resolved.get("abs"):
        result = result.abs()
    return _tensors.numpy(result)


def _predicted(
    model: torch.nn.Module, inputs: torch.Tensor, class_index: Any, batch: int
) -> torch.Tensor:
    """The class explained for each sample, fixed on ``x`` itself (not on the noisy
    or interpolated copies, whose predictions may differ)."""
    planned = _classes.plan(class_index, inputs.shape[0])
    picked = []
    with torch.no_grad():
        for rows in _tensors.chunks(inputs.shape[0], batch):
            picked.append(
                _classes.pick(planned, rows, _scores.logits(model, inputs[rows]))
            )
    return torch.cat(picked)


def gradients(
    model: torch.nn.Module, points: torch.Tensor, classes: torch.Tensor, batch: int
) -> torch.Tensor:
    """``d score[classes[i]] / d points[i]`` for every point, ``batch`` at a time."""
    out = torch.empty_like(points)
    for rows in _tensors.chunks(points.shape[0], batch):
        point = points[rows].detach().requires_grad_(True)
        with torch.enable_grad():
            scores = _scores.logits(model, point)
            score = _classes.selected(scores, classes[rows]).sum()
            (gradient,) = torch.autograd.grad(score, point, allow_unused=True)
        out[rows] = 0 if gradient is None else gradient
    return out


def _groups(samples: int, per_sample: int, batch: int) -> list[slice]:
    """Slices of samples whose ``per_sample`` copies together fill about one batch."""
    return list(_tensors.chunks(samples, max(1, batch // per_sample)))


def _gradient_family(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    classes: torch.Tensor,
    method: str,
    options: dict[str, Any],
) -> torch.Tensor:
    batch = options["internal_batch_size"]
    if method == "gradient":
        return gradients(model, inputs, classes, batch)
    copies, level = options["samples"], float(options["noise_level"])
    generator = None
    if options["seed"] is not None:
        generator = torch.Generator(device=inputs.device).manual_seed(options["seed"])
    flat = inputs.flatten(1)
    sigma = level * (flat.max(dim=1).values - flat.min(dim=1).values)  # (N,)
    result = torch.empty_like(inputs)
    for rows in _groups(inputs.shape[0], copies, batch):
        group = inputs[rows]
        # Noise drawn sample by sample, so a seed gives the same maps whatever
        # `internal_batch_size` is.
        noise = torch.stack(
            [
                torch.randn(
                    (copies, *group.shape[1:]),
                    generator=generator,
                    device=inputs.device,
                    dtype=inputs.dtype,
                )
                for _ in range(group.shape[0])
            ]
        )  # (G, copies, *sample) — fmt: skip
        shape = (-1, *[1] * (inputs.dim() - 1))
        noisy = group[:, None] + noise * sigma[rows].view(shape)[:, None]
        grads = gradients(
            model,
            noisy.flatten(0, 1),
            classes[rows].repeat_interleave(copies),
            batch,
        )
        result[rows] = grads.view(noisy.shape).mean(dim=1)
    return result


def path_rule(rule: str, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Points ``alphas`` in [0, 1] along the path and their quadrature ``weights``.

    Example:
        >>> alphas, weights = path_rule("riemann_trapezoid", 3)
        >>> alphas.tolist(), weights.tolist()
        ([0.0, 0.5, 1.0], [0.25, 0.5, 0.25])
    """
    if rule == "gausslegendre":
        nodes, node_weights = np.polynomial.legendre.leggauss(steps)
        # Legendre nodes live on [-1, 1]; map them and their weights to [0, 1].
        return torch.from_numpy((nodes + 1) / 2), torch.from_numpy(node_weights / 2)
    if rule == "riemann_trapezoid":
        alphas = torch.linspace(0, 1, steps, dtype=torch.float64)
        weights = torch.full((steps,), 1 / (steps - 1), dtype=torch.float64)
        weights[0] = weights[-1] = 0.5 / (steps - 1)
        return alphas, weights
    start = {"riemann_left": 0.0, "riemann_middle": 0.5, "riemann_right": 1.0}[rule]
    alphas = (torch.arange(steps, dtype=torch.float64) + start) / steps
    return alphas, torch.full((steps,), 1 / steps, dtype=torch.float64)


def _baseline(value: Any, inputs: torch.Tensor) -> torch.Tensor:
    if value is None:
        return torch.zeros_like(inputs)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return torch.full_like(inputs, float(value))
    tensor = _tensors.as_input(
        torch.nn.Module(), value, min_ndim=0, argument="baseline"
    )
    tensor = tensor.to(device=inputs.device, dtype=inputs.dtype)
    if tuple(tensor.shape) == tuple(inputs.shape[1:]):
        tensor = tensor[None]
    if tensor.dim() != inputs.dim() or tensor.shape[0] not in (1, inputs.shape[0]):
        raise InvalidArgumentError(
            "`baseline` must be a number, one sample of the shape of `x[0]` "
            f"{format_shape(tuple(inputs.shape[1:]))}, or a batch of the shape of `x` "
            f"{format_shape(tuple(inputs.shape))}; received shape "
            f"{format_shape(tuple(tensor.shape))}."
        )
    return tensor.expand_as(inputs)


def _integrated_gradients(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    classes: torch.Tensor,
    options: dict[str, Any],
) -> torch.Tensor:
    batch, steps = options["internal_batch_size"], options["steps"]
    alphas, weights = path_rule(options["integration"], steps)
    alphas = alphas.to(device=inputs.device, dtype=inputs.dtype)
    weights = weights.to(device=inputs.device, dtype=inputs.dtype)
    baseline = _baseline(options["baseline"], inputs)
    result = torch.empty_like(inputs)
    extra = [1] * (inputs.dim() - 1)
    for rows in _groups(inputs.shape[0], steps, batch):
        start, delta = baseline[rows], inputs[rows] - baseline[rows]
        # (G, steps, *sample): the straight path from the baseline to x.
        points = start[:, None] + alphas.view(1, steps, *extra) * delta[:, None]
        grads = gradients(
            model, points.flatten(0, 1), classes[rows].repeat_interleave(steps), batch
        ).view(points.shape)
        result[rows] = delta * (grads * weights.view(1, steps, *extra)).sum(dim=1)
    return result
