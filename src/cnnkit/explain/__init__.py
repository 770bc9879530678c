"""See what a network does: activations, filters, Grad-CAM, saliency, per-layer cost.

Every function takes a cnnkit model (inputs in its Keras layout, channels_last by
default) or a plain ``torch.nn.Module`` (channels first), and returns numpy arrays,
so the results plot with matplotlib or travel to a web page as they are.
``analyze(model)`` tabulates every layer's output shape, weights, MACs/FLOPs,
output size and receptive field.

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

from cnnkit.explain.activations import activations
from cnnkit.explain.analyze import analyze
from cnnkit.explain.filters import filters
from cnnkit.explain.gradcam import gradcam
from cnnkit.explain.saliency import saliency

__all__ = ["activations", "analyze", "filters", "gradcam", "saliency"]
