"""``explain.report``: everything about a trained classifier in one HTML page.

The page holds the layer table (``analyze``), the training curves, the test
accuracy and loss, the confusion matrix, precision and recall per class, the most
confident mistakes with their Grad-CAM, the first convolution's filters, the
activation maps of every convolution for one example per class, the "watch it
learn" strip (``callbacks.WatchLearning``) and the doctor's notes. It is one file:
the pictures are inline PNGs and nothing is fetched, so it opens from disk.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from cnnkit import explain, layers, models
    >>> model = models.Sequential([layers.Input((8, 8, 1)),
    ...                            layers.Conv2D(4, 3, activation="relu"),
    ...                            layers.Flatten(), layers.Dense(3, activation="softmax")])
    >>> x = np.random.default_rng(0).random((30, 8, 8, 1), dtype="float32")
    >>> y = np.arange(30) % 3
    >>> path = explain.report(model, x, y, out=os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> "data:image/png;base64," in path.read_text()
    True
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cnnkit._version import __version__
from cnnkit.errors import InvalidArgumentError
from cnnkit.explain import _figure, _html, _target
from cnnkit.explain._i18n import words
from cnnkit.explain.analyze import analyze
from cnnkit.explain.classification import class_probabilities, class_scores, labels_of
from cnnkit.explain.history import load_history
from cnnkit.explain.plots import plot_activations, plot_filters
from cnnkit.explain.plots_training import (
    plot_confusion_matrix,
    plot_history,
    plot_learning,
    plot_worst_errors,
)
from cnnkit.saving.training_record import LearningSnapshots

__all__ = ["report"]

_MAX_CLASSES_WITH_EXAMPLES = 20  # one activation figure per class: keep it readable


def report(
    model: torch.nn.Module,
    x_test: Any,
    y_test: Any,
    out: str | os.PathLike[str] = "report.html",
    lang: str = "en",
    history: Any = None,
    *,
    class_names: Sequence[str] | None = None,
    doctor_notes: Sequence[str] | None = None,
    mistakes: int = 15,
    title: str | None = None,
) -> Path:
    """Write the HTML report of a trained classifier on its test data.

    Args:
        model: The classifier (a cnnkit model, or a torch module returning scores).
        x_test: Test inputs in the model's layout.
        y_test: Their labels (class indices or one-hot).
        out: Where to write the page.
        lang: ``"en"`` or ``"fr"``.
        history: The training curves: a ``History``, dict of lists or CSVLogger
            path; ``None`` uses ``model.history`` (kept in ``.keras`` files saved
            after ``fit``).
        class_names: Names of the classes (else their indices).
        doctor_notes: The doctor's hints to list (``callbacks.Doctor.findings``).
        mistakes: How many confident mistakes to show.
        title: The page title (default: "What the network learned").

    Returns:
        The path of the page written.

    Raises:
        InvalidArgumentError: ``x_test`` and ``y_test`` of different lengths, an
            unknown ``lang``, or the errors of the functions it calls.
    """
    started = time.perf_counter()
    text = words(lang)
    y = labels_of(y_test, "y_test")
    if len(y) != len(x_test):
        raise InvalidArgumentError(
            f"`x_test` has {len(x_test)} samples but `y_test` has {len(y)} labels; "
            "pass the inputs and labels of the same test set."
        )
    x = np.asarray(
        x_test.detach().cpu() if isinstance(x_test, torch.Tensor) else x_test
    )
    probs = class_probabilities(model, x)
    builders: list[tuple[str, str, Callable[[], list[str] | None]]] = [
        ("summary", text["summary"], lambda: _summary(model, x, text)),
        ("training", text["training"], lambda: _training(model, history, lang, text)),
        ("test", text["test"], lambda: _test(probs, y, text)),
        ("confusion", text["confusion"], lambda: _confusion(y, probs, class_names, lang, text)),
        ("per-class", text["per_class"], lambda: _per_class(y, probs, class_names, text)),
        ("mistakes", text["mistakes"], lambda: _mistakes(model, x, y, probs, mistakes, class_names, lang, text)),
        ("filters", text["filters"], lambda: _filters(model, text)),
        ("activations", text["activations"], lambda: _activations(model, x, y, class_names, text)),
        ("watch", text["watch"], lambda: _watch(model, lang, text)),
        ("doctor", text["doctor"], lambda: _doctor(doctor_notes, text)),
    ]  # fmt: skip
    sections, contents = [], []
    for anchor, heading, build in builders:
        body = build()
        if body is None:
            continue  # nothing to show (no convolution, no snapshots, no doctor)
        sections.append(_html.section(anchor, heading, body))
        contents.append((anchor, heading))
    seconds = time.perf_counter() - started
    subtitle = text["generated"].format(version=__version__, seconds=seconds)
    page = _html.page(
        sections, title or text["title"], lang, contents, subtitle, text["contents"]
    )
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)  # atomic: a reader never sees half a page
    return path


def _png(figure: Any, alt: str) -> str:
    return _html.image(_figure.png_bytes(figure), alt)


def _note(message: str) -> str:
    return f'<p class="note">{html.escape(message)}</p>'


def _summary(model: torch.nn.Module, x: np.ndarray, text: dict[str, str]) -> list[str]:
    table = analyze(model, input_shape=(None, *x.shape[1:]))
    rows = [
        [
            f"{row.name} ({row.kind})" if row.kind else row.name,
            "?" if row.output_shape is None else str(row.output_shape).replace("None", "N"),
            f"{row.params:,}",
            f"{row.macs:,}",
            "-" if row.receptive_field is None else "x".join(f"{v:g}" for v in row.receptive_field) or "1",
        ]
        for row in table.rows
    ]  # fmt: skip
    total = table.total
    rows.append([text["total"], "", f"{total.params:,}", f"{total.macs:,}", ""])
    headers = [
        text[k] for k in ("layer", "output_shape", "params", "macs", "receptive_field")
    ]
    return [_note(text["summary_intro"]), _html.table(headers, rows)]


def _training(
    model: torch.nn.Module, history: Any, lang: str, text: dict[str, str]
) -> list[str]:
    source = history if history is not None else getattr(model, "history", None)
    if source is None or not load_history(source):
        return [_note(text["no_history"])]
    return [_png(plot_history(source, lang=lang), text["training"])]


def _test(probs: np.ndarray, y: np.ndarray, text: dict[str, str]) -> list[str]:
    accuracy = float(np.mean(probs.argmax(axis=1) == y))
    true_p = probs[np.arange(len(y)), np.minimum(y, probs.shape[1] - 1)]
    # Cross-entropy on the probabilities, clipped as Keras clips (1e-7).
    loss = float(np.mean(-np.log(np.clip(true_p, 1e-7, 1.0))))
    return [
        _note(text["test_intro"].format(count=len(y))),
        f'<p><span class="big">{accuracy:.2%}</span> {html.escape(text["accuracy"])}'
        f'&nbsp;&nbsp; <span class="big">{loss:.4f}</span> {html.escape(text["loss"])}</p>',
    ]


def _confusion(
    y: np.ndarray, probs: np.ndarray, names: Any, lang: str, text: dict[str, str]
) -> list[str]:
    figure = plot_confusion_matrix(y, probs, class_names=names, lang=lang)
    return [_note(text["confusion_intro"]), _png(figure, text["confusion"])]


def _per_class(
    y: np.ndarray, probs: np.ndarray, names: Any, text: dict[str, str]
) -> list[str]:
    scores = class_scores(y, probs, num_classes=probs.shape[1])
    rows = [
        [
            _figure.class_name(k, names),
            _html.bar(float(scores["precision"][k]), f"{scores['precision'][k]:.3f}"),
            _html.bar(float(scores["recall"][k]), f"{scores['recall'][k]:.3f}"),
            f"{scores['f1'][k]:.3f}",
            str(int(scores["support"][k])),
        ]
        for k in range(probs.shape[1])
    ]
    headers = [text[k] for k in ("class", "precision", "recall", "f1", "support")]
    return [_note(text["per_class_intro"]), _html.table(headers, rows)]


def _mistakes(
    model: torch.nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    probs: np.ndarray,
    n: int,
    names: Any,
    lang: str,
    text: dict[str, str],
) -> list[str]:
    errors = int(np.sum(probs.argmax(axis=1) != y))
    if errors == 0:
        return [_note(text["no_mistakes"])]
    figure = plot_worst_errors(model, x, y, n, names, probabilities=probs, lang=lang)
    intro = text["mistakes_intro"].format(shown=min(n, errors), errors=errors)
    return [_note(intro), _png(figure, text["mistakes"])]


def _convolutions(model: torch.nn.Module) -> list[str]:
    """The keys of the model's convolution layers (kernels with spatial axes)."""
    found = []
    for entry in _target.entries(model):
        if entry.is_container:
            continue
        for name in ("kernel", "depthwise_kernel", "weight"):
            kernel = getattr(entry.module, name, None)
            if isinstance(kernel, torch.Tensor) and kernel.dim() >= 3:
                found.append(entry.key)
                break
    return found


