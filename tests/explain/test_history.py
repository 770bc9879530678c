"""``explain.load_history``: every place a training history is kept."""

from __future__ import annotations

import math

import pytest

from cnnkit import callbacks, explain
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

from .report_models import data_2d, sequential_2d, trained


def test_history_from_fit_model_dict_and_csvlogger_agree(tmp_path):
    x, y = data_2d()
    csv = tmp_path / "log.csv"
    model = trained(sequential_2d(), x, y, callbacks=[callbacks.CSVLogger(csv)])
    from_history = explain.load_history(model.history)
    assert explain.load_history(model) == from_history
    assert explain.load_history(model.history.history) == from_history
    from_csv = explain.load_history(str(csv))
    assert set(from_csv) == set(from_history)  # the NA validation columns dropped
    for key, values in from_history.items():
        assert from_csv[key] == pytest.approx(values, rel=1e-6)


def test_nan_epochs_are_kept_as_nan():
    logs = explain.load_history({"loss": [1.0, float("nan")], "empty": [float("nan")]})
    assert list(logs) == ["loss"]
    assert math.isnan(logs["loss"][1])


@pytest.mark.parametrize(
    ("source", "error", "match"),
    [
        ("missing.csv", InvalidArgumentError, "no file at 'missing.csv'"),
        (3, InvalidTypeError, "received int"),
        ({"loss": ["a"]}, InvalidArgumentError, r"`history`\['loss'\] must be a list"),
    ],
)
def test_errors_teach(source, error, match):
    with pytest.raises(error, match=match):
        explain.load_history(source)


def test_a_csv_that_is_not_a_log_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidArgumentError, match="is not a CSVLogger file"):
        explain.load_history(path)
