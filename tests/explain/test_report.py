"""``explain.report``: one self-contained HTML page, every section, both languages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from cnnkit import callbacks, explain, saving
from cnnkit.errors import InvalidArgumentError

from .report_models import (
    data_1d,
    data_2d,
    functional_2d,
    sequential_1d,
    sequential_2d,
    trained,
)

SECTIONS = ("summary", "training", "test", "confusion", "per-class", "mistakes",
            "filters", "activations")  # fmt: skip


def _images(page: str) -> list[str]:
    return re.findall(r"<img [^>]*>", page)


def _check_self_contained(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    images = _images(page)
    assert images
    for tag in images:
        assert re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]+"', tag), tag[:80]
    assert "<script" not in page
    assert "<link" not in page


def _report(tmp_path: Path, model, x, y, **kwargs) -> str:
    return explain.report(model, x, y, out=tmp_path / "r.html", **kwargs).read_text(
        "utf-8"
    )


def test_report_of_a_trained_cnn_is_self_contained_with_every_section(tmp_path):
    x, y = data_2d()
    model = trained(sequential_2d(), x, y, callbacks=[callbacks.WatchLearning(x[0])])
    page = _report(tmp_path, model, x, y, doctor_notes=["Loss is flat."])
    _check_self_contained(page)
    for anchor in (*SECTIONS, "watch", "doctor"):
        assert f'<section id="{anchor}">' in page, anchor
    assert "What the network learned" in page
    assert "Loss is flat." in page
    assert "conv_a (Conv2D)" in page  # the analyze table
    assert "Example of class 2" in page  # one activation figure per class
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page


def test_report_in_french(tmp_path):
    x, y = data_2d()
    model = trained(sequential_2d(), x, y)
    page = _report(tmp_path, model, x, y, lang="fr")
    for label in ("Ce que le réseau a appris", "Matrice de confusion",
                  "Courbes d'apprentissage", "Rappel", "Cartes d'activation"):  # fmt: skip
        assert label in page.replace("&#x27;", "'"), label
    assert '<html lang="fr">' in page
    assert "Confusion matrix" not in page


def test_report_of_a_functional_model(tmp_path):
    x, y = data_2d()
    page = _report(tmp_path, trained(functional_2d(), x, y), x, y)
    _check_self_contained(page)
    assert "Example of class 0" in page
    assert 'id="mistakes"' in page


def test_report_of_a_1d_model(tmp_path):
    x, y = data_1d()
    page = _report(tmp_path, trained(sequential_1d(), x, y), x, y)
    _check_self_contained(page)
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in page, anchor


def test_report_of_a_loaded_model_plots_the_saved_history(tmp_path):
    x, y = data_2d()
    model = trained(sequential_2d(), x, y, callbacks=[callbacks.WatchLearning(x[0])])
    model.save(tmp_path / "m.keras")
    page = _report(tmp_path, saving.load_model(tmp_path / "m.keras"), x, y)
    assert "No training history" not in page
    assert 'id="watch"' in page


def test_report_without_history_says_so_and_leaves_out_what_it_lacks(tmp_path):
    x, y = data_2d()
    page = _report(tmp_path, sequential_2d(), x, y, class_names=["cat", "dog", "<b>"])
    assert "No training history was found" in page
    assert 'id="watch"' not in page
    assert 'id="doctor"' not in page
    assert "&lt;b&gt;" in page
    assert "<b>" not in page


def test_report_with_a_csv_history_and_no_doctor_findings(tmp_path):
    x, y = data_2d()
    csv = tmp_path / "history.csv"
    csv.write_text("epoch,loss\n0,1.0\n1,0.5\n")
    page = _report(tmp_path, sequential_2d(), x, y, history=csv, doctor_notes=[])
    assert 'id="training"' in page
    assert "The doctor found nothing to report." in page


def test_report_with_no_mistakes_says_so(tmp_path):
    x, _y = data_2d()
    model = sequential_2d()
    predicted = explain.class_probabilities(model, x).argmax(axis=1)
    page = _report(tmp_path, model, x, predicted)
    assert "The network made no mistake" in page


def test_report_refuses_mismatched_data(tmp_path):
    x, y = data_2d()
    with pytest.raises(
        InvalidArgumentError, match="`x_test` has 36 samples but `y_test` has 35"
    ):
        explain.report(sequential_2d(), x, y[:-1], out=tmp_path / "r.html")


def test_report_refuses_an_unknown_language(tmp_path):
    x, y = data_2d()
    with pytest.raises(
        InvalidArgumentError, match=r"`lang` must be one of \['en', 'fr'\]"
    ):
        explain.report(sequential_2d(), x, y, out=tmp_path / "r.html", lang="de")


def test_languages_have_the_same_words():
    from cnnkit.explain._i18n import TEXT

    assert set(TEXT["en"]) == set(TEXT["fr"])
    assert all(np.all([bool(v) for v in table.values()]) for table in TEXT.values())
