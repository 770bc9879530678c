"""The ``Optimizer`` base class: Keras 3 arguments and step order, on torch tensors.

One ``apply`` call does what Keras' does, in the same order: drop parameters whose
gradient is None, unscale by ``loss_scale_factor``, (accumulate,) clip, apply decoupled
weight decay ``w *= 1 - weight_decay * lr``, run the optimizer's own update, update the
EMA of the weights, then count the step. Subclasses only declare their slot variables
(``_slot_groups``) and write the update (``_update``) with ``torch._foreach_*`` ops.

The step counter and the learning rate live on the host as Python numbers, so a step
never reads a value back from the GPU, and a schedule is plain Python arithmetic.

Example:
    >>> import torch
    >>> from cnnkit.optimizers import SGD
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> opt = SGD(learning_rate=0.5)
    >>> opt.apply([torch.tensor([1.0, 1.0])], [w])
    >>> w.tolist(), opt.iterations
    ([0.5, 1.5], 1)
"""

from __future__ import annotations

import abc
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from cnnkit import config as _config
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError
from cnnkit.naming import auto_name
from cnnkit.optimizers import _args, _gradients
from cnnkit.optimizers import schedules as _schedules
from cnnkit.optimizers._args import LearningRate
from cnnkit.optimizers._state import OptimizerState, unwrap_variables
from cnnkit.optimizers._values import LearningRateValue

__all__ = ["Optimizer"]


