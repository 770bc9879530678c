"""The plots: each returns a Figure, for 1D, 2D and 3D models; errors teach."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnkit
from cnnkit import callbacks, explain, layers
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, MissingDependencyError

from .report_models import data_1d, data_2d, sequential_1d, sequential_2d, trained


def _volume_model() -> cnnkit.Model:
    return cnnkit.Sequential([
        layers.Input((6, 6, 6, 1)), layers.Conv3D(2, 3, activation="relu"),
        layers.Flatten(), layers.Dense(2, activation="softmax"),
    ])  # fmt: skip


def test_plots_of_a_2d_model():
    x, y = data_2d()
    model = trained(sequential_2d(), x, y, callbacks=[callbacks.WatchLearning(x[0])])
    figures = [
        explain.plot_activations(model, x[0]),  # one sample without its batch axis
        explain.plot_activations(model, x, layers=["conv_b"]),
        explain.plot_filters(model),
        explain.plot_filters(model, "conv_b", max_filters=3),
        explain.plot_gradcam(model, x[:3], class_names=["a", "b", "c"]),
        explain.plot_history(model.history),
        explain.plot_confusion_matrix(
            y, explain.class_probabilities(model, x), normalize=True
        ),
        explain.plot_worst_errors(model, x, y, n=4),
        explain.plot_learning(model),
    ]
    assert all(isinstance(f, Figure) for f in figures)
    assert len([a for a in figures[4].axes if a.get_visible()]) == 3


def test_plots_of_1d_and_3d_models():
    x, y = data_1d()
    model = trained(sequential_1d(), x, y)
    for figure in (
        explain.plot_activations(model, x),
        explain.plot_filters(model),
        explain.plot_gradcam(model, x[:2]),
        explain.plot_worst_errors(model, x, y),
    ):
        assert isinstance(figure, Figure)
    volume = _volume_model()
    v = np.random.default_rng(0).random((2, 6, 6, 6, 1), dtype="float32")
    assert len(explain.plot_gradcam(volume, v).axes) == 6  # three slices per sample
    assert isinstance(
        explain.plot_worst_errors(volume, v, [1, 0], n=2)
        if (explain.class_probabilities(volume, v).argmax(1) != [1, 0]).any()
        else explain.plot_filters(volume),
        Figure,
    )


def test_plot_history_reads_csv_and_french():
    figure = explain.plot_history({"loss": [1, 0.5], "val_loss": [1.2, 0.8],
                                   "accuracy": [0.5, 0.7]}, lang="fr")  # fmt: skip
    assert [a.get_xlabel() for a in figure.axes] == ["Époque", "Époque"]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m, x: explain.plot_activations(m, x, layers=[m.layers[-2]]),
         InvalidArgumentError, "found no layer with spatial output"),
        (lambda m, x: explain.plot_filters(m, m.layers[-1]), InvalidArgumentError,
         r"plot_filters draws convolution kernels"),
        (lambda m, x: explain.plot_activations(m, x, max_channels=0),
         InvalidArgumentError, "max_channels"),
        (lambda m, x: explain.plot_history({}), InvalidArgumentError, "holds no epoch"),
        (lambda m, x: explain.plot_learning(m), InvalidTypeError,
         "needs the snapshots that `callbacks.WatchLearning` records"),
        (lambda m, x: explain.plot_worst_errors(
            m, x, explain.class_probabilities(m, x).argmax(1)),
         InvalidArgumentError, "classifies all 36 samples correctly"),
    ],
)  # fmt: skip
def test_plot_errors_teach(call, error, match):
    x, _ = data_2d()
    model = sequential_2d()
    with pytest.raises(error, match=match):
        call(model, x)


def test_missing_matplotlib_is_a_teaching_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'cnnkit\[viz\]'"):
        explain.plot_history({"loss": [1.0]})
    assert issubclass(MissingDependencyError, ImportError)
