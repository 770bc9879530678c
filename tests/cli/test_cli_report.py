"""``cnnkit report``: train on a tiny set, then write the report from the files."""

from __future__ import annotations

import json
import re

import numpy as np
from cli_helpers import Cli, mnist_like


def test_train_then_report_on_an_npz_end_to_end(cli: Cli, fake_mnist, tmp_path):
    trained = cli("train", "--epochs", "2", "--name", "tiny", "--output-dir", tmp_path,
                  "--batch-size", "20", "--verbose", "0")  # fmt: skip
    assert trained.code == 0, trained.err
    run_dir = tmp_path / "tiny"
    assert "doctor" in json.loads((run_dir / "metrics.json").read_text())
    _, (x_test, y_test) = mnist_like(10, 30)  # uint8, no channel axis: as Keras gives
    data = tmp_path / "test.npz"
    np.savez(data, x_test=x_test, y_test=y_test)
    out = tmp_path / "rapport.html"
    result = cli(
        "report", run_dir / "model.keras", "--data", data, "--out", out, "--lang", "fr"
    )
    assert result.code == 0, result.err
    assert str(out) in result.out
    assert "file://" in result.out
    page = out.read_text("utf-8")
    assert "https://" not in page
    assert "http://" not in page
    assert all(
        tag.startswith('<img alt="') and 'src="data:image/png;base64,' in tag
        for tag in re.findall(r"<img [^>]*>", page)
    )
    for anchor in ("summary", "training", "test", "confusion", "per-class", "mistakes",
                   "filters", "activations", "watch", "doctor"):  # fmt: skip
        assert f'id="{anchor}"' in page, anchor
    assert "Matrice de confusion" in page
    assert "Sur 30 exemples de test." in page


def test_report_finds_history_csv_next_to_an_older_model(
    cli: Cli, model_file, tmp_path
):
    (model_file.parent / "history.csv").write_text("epoch,loss\n0,2.0\n1,1.0\n")
    _, (x_test, y_test) = mnist_like(10, 20)
    np.savez(tmp_path / "d.npz", x_test=x_test, y_test=y_test)
    out = tmp_path / "r.html"
    result = cli("report", model_file, "--data", tmp_path / "d.npz", "--out", out)
    assert result.code == 0, result.err
    assert "No training history" not in out.read_text("utf-8")


def test_report_errors_are_one_line(cli: Cli, model_file, tmp_path):
    missing = cli("report", model_file, "--data", tmp_path / "none.npz")
    assert missing.code == 1
    assert "`--data`: no file at" in missing.err
    np.savez(tmp_path / "x.npz", x_train=np.zeros(2))
    wrong = cli("report", model_file, "--data", tmp_path / "x.npz")
    assert wrong.code == 1
    assert "has no x_test or y_test; its arrays are ['x_train']" in wrong.err
