"""The Keras 3 progress bar, with clean output for log files and pipes.

The text is Keras 3's, character for character (``keras.utils.Progbar``)::

    422/422 ━━━━━━━━━━━━━━━━━━━━ 7s 12ms/step - accuracy: 0.7617 - loss: 0.7649

It differs from Keras on purpose in three ways:

* **Terminals versus logs** (Keras issue #8414). Keras redraws with ``\\b`` and
  ``\\r`` on every POSIX system, so a log file or a ``tee`` gets one garbled line
  per update. Here the live redraw (``\\r``, colours) happens only when the stream
  is a terminal or a Jupyter kernel. Anywhere else ``verbose=1`` prints plain
  lines: the final line of each epoch, plus at most one interim line (with its ETA)
  every ``log_interval`` seconds, 60 by default, so a long epoch still shows signs
  of life in a CI log. ``log_interval=None`` (or 0) prints only final lines.
  ``verbose=2`` prints one line per epoch everywhere. Without colour the
  remaining cells are drawn ``─`` so that an interim bar still shows progress
  (Keras relies on colour alone; its final lines are unchanged).
* **Lazy values.** ``update(current, values)`` accepts a zero-argument callable
  returning the logs dict. It is called only when the bar really redraws, so a
  training loop whose metrics live on a GPU synchronises once per redraw (at most
  every ``interval`` seconds, or never in a log file until the epoch ends) instead of
  once per batch. Lazy values must already be running means; they are shown as
  given, never averaged again.
* **Injectable clock and stream**, so tests get deterministic text.

This module imports neither torch nor numpy: it is plain text.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any, TypeAlias

from cnnkit.errors import InvalidArgumentError

__all__ = ["Progbar", "format_eta", "format_step_time", "print_msg"]

Clock: TypeAlias = Callable[[], float]
LogValues: TypeAlias = Mapping[str, Any] | Iterable[tuple[str, Any]]
LazyValues: TypeAlias = Callable[[], Mapping[str, Any]]

# The exact escape codes Keras writes, so a terminal shows the same colours.
_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_CELL = "━"
# Without colour, done and remaining cells must differ or the bar says nothing; Keras
# (styling stripped) shows all cells alike. Final lines are all done, so identical.
_PENDING_CELL = "─"


def print_msg(
    message: str, line_break: bool = True, stream: IO[str] | None = None
) -> None:
    """Write ``message`` to ``stream`` (default: the current ``sys.stdout``) and flush.

    Streams whose encoding lacks ``━`` get ``=`` instead (and ``.`` for the
    uncoloured ``─``), as Keras does, rather than a ``UnicodeEncodeError`` in the
    middle of training.

    Example:
        >>> print_msg("Epoch 1/2")
        Epoch 1/2
    """
    out = sys.stdout if stream is None else stream
    text = f"{message}\n" if line_break else message
    try:
        out.write(text)
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "utf-8"
        text = text.replace(_CELL, "=").replace(_PENDING_CELL, ".")
        text = text.encode(encoding, "replace").decode(encoding)
        out.write(text)
    out.flush()


def format_eta(seconds: float) -> str:
    """Format a remaining time as Keras does: ``Ns``, ``M:SS`` or ``H:MM:SS``.

    Example:
        >>> format_eta(42.9), format_eta(125), format_eta(3725)
        ('42s', '2:05', '1:02:05')
    """
    if seconds > 3600:
        hours, minutes = int(seconds // 3600), int((seconds % 3600) // 60)
        return f"{hours}:{minutes:02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def format_step_time(seconds: float, unit_name: str = "step") -> str:
    """Format a duration per unit as ``Ns/step``, ``Nms/step`` or ``Nus/step``.

    Example:
        >>> format_step_time(0.0123), format_step_time(2.4), format_step_time(4e-5)
        ('12ms/step', '2s/step', '40us/step')
    """
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_value(value: Any, count: int, *, use_abs: bool) -> str:
    try:
        mean = float(value) / max(1, count)
    except (TypeError, ValueError):
        return f" {value}"
    # Keras' verbose=2 line compares without abs(), so small negative values print
    # in scientific notation there; kept for identical text.
    size = abs(mean) if use_abs else mean
    return f" {mean:.4f}" if size > 1e-3 else f" {mean:.4e}"


def _stream_is_tty(stream: IO[str] | None) -> bool:
    out = sys.stdout if stream is None else stream
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class Progbar:
    """Displays a progress bar, in Keras 3's exact text format.

    Args:
        target: Total number of steps expected, ``None`` if unknown.
        width: Number of ``━`` cells in the bar.
        verbose: 0 (silent), 1 (live bar) or 2 (one line when finished).
        interval: Minimum time in seconds between two redraws.
        stateful_metrics: Names whose values are shown as given. Every other name
            passed as an eager dict or list is averaged over steps, as in Keras.
            Cannot be combined with ``stateless_metrics``.
        stateless_metrics: Names that are averaged; every other name is shown as
            given. ``stateless_metrics=set()`` averages nothing.
        unit_name: Name of a step in the time display (``"step"``, ``"sample"``).
        clock: Returns the time in seconds; default ``time.monotonic``.
        stream: Where to write; default the current ``sys.stdout`` at each write.
        dynamic: ``True`` for ``\\r`` redraws, ``False`` for plain lines; ``None``
            picks redraws only for a terminal or a Jupyter kernel.
        color: ANSI colours in redraws; ``None`` means when ``dynamic`` and the
            ``NO_COLOR`` variable is unset. Plain-line output is never coloured.
        log_interval: In plain-line mode, seconds between interim lines while a
            bar runs; ``None`` or 0 prints only the final line.

    Raises:
        InvalidArgumentError: For both ``stateful_metrics`` and
            ``stateless_metrics``, an unknown ``verbose``, or a negative ``target``
            or non-positive ``width``.

    Example:
        >>> import io
        >>> out, now = io.StringIO(), [0.0]
        >>> bar = Progbar(3, stream=out, clock=lambda: now[0])
        >>> for step in (1, 2, 3):
        ...     now[0] += 0.25
        ...     bar.update(step, lambda: {"loss": 1.0 / step})
        >>> print(out.getvalue(), end="")
        3/3 ━━━━━━━━━━━━━━━━━━━━ 1s 250ms/step - loss: 0.3333
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
        *,
        clock: Clock | None = None,
        stream: IO[str] | None = None,
        dynamic: bool | None = None,
        color: bool | None = None,
        log_interval: float | None = 60.0,
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise InvalidArgumentError(
                "Progbar: pass only one of `stateful_metrics` (names shown as given, "
                "the others averaged) or `stateless_metrics` (names averaged, the "
                "others shown as given); received both."
            )
        if verbose not in (0, 1, 2):
            raise InvalidArgumentError(
                "Progbar: `verbose` must be one of [0, 1, 2]; "
                f"received verbose={verbose!r}."
            )
        if target is not None and (
            not isinstance(target, numbers.Integral)
            or isinstance(target, bool)
            or target < 0
        ):
            raise InvalidArgumentError(
                "Progbar: `target` must be a non-negative number of steps, or None "
                f"when unknown; received target={target!r}."
            )
        if not isinstance(width, int) or isinstance(width, bool) or width <= 0:
            raise InvalidArgumentError(
                "Progbar: `width` must be a positive integer; "
                f"received width={width!r}."
            )
        self.target: int | None = None if target is None else int(target)
        self.width = width
        self.verbose = int(verbose)
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics: set[str] | None = None
        self.stateless_metrics: set[str] | None = None
        if stateless_metrics is not None:
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
        self.log_interval = log_interval
        self._stream = stream
        self._clock: Clock = clock or time.monotonic
        self.dynamic = (
            dynamic
            if dynamic is not None
            else _stream_is_tty(stream) or "ipykernel" in sys.modules
        )
        self.color = (
            color
            if color is not None
            else self.dynamic and "NO_COLOR" not in os.environ
        )
        # name -> (sum or value, count); dicts keep first-seen order, as Keras shows.
        self._values: dict[str, tuple[Any, int]] = {}
        self._seen_so_far = 0
        self._start = self._clock()
        self._last_update: float | None = None
        self._last_line = self._start
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def update(
        self,
        current: int,
        values: LogValues | LazyValues | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Move the bar to step ``current`` and maybe redraw it.

        Args:
            current: Number of steps done so far (1 after the first step).
            values: ``{name: value}`` or ``[(name, value), ...]`` for this step, or a
                zero-argument callable returning the dict, called only if the bar
                redraws now; its values are shown as given.
            finalize: Whether this is the last update; defaults to
                ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        lazy = values if callable(values) else None
        if lazy is None:
            self._record(values, current, finalize)  # type: ignore[arg-type]
        self._seen_so_far = current
        now = self._clock()
        # Every update feeds the step-time estimate, drawn or not, as in Keras.
        per_step = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            self._update_bar(current, now, per_step, finalize, lazy)
        elif self.verbose == 2 and finalize and self.target:
            if lazy is not None:
                self._record_as_given(lazy())
            self._write(self._summary_line(current, now, per_step) + "\n")

    def add(self, n: int, values: LogValues | LazyValues | None = None) -> None:
        """Advance the bar by ``n`` steps (see ``update``)."""
        self.update(self._seen_so_far + n, values)

    def _update_bar(
        self,
        current: int,
        now: float,
        per_step: float,
        finalize: bool,
        lazy: LazyValues | None,
    ) -> None:
        if not finalize:
            if (
                self._last_update is not None
                and now - self._last_update < self.interval
            ):
                return
            if not self.dynamic and not (
                self.log_interval and now - self._last_line >= self.log_interval
            ):
                return
        if lazy is not None:
            self._record_as_given(lazy())
        line, width = self._bar_line(current, now, per_step, finalize)
        if self.dynamic:
            # Pad with spaces so a shorter line fully covers the previous one.
            pad = " " * max(self._prev_total_width - width, 0)
            self._write("\r" + line + pad + ("\n" if finalize else ""))
        else:
            self._write(line + "\n")
            self._last_line = now
        self._prev_total_width = width
        self._last_update = now

    def _bar_line(
        self, current: int, now: float, per_step: float, finalize: bool
    ) -> tuple[str, int]:
        """The verbose=1 line, styled or not, and its visible width."""
        style = self.color
        if self.target:
            digits = int(math.log10(self.target)) + 1
            count = f"{int(current):{digits}d}/{self.target}"
            filled = int(self.width * (float(current) / self.target))
            done, todo = _CELL * filled, _CELL * (self.width - filled)
            plain = f"{count} {done}{todo}"
            bar = f"{count} {done}{_PENDING_CELL * (self.width - filled)}"
            if style:
                bar = f"{_BOLD}{count}{_RESET} "
                bar += f"{_GREEN}{done}{_RESET}" if filled > 0 else ""
                bar += f"{_GREY}{todo}{_RESET}"
        else:
            bar = plain = f"{int(current):7d}/Unknown"
        if self.target and not finalize:
            timing = format_eta(per_step * (self.target - current))
        else:
            timing = f"{now - self._start:.0f}s"
        rest = f" {format_step_time(per_step, self.unit_name)}"
        rest += self._metrics_text(use_abs=True)
        shown = f" {_BOLD}{timing}{_RESET}" if style else f" {timing}"
        return bar + shown + rest, len(plain) + 1 + len(timing) + len(rest)

    def _summary_line(self, current: int, now: float, per_step: float) -> str:
        """The verbose=2 line: count, elapsed time, step time and values."""
        digits = int(math.log10(self.target or 1)) + 1
        count = f"{int(current):{digits}d}/{self.target}"
        line = f"{count} - {now - self._start:.0f}s"
        line += f" - {format_step_time(per_step, self.unit_name)}"
        return line + self._metrics_text(use_abs=False)

    def _metrics_text(self, *, use_abs: bool) -> str:
        return "".join(
            f" - {name}:" + _format_value(value, count, use_abs=use_abs)
            for name, (value, count) in self._values.items()
        )

    def _is_averaged(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in (self.stateless_metrics or ())

    def _record(self, values: LogValues | None, current: int, finalize: bool) -> None:
        """Store eager values, averaging the stateless ones over steps as Keras does."""
        items = values.items() if isinstance(values, Mapping) else (values or ())
        for name, value in items:
            if finalize or isinstance(value, str) or not self._is_averaged(name):
                self._values[name] = (value, 1)
                continue
            # Weight by the steps since the last update, so skipped steps still count.
            steps = max(current - self._seen_so_far, 1)
            total, count = self._values.get(name, (0.0, 0))
            self._values[name] = (total + value * steps, count + steps)

    def _record_as_given(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            self._values[name] = (value, 1)

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the first (warm-up) step once possible."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step

    def _write(self, text: str) -> None:
        print_msg(text, line_break=False, stream=self._stream)
