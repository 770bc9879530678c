"""Every runnable snippet of README.md works as pasted.

Runnable means: each fenced ``sh`` and ``python`` block (English and French), and
each inline command that starts with ``cnnkit`` or ``.venv/bin/cnnkit`` and names
real files (no ``<name>`` or ``...`` placeholder; the indented blocks are synopses).
A block marked ``<!-- readme-test: fragment ... -->`` is an excerpt and says where
its whole program is.

They run in a sandbox folder that looks like the project after ``make demo``: the
project's ``.venv`` and ``examples`` are linked in, and ``runs/demo`` holds a model
that ``cnnkit train`` has just trained. To keep the suite quick, trainings run one
epoch on a subset (``--epochs 1 --max-samples 2000``; ``epochs=5`` becomes
``epochs=1``) and reports read 300 test images: the commands are otherwise as
written.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
QUICK_TRAIN = ["--epochs", "1", "--max-samples", "2000"]
QUICK_REPORT = ["--max-samples", "300"]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of each fenced block not marked as a fragment."""
    blocks = []
    pattern = re.compile(
        r"(<!-- readme-test: fragment[^>]*-->\n)?```(\w+)\n(.*?)```", re.S
    )
    for match in pattern.finditer(text):
        if match[1] is None and match[2] in ("sh", "python"):
            blocks.append((match[2], match[3]))
    return blocks


def inline_commands(text: str) -> list[str]:
    """The ``cnnkit ...`` commands written inline with real arguments."""
    found = []
    for command in re.findall(r"`((?:\.venv/bin/)?cnnkit [^`]+)`", text):
        words = shlex.split(command)
        if (
            "..." in command
            or "<" in command
            or (len(words) < 3 and words[1] != "train")
        ):
            continue
        if command not in found:
            found.append(command)
    return found


def test_the_readme_has_snippets_to_check() -> None:
    text = README.read_text(encoding="utf-8")
    languages = [language for language, _ in fenced_blocks(text)]
    assert languages.count("python") >= 3
    assert "sh" in languages
    assert any("fashion_mnist" in c for c in inline_commands(text))


def _quick(words: list[str]) -> list[str]:
    command = Path(words[0]).name
    if command == "cnnkit" and words[1] == "train":
        return [*words, *QUICK_TRAIN]
    if command == "cnnkit" and words[1] == "report":
        return [*words, *QUICK_REPORT]
    return words


def _cnnkit(words: list[str]) -> list[str]:
    # `cnnkit` as the README's reader has it: the console script of the venv.
    return [str(ROOT / ".venv" / "bin" / "cnnkit"), *words[1:]]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("after-make-demo")
    (home / ".venv").symlink_to(ROOT / ".venv")
    (home / "examples").symlink_to(ROOT / "examples")
    train = [
        *_cnnkit(["cnnkit", "train", "--name", "demo"]),
        *QUICK_TRAIN,
        "--verbose",
        "0",
    ]
    subprocess.run(train, cwd=home, check=True, timeout=900, capture_output=True)
    return home


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=home, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.slow
def test_every_fenced_block_runs(sandbox: Path) -> None:
    for language, code in fenced_blocks(README.read_text(encoding="utf-8")):
        if language == "python":
            result = _run(
                [sys.executable, "-c", code.replace("epochs=5", "epochs=1")], sandbox
            )
        else:
            for line in code.strip().splitlines():
                words = shlex.split(line)
                expanded = [
                    *words[:1],
                    *[
                        str(p)
                        for w in words[1:]
                        for p in sorted(sandbox.glob(w)) or [w]
                    ],
                ]
                result = _run(_quick(_cnnkit(expanded)), sandbox)
                assert result.returncode == 0, f"{line}\n{result.stderr}"
            continue
        assert result.returncode == 0, f"{code}\n{result.stderr[-3000:]}"


@pytest.mark.slow
def test_every_inline_command_runs(sandbox: Path) -> None:
    for command in inline_commands(README.read_text(encoding="utf-8")):
        words = shlex.split(command)
        expanded = [
            *words[:2],
            *[str(p) for w in words[2:] for p in sorted(sandbox.glob(w)) or [w]],
        ]
        result = _run(_quick(_cnnkit(expanded)), sandbox)
        assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
