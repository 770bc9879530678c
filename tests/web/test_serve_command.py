"""``cnnkit serve`` as a person runs it: a real server process on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnnkit.cli import main

SRC = Path(__file__).resolve().parents[2] / "src"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def served(
    seed_model_path: Path, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnkit", "serve", str(seed_model_path), "--port", "0",
         "--max-upload-mb", "0.05"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("cnnkit serve: http://127.0.0.1:"), line + (
            process.stderr.read() if process.stderr else ""
        )
        yield process, line.split()[2]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_serve_prints_the_url_answers_and_stops_on_ctrl_c(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = served
    with urllib.request.urlopen(url + "api/model", timeout=60) as response:
        assert json.load(response)["input_shape"] == [28, 28, 1]
    with urllib.request.urlopen(url, timeout=60) as response:
        assert b'<canvas id="pad"' in response.read()
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "cnnkit serve: stopped" in out
    assert "Traceback" not in err


def test_a_real_server_cuts_a_streamed_upload_at_the_limit(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    _, url = served
    host, port = url.removeprefix("http://").strip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as conn:
        conn.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
        )
        sent = 0
        reply = b""
        conn.settimeout(0.2)
        while sent < 50_000_000 and not reply:
            chunk = b"\0" * 65536
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                reply = conn.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        conn.settimeout(60)
        while b"\r\n\r\n" not in reply:
            more = conn.recv(65536)
            if not more:
                break
            reply += more
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < 5_000_000  # it stopped reading near the 52 kB limit, not at 50 MB


def test_serve_without_a_model_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["serve"]) == 1
    error = capsys.readouterr().err
    assert "No model to serve: runs/demo/model.keras does not exist" in error
    assert "make demo" in error


def test_serve_a_port_in_use_is_a_clear_error(
    seed_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(seed_model_path), "--port", str(port)]) == 1
    error = capsys.readouterr().err
    assert f"Port {port} on 127.0.0.1 is already in use" in error
    assert f"--port {port + 1}" in error


def test_serve_refuses_a_bad_upload_limit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--max-upload-mb", "-1"])
    assert "expected a positive number" in capsys.readouterr().err


def test_serve_names_the_missing_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = (
        __builtins__["__import__"] if isinstance(__builtins__, dict) else __import__
    )

    def without_web(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "cnnkit.web":
            raise ModuleNotFoundError("No module named 'starlette'", name="starlette")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", without_web)
    assert main(["serve", "m.keras"]) == 1
    assert "needs the extra 'web' (starlette is missing)" in capsys.readouterr().err


def test_serve_starts_with_a_models_folder(
    seed_model_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "digits.keras").write_bytes(seed_model_path.read_bytes())
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnkit", "serve", "--models-dir", str(folder), "--port", "0"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        with urllib.request.urlopen(url + "api/models", timeout=60) as response:
            assert json.load(response)["models"] == ["digits.keras"]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    assert process.returncode == 0
