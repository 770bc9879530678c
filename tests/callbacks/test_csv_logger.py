"""CSVLogger: header, NA-filled val columns, append, separator, flush per epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cnnkit.callbacks import CSVLogger

EPOCH_LOGS = [
    {"loss": 0.9, "accuracy": 0.5},
    {"loss": 0.7, "accuracy": 0.625, "val_loss": 0.8},
    {"loss": 0.5, "accuracy": 0.75},
]


def run(logger: Any, epochs: list[dict[str, Any]], first_epoch: int = 0) -> None:
    logger.on_train_begin({})
    for epoch, logs in enumerate(epochs, start=first_epoch):
        logger.on_epoch_end(epoch, dict(sorted(logs.items())))
    logger.on_train_end({})


def read_bytes(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def test_csv_text_golden(tmp_path: Path, golden: Any) -> None:
    sections = []
    for title, kwargs, epochs in [
        ("no val keys at first: val_* columns filled with NA", {}, EPOCH_LOGS),
        ("val keys present", {"separator": ";"}, [{"loss": 0.5, "val_loss": 0.6}]),
        ("a vector value", {}, [{"loss": 0.5, "per_class": np.array([0.25, 0.75])}]),
    ]:
        path = tmp_path / f"{len(sections)}.csv"
        run(CSVLogger(path, **kwargs), epochs)
        sections.append(f"# {title}\n{read_bytes(path)}")
    path = tmp_path / "resumed.csv"
    run(CSVLogger(path), EPOCH_LOGS[:1])
    run(CSVLogger(path, append=True), EPOCH_LOGS[1:], first_epoch=1)
    sections.append(f"# resumed with append=True: one header\n{read_bytes(path)}")
    golden("csv_logger.txt", "".join(sections))


def test_rows_are_flushed_every_epoch(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5})
    assert read_bytes(path) == "epoch,loss,val_loss\r\n0,0.5,NA\r\n"
    logger.on_train_end()


def test_append_to_an_empty_file_writes_the_header(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("")
    run(CSVLogger(path, append=True), [{"loss": 0.5}])
    assert read_bytes(path).startswith("epoch,loss")


def test_overwrites_without_append(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("old\n")
    run(CSVLogger(str(path)), [{"loss": 0.5}])
    assert "old" not in read_bytes(path)


def test_restarting_closes_the_previous_file(tmp_path: Path) -> None:
    logger = CSVLogger(tmp_path / "log.csv")
    logger.on_train_begin()
    first = logger.csv_file
    logger.on_train_begin()
    assert first is not None
    assert first.closed
    logger.on_train_end()


def test_epoch_end_without_train_begin_opens_the_file(tmp_path: Path) -> None:
    logger = CSVLogger(tmp_path / "log.csv")
    logger.on_epoch_end(0, {"loss": 0.5})
    logger.on_train_end()
    assert read_bytes(tmp_path / "log.csv").startswith("epoch,loss")


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("kwargs", "epochs"),
    [
        ({}, EPOCH_LOGS),
        ({"separator": "\t"}, EPOCH_LOGS),
        ({}, [{"val_accuracy": 0.5, "loss": 0.25, "val_loss": 0.5}, {"loss": 0.125}]),
        ({}, [{"loss": 0.5, "per_class": np.array([0.25, 0.75]), "name": "adam"}]),
        ({}, [{}]),
    ],
)
def test_file_matches_keras(
    tmp_path: Path, kwargs: dict[str, Any], epochs: list[Any]
) -> None:
    import keras

    ours, theirs = tmp_path / "ours.csv", tmp_path / "keras.csv"
    for path in (ours, theirs):
        path.write_text("epoch,loss\r\n7,0.1\r\n")  # an earlier run, for append
    for make, path in ((CSVLogger, ours), (keras.callbacks.CSVLogger, theirs)):
        run(make(path, **kwargs), epochs)
        run(make(path, append=True, **kwargs), epochs, first_epoch=len(epochs))
    assert read_bytes(ours) == read_bytes(theirs)
