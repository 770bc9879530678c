"""See what a network does: activations, filters, Grad-CAM, saliency, cost, mistakes.

Every function takes a cnnkit model (inputs in its Keras layout, channels_last by
default) or a plain ``torch.nn.Module`` (channels first), and returns numpy arrays,
so the results plot with matplotlib or travel to a web page as they are.
The doctor's checks run inside ``fit`` (``cnnkit.training.doctor``); its
training-time hints come from the ``Doctor`` callback, re-exported here.
``analyze(model)`` tabulates every layer's output shape, weights, MACs/FLOPs,
output size and receptive field. The ``plot_*`` functions (matplotlib, the extra
``viz``) draw them, and ``report`` writes them all into one HTML page.

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
from cnnkit.explain.classification import (
    Mistakes,
    as_probabilities,
    class_probabilities,
    class_scores,
    confusion_matrix,
    worst_errors,
)
from cnnkit.explain.filters import filters
from cnnkit.explain.gradcam import gradcam
from cnnkit.explain.history import load_history
from cnnkit.explain.plots import plot_activations, plot_filters, plot_gradcam
from cnnkit.explain.plots_training import (
    plot_confusion_matrix,
    plot_history,
    plot_learning,
    plot_worst_errors,
)
from cnnkit.explain.report import report
from cnnkit.explain.saliency import saliency
from cnnkit.training.doctor import examine_first_batch

__all__ = [
    "Doctor",
    "DoctorWarning",
    "Mistakes",
    "activations",
    "analyze",
    "as_probabilities",
    "class_probabilities",
    "class_scores",
    "confusion_matrix",
    "examine_first_batch",
    "filters",
    "gradcam",
    "load_history",
    "plot_activations",
    "plot_confusion_matrix",
    "plot_filters",
    "plot_gradcam",
    "plot_history",
    "plot_learning",
    "plot_worst_errors",
    "report",
    "saliency",
    "worst_errors",
]
