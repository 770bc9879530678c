"""Progbar: Keras' exact text, clean lines off a terminal, lazy values.

Golden files: ``tests/golden/progbar_*.txt`` (regenerate with CNNKIT_UPDATE_GOLDEN=1).
Control characters are spelled out there (``\\r``, ``\\x1b``), one redraw per line.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnkit.errors import InvalidArgumentError
from cnnkit.utils import progbar as progbar_module
from cnnkit.utils.progbar import Progbar, format_eta, format_step_time, print_msg

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def visible(text: str) -> str:
    """Same spelling as tests/callbacks/conftest.py: escapes, one redraw per line."""
    text = text.replace("\\", "\\\\").replace("\x1b", "\\x1b").replace("\b", "\\b")
    return text.replace("\r\n", "\\r\\n\n").replace("\r", "\\r\n")


def check_golden(name: str, text: str) -> None:
    path = GOLDEN_DIR / name
    text = visible(text)
    if os.environ.get("CNNKIT_UPDATE_GOLDEN") == "1":
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    if not path.exists():
        pytest.fail(
            f"Golden file {path} is missing; create it with CNNKIT_UPDATE_GOLDEN=1."
        )
    with open(path, encoding="utf-8", newline="") as handle:
        assert text == handle.read(), f"{name} changed; see CNNKIT_UPDATE_GOLDEN=1."


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


# Seconds taken by each step: a slow first step (excluded from the step time),
# and two steps shorter than the 0.05 s redraw interval (skipped redraws).
STEP_TIMES = (1.5, 0.3, 0.02, 0.3, 0.3, 0.04, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3)


def batch_logs(step: int) -> dict[str, float]:
    return {"accuracy": 0.5 + 0.02 * step, "loss": 1.0 / (step + 1), "tiny": 2e-5}


def run_epoch(
    bar: Any, clock: FakeClock, times: Sequence[float] = STEP_TIMES, lazy: bool = True
) -> None:
    """One epoch as ProgbarLogger drives it: lazy batch logs, then the epoch logs."""
    for step, seconds in enumerate(times, start=1):
        clock.now += seconds
        logs = (
            (lambda s=step: batch_logs(s)) if lazy else list(batch_logs(step).items())
        )
        bar.update(step, logs, finalize=False)
    final = {**batch_logs(len(times)), "val_accuracy": 0.9, "val_loss": 0.25}
    bar.update(len(times), list(final.items()), finalize=True)


def make_bar(
    clock: FakeClock, out: io.StringIO, target: int = len(STEP_TIMES), **kwargs: Any
) -> Progbar:
    kwargs.setdefault("stateless_metrics", set())
    return Progbar(target, clock=clock, stream=out, **kwargs)


# --- golden text -------------------------------------------------------------------


def test_terminal_text_golden() -> None:
    clock, out = FakeClock(), io.StringIO()
    run_epoch(make_bar(clock, out, dynamic=True, color=True), clock)
    run_epoch(make_bar(clock, out, dynamic=True, color=False), clock)
    check_golden("progbar_terminal.txt", out.getvalue())


def test_pipe_text_golden() -> None:
    clock, out = FakeClock(), io.StringIO()
    out.write("# default log_interval=60: only the final line\n")
    run_epoch(make_bar(clock, out, dynamic=False), clock)
    out.write("# log_interval=1.0: an interim line at most every second\n")
    run_epoch(make_bar(clock, out, dynamic=False, log_interval=1.0), clock)
    out.write("# a long epoch (7 s per step), default log_interval: a line a minute\n")
    run_epoch(make_bar(clock, out, 20, dynamic=False), clock, times=[7.0] * 20)
    check_golden("progbar_pipe.txt", out.getvalue())


def test_verbose2_text_golden() -> None:
    clock, out = FakeClock(), io.StringIO()
    for dynamic in (True, False):
        run_epoch(make_bar(clock, out, verbose=2, dynamic=dynamic), clock)
    check_golden("progbar_verbose2.txt", out.getvalue())


# --- terminal versus pipe ----------------------------------------------------------


def test_pipe_output_has_no_control_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock()
    bar = Progbar(len(STEP_TIMES), clock=clock, log_interval=1.0)  # stdout, not a TTY
    assert not bar.dynamic
    assert not bar.color
    run_epoch(bar, clock)
    text = capsys.readouterr().out
    assert not set(text) & {"\b", "\r", "\x1b"}
    assert text.endswith("val_loss: 0.2500\n")
    assert len(text.splitlines()) == 4  # three interim lines and the final one


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_detection_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    bar = Progbar(3, stream=_Terminal())
    assert (bar.dynamic, bar.color) == (True, True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert (
        Progbar(3, stream=_Terminal()).color,
        Progbar(3, stream=_Terminal()).dynamic,
    ) == (
        False,
        True,
    )


def test_jupyter_redraws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert Progbar(3, stream=io.StringIO()).dynamic


def test_closed_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    stream.close()
    assert not Progbar(3, stream=stream).dynamic


def test_shorter_redraw_is_padded() -> None:
    clock, out = FakeClock(), io.StringIO()
    bar = Progbar(2, clock=clock, stream=out, dynamic=True, color=False)
    clock.now += 1
    bar.update(1, [("loss", 12345.0)])
    clock.now += 1
    bar.update(2, [("loss", 1.0)], finalize=True)
    first, second = out.getvalue().split("\r")[1:]
    assert len(second.rstrip("\n")) == len(first)
    assert second.endswith(" \n")


# --- lazy values -------------------------------------------------------------------


class CountingLogs:
    """Lazy logs that count how often they are read (a GPU sync each time)."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> dict[str, float]:
        self.reads += 1
        return {"loss": 0.5}


