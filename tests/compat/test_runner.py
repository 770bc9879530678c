"""``cnnkit run SCRIPT [ARGS...]`` behaves like ``python SCRIPT [ARGS...]``.

Most cases run in this process through ``run_script`` (fast); a few run the real
``cnnkit`` and ``python -m cnnkit`` commands in a child process, where exit codes,
stderr and "which keras was imported" can be observed as a user sees them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cnnkit.compat import hook
from cnnkit.compat.runner import KEYBOARD_INTERRUPT_STATUS, exit_status, run_script

Cli = Callable[..., subprocess.CompletedProcess[str]]
WriteScript = Callable[..., Path]


@pytest.fixture(autouse=True)
def _no_hook_left_behind() -> object:
    """run_script installs the hook for good (a process runs one script); tests
    share a process, so it comes off again."""
    yield
    hook.uninstall()


def test_script_sees_argv_file_name_and_its_folder_on_sys_path(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        """
        import sys
        print(sys.argv)
        print(__file__)
        print(__name__)
        print(sys.path[0])
        """
    )
    saved_argv, saved_path = list(sys.argv), list(sys.path)
    assert run_script(str(script), ["--epochs", "3", "-h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        str([str(script), "--epochs", "3", "-h"]),
        str(script),
        "__main__",
        str(script.parent.resolve()),
    ]
    assert sys.argv == saved_argv
    assert sys.path == saved_path


def test_script_can_import_a_module_next_to_it(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    write_script("VALUE = 41\n", name="helper_module_for_runner.py")
    script = write_script("import helper_module_for_runner as h\nprint(h.VALUE + 1)\n")
    try:
        assert run_script(str(script)) == 0
    finally:
        sys.modules.pop("helper_module_for_runner", None)
    assert capsys.readouterr().out == "42\n"


def test_a_folder_with_a_main_module_runs_like_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "helper_module_in_app.py").write_text("NAME = 'helper'\n")
    (app / "__main__.py").write_text(
        "import sys, helper_module_in_app\nprint(helper_module_in_app.NAME, sys.argv[1:])\n"
    )
    try:
        assert run_script(str(app), ["x"]) == 0
    finally:
        sys.modules.pop("helper_module_in_app", None)
    assert capsys.readouterr().out == "helper ['x']\n"


@pytest.mark.parametrize(
    ("body", "status", "stderr"),
    [
        ("pass", 0, ""),
        ("import sys; sys.exit()", 0, ""),
        ("import sys; sys.exit(0)", 0, ""),
        ("import sys; sys.exit(3)", 3, ""),
        ("raise SystemExit(7)", 7, ""),
        ("import sys; sys.exit('bad input')", 1, "bad input\n"),
    ],
)
def test_exit_status_is_pythons(
    write_script: WriteScript,
    capsys: pytest.CaptureFixture[str],
    body: str,
    status: int,
    stderr: str,
) -> None:
    assert run_script(str(write_script(body + "\n"))) == status
    assert capsys.readouterr().err == stderr


def test_exit_status_helper() -> None:
    assert [exit_status(c) for c in (None, 0, 5, True, False)] == [0, 0, 5, 1, 0]


def test_uncaught_exception_prints_the_traceback_from_the_script(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        """
        def train():
            raise ValueError("shapes do not fit")

        train()
        """
    )
    assert run_script(str(script)) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert f'File "{script}", line 5, in <module>' in err
    assert f'File "{script}", line 3, in train' in err
    assert err.rstrip().endswith("ValueError: shapes do not fit")
    # The runner's own frames are not the user's business.
    assert "runpy" not in err
    assert "runner.py" not in err


def test_keyboard_interrupt_exits_130(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script("raise KeyboardInterrupt\n")
    assert run_script(str(script)) == KEYBOARD_INTERRUPT_STATUS == 130
    assert capsys.readouterr().err.rstrip().endswith("KeyboardInterrupt")


def test_syntax_error_is_reported_like_python(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script("x = (\n")
    assert run_script(str(script)) == 1
    err = capsys.readouterr().err
    assert f'File "{script}", line 1' in err
    assert "SyntaxError: '(' was never closed" in err


def test_missing_script_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.py"
    assert run_script(str(missing)) == 2
    assert capsys.readouterr().err == (
        f"cnnkit run: can't open file '{missing}': [Errno 2] No such file or directory\n"
    )


def test_script_imports_keras_from_cnnkit(
    write_script: WriteScript, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        """
        import keras
        import tensorflow as tf
        from tensorflow.keras.layers import Conv2D
        print(Conv2D.__module__, tf.keras.Sequential.__module__)
        """
    )
    assert run_script(str(script)) == 0
    assert capsys.readouterr().out == (
        "cnnkit.layers.convolutional.conv2d cnnkit.models.sequential\n"
    )


# ------------------------------------------------------------------ subprocesses

PROBE = """
import sys
import keras
import tensorflow as tf
from tensorflow import keras as tf_keras
from tensorflow.keras.layers import Dense
print("keras:", keras.Sequential.__module__)
print("tf.keras:", tf.keras.layers.Conv2D.__module__, tf_keras.Model.__module__)
print("Dense:", Dense.__module__)
print("tf:", tf.__version__)
real = sorted(
    name for name, module in sys.modules.items()
    if "site-packages" in (getattr(module, "__file__", None) or "")
    and name.split(".")[0] in ("keras", "tensorflow", "tf_keras")
)
print("real keras/tensorflow modules:", real)
print("argv:", sys.argv[1:])
sys.exit(int(sys.argv[1]))
"""


@pytest.mark.parametrize("module", [False, True], ids=["cnnkit", "python -m cnnkit"])
def test_cli_runs_script_with_cnnkit_not_the_installed_keras(
    cli: Cli, write_script: WriteScript, tmp_path: Path, module: bool
) -> None:
    # A fake TensorFlow on the path stands for an installed one: it must never load.
    fake = tmp_path / "site" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise RuntimeError('real tensorflow imported')\n"
    )
    script = write_script(PROBE)
    result = cli(
        "run", script, "4", "--flag",
        module=module,
        env={"PYTHONPATH": str(tmp_path / "site"), "KERAS_BACKEND": "torch"},
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "keras: cnnkit.models.sequential"
    assert out[1] == "tf.keras: cnnkit.layers.convolutional.conv2d cnnkit.models.model"
    assert out[2] == "Dense: cnnkit.layers.core.dense"
    assert out[3].startswith("tf: 2.16.0+cnnkit.")
    assert out[4] == "real keras/tensorflow modules: []"
    assert out[5] == "argv: ['4', '--flag']"


def test_cli_uncaught_exception_exits_1_with_the_traceback(
    cli: Cli, write_script: WriteScript
) -> None:
    script = write_script("import tensorflow as tf\nds = tf.strings.split\n")
    result = cli("run", script)
    assert result.returncode == 1
    assert result.stdout == ""
    assert f'File "{script}", line 2, in <module>' in result.stderr
    assert (
        result.stderr.rstrip()
        .splitlines()[-1]
        .startswith(
            "AttributeError: tf.strings is not available: cnnkit's TensorFlow "
            "stand-in covers tf.keras"
        )
    )


def test_cli_deprecation_warnings_reach_the_user(
    cli: Cli, write_script: WriteScript
) -> None:
    """Python shows DeprecationWarnings raised from __main__: the script is __main__."""
    script = write_script(
        """
        from keras.optimizers import SGD
        opt = SGD(lr=0.5)
        print(opt.learning_rate)
        """
    )
    result = cli("run", script, env={"PYTHONWARNINGS": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0.5\n"
    assert f"{script}:3: DeprecationWarning: SGD: `lr` is deprecated; use " in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("args", "status", "stream", "text"),
    [
        ([], 2, "err", "cnnkit run: error: SCRIPT is missing"),
        (["--help"], 0, "out", "usage: cnnkit run [--check] SCRIPT [ARGS...]"),
        (["-h"], 0, "out", "--check     list every Keras/TensorFlow name"),
        (["--bogus", "x.py"], 2, "err", "unknown option '--bogus'"),
        (["--check"], 2, "err", "--check takes exactly one SCRIPT"),
        (["--check", "a.py", "b"], 2, "err", "--check takes exactly one SCRIPT"),
        (["--"], 2, "err", "SCRIPT is missing after --"),
    ],
)
def test_run_command_usage(
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    status: int,
    stream: str,
    text: str,
) -> None:
    from cnnkit.cli import main

    assert main(["run", *args]) == status
    assert text in getattr(capsys.readouterr(), stream)


def test_double_dash_runs_a_script_whose_name_starts_with_a_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnnkit.cli import main

    (tmp_path / "-odd.py").write_text("print('ran')\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--", "-odd.py"]) == 0
    assert capsys.readouterr().out == "ran\n"


def test_run_is_listed_in_the_main_help() -> None:
    from cnnkit.cli import build_parser

    help_text = " ".join(build_parser().format_help().split())
    assert "run a Keras/tf.keras script unchanged on cnnkit" in help_text


def test_run_reached_through_argparse_prints_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cnnkit.cli import build_parser

    args = build_parser().parse_args(["run"])
    assert args.handler(args) == 2
    assert "SCRIPT is missing" in capsys.readouterr().err


def test_environment_of_the_test_process_is_clean() -> None:
    """The child processes above must not have left the hook in this process."""
    assert not hook.is_installed()
    assert os.environ.get("CNNKIT_HOME")  # tests use a private, empty home
