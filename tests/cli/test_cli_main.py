"""The ``cnnkit`` command itself: entry points, ``--help`` everywhere, error handling."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_helpers import CNNKIT_SCRIPT, Cli

from cnnkit import __version__
from cnnkit.errors import DatasetError

SUBCOMMANDS = [
    ["train"],
    ["evaluate"],
    ["predict"],
    ["summary"],
    ["export"],
    ["datasets"],
    ["datasets", "list"],
    ["datasets", "fetch"],
    ["datasets", "verify"],
]


def test_console_script_and_python_m_both_run() -> None:
    script = subprocess.run(
        [str(CNNKIT_SCRIPT), "--help"], capture_output=True, text=True, timeout=120
    )
    assert script.returncode == 0, script.stderr
    for name in ("train", "evaluate", "predict", "summary", "export", "datasets"):
        assert name in script.stdout
    module = subprocess.run(
        [sys.executable, "-m", "cnnkit", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (module.returncode, module.stdout) == (0, f"cnnkit {__version__}\n")


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help(cli: Cli, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: cnnkit {' '.join(command)}")
    assert result.err == ""


def test_no_command_is_a_one_line_usage_error(cli: Cli) -> None:
    result = cli()
    assert result.code == 2
    assert result.err == (
        "cnnkit: error: the following arguments are required: COMMAND "
        "(see `cnnkit --help`)\n"
    )


def test_unknown_command_lists_the_commands(cli: Cli) -> None:
    result = cli("trian")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "invalid choice: 'trian'" in result.err
    assert "'train'" in result.err


def test_datasets_needs_an_action(cli: Cli) -> None:
    result = cli("datasets")
    assert result.code == 2
    assert result.err.startswith("cnnkit datasets: error: the following arguments")
    assert result.err.count("\n") == 1


def test_library_error_prints_its_first_line_and_exits_1(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(args: object) -> int:
        raise ValueError("Conv2D 'conv2d' cannot take this input.\n  1. cause\n")

    # main() builds its parser on each call, so it picks up the patched handler.
    monkeypatch.setattr("cnnkit.cli.model_commands.run_summary", fail)
    result = cli("summary", "x.keras")
    assert result.code == 1
    assert result.err == "cnnkit: error: Conv2D 'conv2d' cannot take this input.\n"


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (FileNotFoundError(), "cnnkit: error: FileNotFoundError\n"),
        (
            ModuleNotFoundError("No module named 'onnx'"),
            "cnnkit: error: No module named 'onnx'\n",
        ),
        (RuntimeError("boom"), "cnnkit: error: boom\n"),
    ],
)
def test_errors_without_a_usable_message_still_get_one_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, exc: Exception, message: str
) -> None:
    def fail(args: object) -> int:
        raise exc

    monkeypatch.setattr("cnnkit.cli.model_commands.run_summary", fail)
    result = cli("summary", "x.keras")
    assert (result.code, result.err) == (1, message)


def test_dataset_error_keeps_the_sources_it_tried(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(args: object) -> int:
        raise DatasetError("Could not load MNIST.\n  1. cache -> not found\nTo fix: x")

    monkeypatch.setattr("cnnkit.cli.data_commands.run_verify", fail)
    result = cli("datasets", "verify", "mnist")
    assert result.code == 1
    assert result.err == (
        "cnnkit: error: Could not load MNIST.\n  1. cache -> not found\nTo fix: x\n"
    )


def test_ctrl_c_exits_130_without_a_traceback(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("cnnkit.cli.data_commands.run_list", interrupted)
    result = cli("datasets", "list")
    assert (result.code, result.err) == (130, "cnnkit: interrupted\n")


def test_a_closed_pipe_ends_quietly() -> None:
    # `cnnkit datasets list | head -0`: the reader is gone before anything is written.
    with subprocess.Popen(
        [str(CNNKIT_SCRIPT), "datasets", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()
        err = process.stderr.read().decode()
        assert process.wait(timeout=120) == 141
    assert err == ""


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["trian"], "Did you mean 'train'?"),
        (["train", "--epocs", "1"], "Did you mean '--epochs'?"),
        (["train", "--dataset", "mnsit"], "Did you mean 'mnist'?"),
        (["evaluate", "m.keras", "--dataset", "fasion_mnist"], "'fashion_mnist'"),
    ],
)
def test_typos_get_a_suggestion_before_anything_runs(
    cli: Cli, args: list[str], hint: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert hint in result.err
    assert result.out == ""  # nothing was loaded ("Loading mnsit...") first
    assert result.err.count("\n") == 1


def test_a_word_far_from_every_command_gets_no_suggestion(cli: Cli) -> None:
    result = cli("zzzz")
    assert "Did you mean" not in result.err


def test_summary_help_describes_the_command(cli: Cli) -> None:
    result = cli("summary", "--help")
    assert "with their output shapes and parameter counts" in " ".join(
        result.out.split()
    )