_BASE_DEFAULTS: dict[str, Any] = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class Optimizer(OptimizerState, abc.ABC):
    """Base class of every cnnkit optimizer (Keras' ``keras.optimizers.Optimizer``).

    Args:
        learning_rate: A float (stored as float32, as Keras does), a
            ``LearningRateSchedule`` evaluated at the step counter, or a zero-argument
            callable returning a float.
        weight_decay: If set, decoupled weight decay ``w -= w * weight_decay * lr``
            before each update (see ``exclude_from_weight_decay``).
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this joint L2 norm. At most
            one of the three clipping arguments may be set.
        use_ema: Keep an exponential moving average of the weights.
        ema_momentum: EMA decay, in ``[0, 1]``.
        ema_overwrite_frequency: Copy the EMA into the weights every this many steps;
            None leaves that to ``finalize_variable_values``.
        loss_scale_factor: Gradients are divided by it (see ``scale_loss``).
        gradient_accumulation_steps: Update only every this many calls (>= 2), with
            the mean of the accumulated gradients.
        name: Defaults to the snake_case class name, uniquified (``"adam"``,
            ``"adam_1"``, ...).
        **kwargs: Legacy ``lr=`` (use ``learning_rate``) and ``decay=`` (ignored) are
            accepted with a warning; anything else is an error.

    Raises:
        InvalidArgumentError: For an unknown keyword argument or an out-of-range value.
        InvalidTypeError: For a value of the wrong type.
    """

    def __init__(
        self,
        learning_rate: LearningRate,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        learning_rate = _args.pop_legacy_kwargs(
            kwargs, learning_rate, owner, _argument_names(type(self))
        )
        self._learning_rate = _args.check_learning_rate(learning_rate, owner)
        if name is not None and not isinstance(name, str):
            raise InvalidTypeError(
                f"{owner}: `name` must be a string or None; received name={name!r}."
            )
        self.name: str = name if name is not None else auto_name(owner)
        self.weight_decay = _args.optional_float(weight_decay, "weight_decay", owner)
        self.clipnorm = _args.optional_float(clipnorm, "clipnorm", owner)
        self.clipvalue = _args.optional_float(clipvalue, "clipvalue", owner)
        self.global_clipnorm = _args.optional_float(
            global_clipnorm, "global_clipnorm", owner
        )
        clip_args = {
            "clipnorm": clipnorm,
            "clipvalue": clipvalue,
            "global_clipnorm": global_clipnorm,
        }
        if sum(value is not None for value in clip_args.values()) > 1:
            given = ", ".join(f"{k}={v!r}" for k, v in clip_args.items())
            raise InvalidArgumentError(
                f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` "
                f"can be set; received {given}. Keep the one you need."
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if self.use_ema:
            self.ema_momentum = _args.check_in_range(
                ema_momentum, "ema_momentum", owner, 0.0, 1.0
            )
            if ema_overwrite_frequency:
                self.ema_overwrite_frequency = _args.check_positive_int(
                    ema_overwrite_frequency, "ema_overwrite_frequency", owner, 1
                )
        self.loss_scale_factor = _args.optional_float(
            loss_scale_factor, "loss_scale_factor", owner
        )
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps:
            self.gradient_accumulation_steps = _args.check_positive_int(
                gradient_accumulation_steps, "gradient_accumulation_steps", owner, 2
            )
        super().__init__()

    # ----------------------------------------------------------------- arguments

    def _epsilon(self, epsilon: float | None) -> float:
        """Keras 2 tutorials pass ``epsilon=None`` for the backend epsilon (1e-7)."""
        if epsilon is None:
            return _config.epsilon()
        return _args.check_float(epsilon, "epsilon", type(self).__name__)

    # ------------------------------------------------------------ learning rate

    @property
    def learning_rate(self) -> float:
        """The learning rate for the next step, as a Python float.

        Assign a float to change it (``ReduceLROnPlateau`` does), or a schedule or
        callable to replace it; ``optimizer.learning_rate.assign(x)`` and
        ``.numpy()`` work as on Keras' variable. An optimizer created with a
        schedule or callable refuses a float, as Keras does.
        """
        return LearningRateValue(self._current_learning_rate(), self)

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        if isinstance(value, _schedules.LearningRateSchedule) or (
            callable(value) and not _args.is_real(value)
        ):
            self._learning_rate = _args.check_learning_rate(value, type(self).__name__)
            return
        if not isinstance(self._learning_rate, float):
            kind = type(self._learning_rate).__name__
            raise InvalidTypeError(
                f"{type(self).__name__}: this optimizer was created with a "
                f"learning-rate {kind} ({self._learning_rate!r}), so its learning rate "
                f"cannot be set to the number {value!r}. Create the optimizer with a "
                "float `learning_rate` if you need to set it (e.g. with "
                "ReduceLROnPlateau), or assign a new schedule."
            )
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = float(value)
        self._learning_rate = _args.check_learning_rate(value, type(self).__name__)

    @property
    def lr(self) -> float:
        """Deprecated alias of ``learning_rate`` (tf.keras 2)."""
        warnings.warn(
            "`optimizer.lr` is deprecated; use `optimizer.learning_rate`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.learning_rate

    @lr.setter
    def lr(self, value: LearningRate) -> None:
        warnings.warn(
            "`optimizer.lr` is deprecated; use `optimizer.learning_rate`.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.learning_rate = value

    def _current_learning_rate(self) -> float:
        lr = self._learning_rate
        if isinstance(lr, float):
            return lr
        # Keras evaluates schedules at the raw call counter, even with accumulation.
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(self._iterations))
        return float(lr())

    # --------------------------------------------------------------- the step

    def apply(
        self,
        grads: Sequence[torch.Tensor | None],
        params: Sequence[torch.Tensor] | None = None,
    ) -> None:
        """Apply one update step to ``params`` with ``grads`` (in place, no autograd).

        Args:
            grads: One gradient per parameter; None skips that parameter this step
                (with a warning, as Keras does).
            params: The parameters. Builds the optimizer on the first call; later
                calls must pass parameters it was built with (any subset, any
                order). Omit them to use the parameters it was built with.

        Raises:
            InvalidArgumentError: For mismatched lengths or shapes, an unknown
                parameter, or when every gradient is None.
            NotBuiltError: If ``params`` is omitted before the optimizer is built.
        """
        grads = list(grads)
        if not grads:
            return  # Keras: nothing to apply is a no-op, and not a step.
        if params is None:
            if not self.built:
                raise NotBuiltError(
                    f"{type(self).__name__}.apply(grads) without `params` needs a "
                    "built optimizer. Pass the parameters: apply(grads, params), or "
                    "call optimizer.build(params) first."
                )
            params = self._params
        else:
            if not self.built:
                self.build(params)
            params = unwrap_variables(params)
        if len(grads) != len(params):
            raise InvalidArgumentError(
                f"{type(self).__name__}.apply: expected one gradient per parameter; "
                f"received {len(grads)} gradients for {len(params)} parameters."
            )
        # The C-level switch, not the `torch.no_grad()` context manager: this runs
        # once per batch, and the context manager costs a few microseconds.
        grad_was_enabled = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        try:
            kept_grads, kept_params, indices = self._pair(grads, params)
            if self.loss_scale_factor is not None:
                kept_grads = list(
                    torch._foreach_div(kept_grads, self.loss_scale_factor)
                )
            if self.gradient_accumulation_steps:
                self._accumulate(kept_grads, kept_params, indices)
            else:
                self._step(kept_grads, kept_params, indices)
            if self.use_ema:
                self._update_ema()
        finally:
            torch._C._set_grad_enabled(grad_was_enabled)
        self._iterations += 1

    def apply_gradients(
        self, grads_and_vars: Sequence[tuple[torch.Tensor | None, torch.Tensor]]
    ) -> int:
        """Keras/tf.keras form of ``apply``: a list of ``(grad, param)`` pairs.

        Returns:
            The step counter after the update (tf.keras returned ``iterations``).
        """
        pairs = list(grads_and_vars)
        if pairs:
            self.apply([g for g, _ in pairs], [p for _, p in pairs])
        return self.iterations

    def _step(
        self, grads: list[torch.Tensor], params: list[torch.Tensor], indices: list[int]
    ) -> None:
        if self.clipnorm and self.clipnorm > 0:
            grads = _gradients.clip_by_norm(grads, self.clipnorm)
        elif self.global_clipnorm and self.global_clipnorm > 0:
            grads = _gradients.clip_by_global_norm(grads, self.global_clipnorm)
        elif self.clipvalue and self.clipvalue > 0:
            grads = _gradients.clip_by_value(grads, self.clipvalue)
        lr = self._current_learning_rate()
        if self.weight_decay is not None:
            mask = self._weight_decay_mask()
            decayed = [p for p, i in zip(params, indices) if mask[i]]
            if decayed:
                torch._foreach_mul_(decayed, 1.0 - self.weight_decay * lr)
        self._update(params, grads, self._slots_for(indices), lr)

    def _accumulate(
        self, grads: list[torch.Tensor], params: list[torch.Tensor], indices: list[int]
    ) -> None:
        steps = self.gradient_accumulation_steps
        accumulators = self._slots_for(indices)["gradient_accumulator"]
        if (self._iterations + 1) % steps == 0:  # type: ignore[operator]
            mean = torch._foreach_add(grads, accumulators)
            torch._foreach_div_(mean, float(steps))  # type: ignore[arg-type]
            self._step(list(mean), params, indices)
            torch._foreach_zero_(self._slots["gradient_accumulator"])
        else:
            torch._foreach_add_(accumulators, grads)

    def _update_ema(self) -> None:
        # Keras: the very first step copies the weights (momentum 0), then averages.
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        averages = self._slots["average"]
        torch._foreach_lerp_(averages, self._params, 1.0 - momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            torch._foreach_copy_(self._params, averages)

    # Abstract: every optimizer defines its update rule; without one it cannot be
    # instantiated.
    @abc.abstractmethod
    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: Mapping[str, list[torch.Tensor]],
        lr: float,
    ) -> None:
        """The optimizer's own rule. ``slots[name][k]`` belongs to ``params[k]``."""

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Multiply the loss by ``loss_scale_factor``; ``apply`` divides it back out."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def finalize_variable_values(self, var_list: Sequence[torch.Tensor]) -> None:
        """With ``use_ema=True``, copy the moving averages into ``var_list``.

        Raises:
            InvalidArgumentError: If ``var_list`` does not match the built parameters.
        """
        if not self.use_ema:
            return
        var_list = list(var_list)
        averages = self._slots.get("average", [])
        if len(var_list) != len(averages):
            raise InvalidArgumentError(
                f"{type(self).__name__}.finalize_variable_values: received "
                f"{len(var_list)} variables but the optimizer holds moving averages "
                f"for {len(averages)}. Pass the parameters the optimizer was built "
                "with (e.g. the model's trainable weights)."
            )
        with torch.no_grad():
            for var, average in zip(var_list, averages):
                var.copy_(average)

    # ------------------------------------------------------------- config

    def get_config(self) -> dict[str, Any]:
        """Return the Keras 3 config (same keys, same order).

        A float learning rate appears as its float32 value; a schedule as its
        serialized dict; a callable as itself (it can be copied, not written to JSON).
        """
        lr: Any = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        custom_objects: Mapping[str, Any] | None = None,
    ) -> Optimizer:
        """Create an optimizer from ``get_config()`` output or a Keras file's config."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), Mapping):
            config["learning_rate"] = _schedules.deserialize(
                config["learning_rate"], custom_objects
            )
        return cls(**config)

    def __repr__(self) -> str:
        config = self.get_config()
        lr = self._learning_rate
        # 0.001 is stored as float32 (0.0010000000474974513): print what was meant.
        lr_text = f"{lr:.7g}" if isinstance(lr, float) else repr(lr)
        parts = [f"learning_rate={lr_text}"]
        for key, value in config.items():
            if key in ("name", "learning_rate"):
                continue
            if key in _BASE_DEFAULTS and _BASE_DEFAULTS[key] == value:
                continue
            parts.append(f"{key}={value!r}")
        parts.append(f"name={self.name!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _argument_names(cls: type) -> list[str]:
    """The named arguments of ``cls.__init__``, listed in the unknown-kwarg error."""
    code = cls.__init__.__code__  # type: ignore[misc]
    return [a for a in code.co_varnames[1 : code.co_argcount] if a != "kwargs"]