@pytest.mark.parametrize(
    ("options", "expected_reads"),
    [
        ({"dynamic": True}, 10),  # every redraw: 12 steps, 2 inside the interval
        ({"dynamic": False}, 0),  # a log file: nothing before the epoch ends
        ({"dynamic": False, "log_interval": 1.0}, 3),  # interim lines only
        ({"verbose": 2}, 0),
        ({"verbose": 0}, 0),
    ],
)
def test_lazy_values_are_read_only_when_drawn(
    options: dict[str, Any], expected_reads: int
) -> None:
    clock, logs = FakeClock(), CountingLogs()
    bar = Progbar(len(STEP_TIMES), clock=clock, stream=io.StringIO(), **options)
    for step, seconds in enumerate(STEP_TIMES, start=1):
        clock.now += seconds
        bar.update(step, logs, finalize=False)
    assert logs.reads == expected_reads


def test_lazy_values_at_the_end_of_verbose2() -> None:
    clock, out, logs = FakeClock(), io.StringIO(), CountingLogs()
    bar = Progbar(2, verbose=2, clock=clock, stream=out)
    clock.now += 1
    bar.update(2, logs)
    assert logs.reads == 1
    assert out.getvalue() == "2/2 - 1s - 500ms/step - loss: 0.5000\n"


def test_lazy_values_are_never_averaged() -> None:
    clock, out = FakeClock(), io.StringIO()
    bar = Progbar(3, clock=clock, stream=out, dynamic=False)  # stateless by default
    for step, loss in enumerate([3.0, 2.0, 1.0], start=1):
        clock.now += 1
        bar.update(step, lambda loss=loss: {"loss": loss})
    assert out.getvalue().endswith("- loss: 1.0000\n")


# --- eager values: Keras' averaging rules ------------------------------------------


def test_eager_values_are_averaged_unless_stateful() -> None:
    clock, out = FakeClock(), io.StringIO()
    bar = Progbar(4, clock=clock, stream=out, dynamic=False, stateful_metrics=["acc"])
    bar.update(1, [("loss", 4.0), ("acc", 0.1)])
    bar.add(2, {"loss": 1.0, "acc": 0.2})  # two steps at once weigh double
    bar.update(4, [("acc", 0.3)], finalize=False)
    bar.update(4, finalize=True)
    assert out.getvalue().endswith("- loss: 2.0000 - acc: 0.3000\n")


def test_finalize_values_are_taken_as_given() -> None:
    out = io.StringIO()
    bar = Progbar(2, clock=FakeClock(), stream=out, dynamic=False)
    bar.update(1, {"loss": 4.0})
    bar.update(2, {"loss": 1.0})
    assert out.getvalue().endswith("- loss: 1.0000\n")


def test_value_formats() -> None:
    out = io.StringIO()
    bar = Progbar(1, clock=FakeClock(), stream=out, dynamic=False)
    values = {"big": 12.5, "small": -2e-4, "name": "adam", "count": 3}
    bar.update(1, values)
    assert out.getvalue().endswith(
        "- big: 12.5000 - small: -2.0000e-04 - name: adam - count: 3.0000\n"
    )


def test_unknown_target() -> None:
    clock, out = FakeClock(), io.StringIO()
    bar = Progbar(None, clock=clock, stream=out, dynamic=True, color=False)
    for step in (1, 2):
        clock.now += 0.5
        bar.update(step, {"loss": 1.0})
    bar.update(2, {"loss": 1.0}, finalize=True)
    assert (
        out.getvalue().split("\r")[-1]
        == "      2/Unknown 1s 500ms/step - loss: 1.0000\n"
    )


def test_verbose2_without_target_prints_nothing() -> None:
    out = io.StringIO()
    Progbar(None, verbose=2, stream=out).update(5, finalize=True)
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (60, "60s"),
        (61, "1:01"),
        (3600, "60:00"),
        (3601, "1:00:01"),
    ],
)
def test_format_eta(seconds: float, text: str) -> None:
    assert format_eta(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s/step"),
        (1.0, "1s/step"),
        (0.5, "500ms/step"),
        (1e-3, "1ms/step"),
        (9e-4, "900us/step"),
    ],
)
def test_format_step_time(seconds: float, text: str) -> None:
    assert format_step_time(seconds) == text


