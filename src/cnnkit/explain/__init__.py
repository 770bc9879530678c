"""See what a network does: activations, filters, Grad-CAM, saliency, and per-layer
cost.

Every function takes a cnnkit model (inputs in its Keras layout, channels_last by
default) or a plain ``torch.nn.Module`` (channels first), and returns numpy arrays,
so the results plot with matplotlib or travel to a web page as they are.
``analyze(model)`` tabulates every layer's output shape, weights, MACs/FLOPs,
output size and receptive field. The doctor's checks run inside ``fit``
(``cnnkit.training.doctor``); its training-time hints come from the ``Doctor``
callback, re-exported here.

Example:
    >>> import numpy as np
    >>> from cnnkit import explain, layers, models
    >>> model = models.Sequential([layers.Input((8, 8, 1)),
    ...                            layers.Conv2D(2, 3, name="conv"),
    ...                            layers.Flatten(name="flat"), layers.Dense(2, name="out")])
    >>> x = np.zeros((1, 8, 8, 1), dtype="float32")
    >>> {k: v.shape for k, v in explain.activations(model, x).items()}
    {'conv': (1, 6, 6, 2), 'flat': (1, 72), 'out': (1, 2)}
    >>> explain.filters(model).shape
    (3, 3, 1, 2)
"""

from cnnkit.callbacks.doctor import Doctor
from cnnkit.errors import DoctorWarning
from cnnkit.explain.activations import activations
from cnnkit.explain.analyze import analyze
from cnnkit.explain.filters import filters
from cnnkit.explain.gradcam import gradcam
from cnnkit.explain.saliency import saliency
from cnnkit.training.doctor import examine_first_batch

__all__ = [
    "Doctor",
    "DoctorWarning",
    "activations",
    "analyze",
    "examine_first_batch",
    "filters",
    "gradcam",
    "saliency",
]
