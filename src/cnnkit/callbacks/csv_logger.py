"""``CSVLogger``: write each epoch's logs as one row of a CSV file.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "log.csv"
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"accuracy": 0.5, "loss": 0.75})
    >>> logger.on_train_end()
    >>> print(path.read_text(), end="")  # read_text turns "\\r\\n" into "\\n"
    epoch,accuracy,loss,val_accuracy,val_loss
    0,0.5,0.75,NA,NA
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import IO, Any

from cnnkit.callbacks.callback import Callback, Logs

__all__ = ["CSVLogger"]


def _cell(value: Any) -> Any:
    """Strings and scalars as they are; sequences as a quoted ``[a, b]``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and getattr(value, "ndim", 1) != 0:
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Callback that streams epoch results to a CSV file.

    The header is ``epoch`` (0-based) followed by the sorted log keys of the first
    epoch. If that epoch has no ``val_*`` key, a ``val_<key>`` column is added for
    every key anyway and filled with ``NA``, so that a later run with validation
    writes the same columns. Rows end with ``\\r\\n`` (the csv module's default,
    as in Keras). The file is flushed after each epoch, so a crash loses nothing.

    Args:
        filename: Path of the CSV file.
        separator: Column separator.
        append: Append to an existing file (write the header only if it is
            empty) instead of overwriting it; useful when resuming training.
    """

    def __init__(
        self,
        filename: str | os.PathLike[str],
        separator: str = ",",
        append: bool = False,
    ) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter[str] | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: IO[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Open the file (append or overwrite)."""
        from cnnkit.distributed import is_main_process

        if not is_main_process():  # under DDP only rank 0 writes
            return
        mode = "w"
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # newline="" lets the csv module write its own line ends on every OS.
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Write one row, and the header before the first one."""
        from cnnkit.distributed import is_main_process

        if not is_main_process():
            return
        logs = logs or {}
        if self.csv_file is None:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file,  # type: ignore[arg-type]
                fieldnames=["epoch", *self.keys],
                delimiter=self.sep,
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch, **{key: _cell(logs.get(key, "NA")) for key in self.keys}}
        self.writer.writerow(row)
        if self.csv_file is not None:
            self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Close the file."""
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
