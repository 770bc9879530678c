"""Keras 2's ``keras.utils.np_utils`` (``to_categorical``, ``normalize``)."""

from cnnkit.utils.numerical_utils import normalize, to_categorical

__all__ = ["normalize", "to_categorical"]
