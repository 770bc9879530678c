"""The options of each saliency method, their defaults and their checks."""

from __future__ import annotations

from typing import Any

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.utils.validation import check_choice, check_positive_int, to_tuple

INTEGRATION_RULES = (
    "gausslegendre",
    "riemann_left",
    "riemann_right",
    "riemann_middle",
    "riemann_trapezoid",
)
# Every method's options with their defaults; `internal_batch_size` bounds how many
# model inputs one forward/backward pass holds.
DEFAULTS: dict[str, dict[str, Any]] = {
    "gradient": {"abs": False, "internal_batch_size": 64},
    "smoothgrad": {
        "abs": False,
        "noise_level": 0.15,
        "samples": 25,
        "seed": None,
        "internal_batch_size": 64,
    },
    "integrated_gradients": {
        "baseline": None,
        "steps": 50,
        "integration": "gausslegendre",
        "internal_batch_size": 64,
    },
    "occlusion": {
        "window": None,
        "stride": None,
        "baseline": 0.0,
        "internal_batch_size": 64,
    },
}


def resolve(method: str, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` checked against ``method``'s options, with the defaults filled in."""
    allowed = DEFAULTS[method]
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        elsewhere = [
            f"`{name}` is an option of {[m for m in DEFAULTS if name in DEFAULTS[m]]}"
            for name in unknown
            if any(name in options for options in DEFAULTS.values())
        ]
        hint = f" ({'; '.join(elsewhere)}.)" if elsewhere else ""
        raise InvalidArgumentError(
            f"saliency(method={method!r}) got unknown option(s) {unknown}. The "
            f"options of {method!r} are {sorted(allowed)}.{hint} Check the spelling, "
            "or choose the method that has the option."
        )
    options = {**allowed, **given}
    check_positive_int(options["internal_batch_size"], "internal_batch_size")
    if "abs" in options and not isinstance(options["abs"], bool):
        raise InvalidTypeError(
            f"`abs` must be True or False; received abs={options['abs']!r}."
        )
    if method == "smoothgrad":
        _check_smoothgrad(options)
    elif method == "integrated_gradients":
        check_choice(options["integration"], INTEGRATION_RULES, "integration")
        check_positive_int(options["steps"], "steps")
        if options["integration"] == "riemann_trapezoid" and options["steps"] < 2:
            raise InvalidArgumentError(
                "`steps` must be at least 2 with integration='riemann_trapezoid' (the "
                f"rule needs both ends of the path); received steps={options['steps']}."
            )
    elif method == "occlusion" and (
        isinstance(options["baseline"], bool)
        or not isinstance(options["baseline"], int | float)
    ):
        raise InvalidTypeError(
            "`baseline` of method='occlusion' is the value that fills the occluded "
            f"window, a number; received baseline={options['baseline']!r}."
        )
    return options


def _check_smoothgrad(options: dict[str, Any]) -> None:
    check_positive_int(options["samples"], "samples")
    level = options["noise_level"]
    if isinstance(level, bool) or not isinstance(level, int | float) or level < 0:
        raise InvalidArgumentError(
            "`noise_level` is the noise's standard deviation as a fraction of each "
            "sample's value range (max - min), a number >= 0 (0.1 to 0.2 works well); "
            f"received noise_level={level!r}."
        )
    seed = options["seed"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidTypeError(
            f"`seed` must be None or an int; received seed={seed!r}."
        )


def window_and_stride(
    options: dict[str, Any], spatial: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Occlusion's window and stride over the spatial axes, defaults resolved.

    The default window is an eighth of each spatial size (at least 1), and the
    default stride half the window, so each position is covered by a few windows.
    """
    rank = len(spatial)
    window = options["window"]
    if window is None:
        window = tuple(max(1, round(size / 8)) for size in spatial)
    window = to_tuple(window, rank, "window")
    too_big = [w > s for w, s in zip(window, spatial)]
    if any(too_big):
        raise InvalidArgumentError(
            f"`window`={window} is larger than the input's spatial size {spatial}; "
            "use a window no larger than the input."
        )
    stride = options["stride"]
    if stride is None:
        stride = tuple(max(1, w // 2) for w in window)
    stride = to_tuple(stride, rank, "stride")
    if any(t > w and w < s for t, w, s in zip(stride, window, spatial)):
        raise InvalidArgumentError(
            f"`stride`={stride} is larger than `window`={window}: the positions "
            "between two windows would never be occluded. Use a stride no larger "
            "than the window."
        )
    return window, stride