def test_print_msg_falls_back_to_ascii_cells() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    print_msg("1/3 ━──── 1s", stream=stream)
    assert raw.getvalue() == b"1/3 =.... 1s\n"


def test_progbar_does_not_import_torch_or_numpy() -> None:
    tree = ast.parse(Path(progbar_module.__file__).read_text())
    modules = {
        name.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for name in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not modules & {"torch", "numpy", "keras", "tensorflow"}


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stateful_metrics": ["a"], "stateless_metrics": ["b"]}, "only one of"),
        ({"verbose": 3}, r"`verbose` must be one of \[0, 1, 2\]; received verbose=3"),
        ({"target": -1}, "non-negative number of steps.*target=-1"),
        ({"target": "10"}, "target='10'"),
        ({"target": True}, "target=True"),
        ({"width": 0}, "positive integer; received width=0"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], match: str) -> None:
    kwargs.setdefault("target", 10)
    with pytest.raises(InvalidArgumentError, match=match):
        Progbar(**kwargs)


# --- oracle: keras.utils.Progbar ---------------------------------------------------


@contextlib.contextmanager
def keras_progbar(clock: FakeClock) -> Iterator[tuple[Any, io.StringIO]]:
    """Keras' Progbar with our clock, writing into a buffer."""
    from keras.src.utils import progbar as keras_module

    out = io.StringIO()
    with (
        mock.patch.object(keras_module, "time", types.SimpleNamespace(time=clock)),
        contextlib.redirect_stdout(out),
    ):
        yield keras_module.Progbar, out


def run_both(
    target: int | None,
    step_times: Sequence[float],
    values: Callable[[int], list[tuple[str, float]]],
    **kwargs: Any,
) -> tuple[str, str]:
    """The same updates on Keras' bar and ours (ours forced into terminal mode)."""
    outputs = []
    for build in ("keras", "ours"):
        clock = FakeClock()
        with keras_progbar(clock) as (keras_class, out):
            if build == "keras":
                bar = keras_class(target, **kwargs)
            else:
                bar = Progbar(target, clock=clock, dynamic=True, color=True, **kwargs)
            for step, seconds in enumerate(step_times, start=1):
                clock.now += seconds
                bar.update(step, values(step))
            if target is None:
                bar.update(len(step_times), values(len(step_times)), finalize=True)
        outputs.append(out.getvalue())
    return outputs[0], outputs[1]


def _values(step: int) -> list[tuple[str, float]]:
    return [
        ("accuracy", (0.37 * step) % 1),
        ("loss", 1.0 / step),
        ("tiny", -1e-5 * step),
    ]


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("target", "step_time", "kwargs"),
    [
        (10, 0.37, {}),
        (469, 0.0123, {}),
        (422, 0.0004, {"stateful_metrics": ["loss"]}),
        (5, 65.0, {}),
        (5, 3000.0, {"width": 30}),
        (None, 0.2, {}),
        (7, 0.2, {"verbose": 2}),
        (7, 2e-5, {"verbose": 2, "stateless_metrics": []}),
    ],
)
def test_text_matches_keras(
    target: int | None, step_time: float, kwargs: dict[str, Any]
) -> None:
    steps = target or 4
    times = [3 * step_time] + [step_time] * (steps - 1)
    keras_text, ours = run_both(target, times, _values, **kwargs)
    # Keras also erases with backspaces; everything else is identical, ANSI included.
    assert keras_text.replace("\b", "") == ours


@pytest.mark.oracle
@given(
    target=st.integers(1, 40),
    times=st.lists(st.floats(0.0, 5000.0), min_size=40, max_size=40),
    stateful=st.booleans(),
)
def test_text_matches_keras_property(
    target: int, times: list[float], stateful: bool
) -> None:
    kwargs = {"stateful_metrics": ["loss"]} if stateful else {}
    keras_text, ours = run_both(target, times[:target], _values, **kwargs)
    assert keras_text.replace("\b", "") == ours


@pytest.mark.oracle
def test_pipe_line_is_keras_last_redraw_without_styling() -> None:
    clock, out = FakeClock(), io.StringIO()
    run_epoch(make_bar(clock, out, dynamic=False), clock)
    clock = FakeClock()
    with keras_progbar(clock) as (keras_class, keras_out):
        run_epoch(
            keras_class(len(STEP_TIMES), stateless_metrics=set()), clock, lazy=False
        )
    last_redraw = ANSI.sub("", keras_out.getvalue().replace("\b", "")).split("\r")[-1]
    assert out.getvalue() == last_redraw.rstrip() + "\n"