def _filters(model: torch.nn.Module, text: dict[str, str]) -> list[str] | None:
    convolutions = _convolutions(model)
    if not convolutions:
        return None
    figure = plot_filters(model, convolutions[0], max_filters=64)
    intro = text["filters_intro"].format(layer=convolutions[0])
    return [_note(intro), _png(figure, text["filters"])]


def _activations(
    model: torch.nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    names: Any,
    text: dict[str, str],
) -> list[str] | None:
    convolutions = _convolutions(model)
    if not convolutions:
        return None
    channels = 8
    body = [_note(text["activations_intro"].format(channels=channels))]
    for k in np.unique(y)[:_MAX_CLASSES_WITH_EXAMPLES]:
        index = int(np.flatnonzero(y == k)[0])  # the first test sample of the class
        figure = plot_activations(
            model,
            x[index : index + 1],
            convolutions,
            max_channels=channels,
            columns=channels,
        )
        label = text["example"].format(name=_figure.class_name(int(k), names))
        body += [f"<h3>{html.escape(label)}</h3>", _png(figure, label)]
    return body


def _watch(model: torch.nn.Module, lang: str, text: dict[str, str]) -> list[str] | None:
    snapshots = getattr(model, "learning_snapshots", None)
    if not isinstance(snapshots, LearningSnapshots) or not snapshots.epochs:
        return None
    figure = plot_learning(snapshots, lang=lang)
    intro = text["watch_intro"].format(layer=snapshots.layer)
    return [_note(intro), _png(figure, text["watch"])]


def _doctor(notes: Sequence[str] | None, text: dict[str, str]) -> list[str] | None:
    if notes is None:
        return None
    if not notes:
        return [_note(text["doctor_none"])]
    items = "".join(f"<li>{html.escape(str(note))}</li>" for note in notes)
    return [f'<ul class="doctor">{items}</ul>']
