"""Error classes.

Each refines a builtin (``ValueError``/``TypeError``) so ``except ValueError`` keeps
working, as scikit-learn's ``NotFittedError`` does.
"""

from __future__ import annotations

__all__ = [
    "CnnkitError",
    "DatasetError",
    "DoctorWarning",
    "FileFormatError",
    "IncompatibleShapeError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "MissingDependencyError",
    "NotBuiltError",
    "TrainingInputError",
]


class CnnkitError(Exception):
    """Base class of every error cnnkit raises on purpose."""


class InvalidArgumentError(CnnkitError, ValueError):
    """A constructor or function argument has a value outside what is allowed."""


class InvalidTypeError(CnnkitError, TypeError):
    """An argument has the wrong type."""


class IncompatibleShapeError(CnnkitError, ValueError):
    """A layer received an input whose shape it cannot process."""


class NotBuiltError(CnnkitError, ValueError):
    """A model or layer was asked for something that exists only once it is built."""


class TrainingInputError(CnnkitError, ValueError):
    """Data given to fit/evaluate/predict does not fit the model or the loss."""


class DatasetError(CnnkitError, RuntimeError):
    """A dataset could not be loaded from any source."""


class FileFormatError(CnnkitError, ValueError):
    """A model or weights file is truncated, corrupted, unsafe or of the wrong type."""


class MissingDependencyError(CnnkitError, ImportError):
    """An optional extra (e.g. ``viz``: matplotlib) is needed but not installed."""


class DoctorWarning(UserWarning):
    """A likely mistake in a training set-up that still runs (the doctor's checks).

    Silence them all with ``cnnkit.config.set_doctor(False)`` or ``CNNKIT_DOCTOR=0``,
    or one kind with ``warnings.filterwarnings("ignore", category=DoctorWarning)``.
    """
