"""Look inside a network: per-layer cost and receptive field, and training hints.

``analyze(model)`` tabulates every layer's output shape, weights, MACs/FLOPs,
output size and receptive field. The doctor's checks run inside ``fit`` (see
``cnnkit.training.doctor``); its training-time hints come from the
``cnnkit.callbacks.Doctor`` callback, re-exported here.
"""

from __future__ import annotations

from cnnkit.callbacks.doctor import Doctor
from cnnkit.errors import DoctorWarning
from cnnkit.explain.analyze import analyze
from cnnkit.training.doctor import examine_first_batch

__all__ = ["Doctor", "DoctorWarning", "analyze", "examine_first_batch"]
