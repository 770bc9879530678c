"""``model.fit`` with Keras 3 semantics (KERAS_SPEC §4.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cnnkit.callbacks import CallbackList
from cnnkit.errors import InvalidArgumentError
from cnnkit.training import checks, prepare
from cnnkit.training.data_adapter import (
    ArrayAdapter,
    class_weight_to_sample_weight,
    is_array_structure,
    make_adapter,
    split_for_validation,
    to_tensor,
)
from cnnkit.training.evaluate import run_test_loop
from cnnkit.training.steps import StepRunner, runner_for
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


def _tensors(value: Any) -> Any:
    return None if value is None else tree.map_structure(to_tensor, value)


def _validation_adapter(
    model: Trainer,
    validation_data: Any,
    batch_size: int | None,
    steps: int | None,
    device: torch.device,
) -> Any:
    if validation_data is None:
        return None
    if (
        isinstance(validation_data, tuple | list)
        and 2 <= len(validation_data) <= 3
        and is_array_structure(validation_data[0])
    ):
        vx, vy = _tensors(validation_data[0]), _tensors(validation_data[1])
        vsw = _tensors(validation_data[2]) if len(validation_data) == 3 else None
        checks.check_inputs_against_model(model, vx)
        checks.check_arrays(vx, vy, vsw)
        return make_adapter(vx, vy, vsw, batch_size or 32, False, steps, device)
    if isinstance(validation_data, tuple | list):
        raise InvalidArgumentError(
            "`validation_data` must be (x_val, y_val), (x_val, y_val, sample_weight) or a "
            f"dataset; received a {type(validation_data).__name__} of {len(validation_data)} items."
        )
    return make_adapter(validation_data, steps=steps, device=device)


def fit(
    model: Trainer,
    x: Any = None,
    y: Any = None,
    batch_size: int | None = None,
    epochs: int = 1,
    verbose: Any = "auto",
    callbacks: Any = None,
    validation_split: float = 0.0,
    validation_data: Any = None,
    shuffle: bool | str = True,
    class_weight: dict[int, float] | None = None,
    sample_weight: Any = None,
    initial_epoch: int = 0,
    steps_per_epoch: int | None = None,
    validation_steps: int | None = None,
    validation_batch_size: int | None = None,
    validation_freq: int | list[int] = 1,
) -> Any:
    """Train ``model``; returns its ``History`` (``history.history`` holds the logs)."""
    prepare.require_compiled(model, "fit")
    verbose = prepare.resolve_verbose(verbose)
    prepare.check_batch_size(batch_size, x)
    if class_weight is not None and sample_weight is not None:
        raise InvalidArgumentError(
            "Pass either `class_weight` or `sample_weight`, not both: class weights are "
            "turned into sample weights."
        )
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
        raise InvalidArgumentError(
            f"`epochs` must be a non-negative int; received epochs={epochs!r}."
        )
    _check_validation_freq(validation_freq)
    from cnnkit import distributed

    dist = distributed.context()
    device = dist.device if dist is not None else prepare.training_device(model)

    full_y = None
    if is_array_structure(x):
        checks.check_not_a_list_of_numbers(y, "y")
        x, y, sample_weight = _tensors(x), _tensors(y), _tensors(sample_weight)
        checks.check_inputs_against_model(model, x)
        checks.check_arrays(x, y, sample_weight)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_for_validation(
                x, y, sample_weight, validation_split
            )
        if class_weight is not None and y is not None:
            sample_weight = torch.from_numpy(
                class_weight_to_sample_weight(y, class_weight)
            )
        full_y = y
        if dist is not None:
            x, y, sample_weight = (
                dist.shard(x),
                dist.shard(y),
                dist.shard(sample_weight),
            )
    elif validation_split:
        split_for_validation(
            x, y, sample_weight, validation_split
        )  # raises the teaching error

    train = make_adapter(
        x, y, sample_weight, batch_size, shuffle, steps_per_epoch, device,
        class_weight=None if is_array_structure(x) else class_weight,
    )  # fmt: skip
    val = _validation_adapter(
        model,
        validation_data,
        validation_batch_size or batch_size,
        validation_steps,
        device,
    )

    runner: StepRunner | None = None
    if isinstance(train, ArrayAdapter):
        sample = prepare.first_batch(train)
        if sample is not None:
            prepare.prepare_model(model, device, sample[0])
            prepare.build_compile_state(
                model, sample[0], sample[1], full_y, weighted=sample_weight is not None
            )
            runner = _new_runner(model, device, dist)
            if isinstance(val, ArrayAdapter) and val.size:
                # Validation labels get the same checks (range, one-hot vs sparse).
                prepare.build_compile_state(model, val.x, val.y, val.y)
    if dist is not None and runner is not None:
        runner.model = dist.wrap(model)

    steps = train.steps_per_epoch
    callback_list = CallbackList(
        callbacks, add_history=True, add_progbar=verbose != 0 and (dist is None or dist.is_main),
        model=model, verbose=verbose, epochs=epochs, steps=steps,
    )  # fmt: skip
    callback_list.on_train_begin()
    # BackupAndRestore may have restored a run: it says where to start again.
    resumed = getattr(model, "_initial_epoch", None)
    if resumed is not None:
        initial_epoch = resumed
        model._initial_epoch = None
    epoch_logs: dict[str, float] = {}
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        if runner is not None:
            runner.reset()
        steps_done = 0
        read_logs = runner.logs if runner is not None else dict
        for step, (bx, by, bsw) in enumerate(train.epoch()):
            if runner is None:
                runner = _lazy_runner(model, device, bx, by, dist)
                if dist is not None:  # gradients must be averaged here too
                    runner.model = dist.wrap(model)
                runner.reset()
            callback_list.on_train_batch_begin(step)
            read_logs = runner.run_train_step(bx, by, bsw)
            steps_done += 1
            callback_list.on_train_batch_end(step, read_logs)
            if model.stop_training:
                break
        train.on_epoch_end()
        if runner is None or steps_done == 0:
            # The data ran out (a generator used up by earlier epochs; the adapter
            # warned): stop, rather than log an epoch of zeros.
            break
        epoch_logs = read_logs()
        if dist is not None:
            epoch_logs = dist.average_logs(epoch_logs)
        if val is not None and _should_validate(epoch, validation_freq):
            callback_list.on_test_begin()
            val_logs = run_test_loop(runner, val, callback_list)
            callback_list.on_test_end(val_logs)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    if epochs > 0 and model.optimizer.built:
        # With use_ema=True the model ends on the averaged weights, as in Keras.
        model.optimizer.finalize_variable_values(runner.params if runner else [])
    callback_list.on_train_end(epoch_logs)
    return callback_list.history


def _check_validation_freq(validation_freq: Any) -> None:
    if isinstance(validation_freq, list) and all(
        isinstance(e, int) and not isinstance(e, bool) for e in validation_freq
    ):
        return
    if (
        isinstance(validation_freq, bool)
        or not isinstance(validation_freq, int)
        or validation_freq < 1
    ):
        raise InvalidArgumentError(
            "`validation_freq` must be a positive int (validate every N epochs) or a "
            "list of 1-based epoch numbers (e.g. [1, 5, 10]); received "
            f"validation_freq={validation_freq!r}."
        )


def _should_validate(epoch: int, validation_freq: int | list[int]) -> bool:
    """Keras' rule, on the 1-based epoch number."""
    if isinstance(validation_freq, list):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


def _new_runner(model: Trainer, device: torch.device, dist: Any) -> StepRunner:
    # Under torchrun the runner steps a DistributedDataParallel wrapper: a runner of
    # its own, so that evaluate() afterwards (on one rank) never runs that wrapper.
    return StepRunner(model, device) if dist is not None else runner_for(model, device)


def _lazy_runner(
    model: Trainer, device: torch.device, x: Any, y: Any, dist: Any
) -> StepRunner:
    """For datasets and generators: build from the first batch we actually train on."""
    checks.check_inputs_against_model(model, x)
    prepare.prepare_model(model, device, x)
    prepare.build_compile_state(model, x, y)
    return _new_runner(model, device, dist)


def as_float_logs(logs: dict[str, Any]) -> dict[str, float]:
    return {k: float(np.asarray(v)) for k, v in logs.items()}
