"""Load on ``cnnkit serve``: many ``POST /api/predict`` at a fixed concurrency.

Starts ``cnnkit serve MODEL --port 0`` as its own process on loopback, then sends
``--requests`` predictions of MNIST test digits (PNG uploads, as the page sends
them) over ``--concurrency`` keep-alive connections, and reports requests/s, the
latency percentiles and the errors (any answer but 200, any dropped connection).
The client is a few lines of asyncio over raw sockets, so what is measured is the
server, not an HTTP library.

    .venv/bin/python bench/web_load.py [--model runs/demo/model.keras]
        [--requests 10000] [--concurrency 32]

Without a model file it trains the seed CNN for one epoch first (~1 minute).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BOUNDARY = b"cnnkitbench"


def _seed_model(folder: Path) -> Path:
    import cnnkit
    from cnnkit import zoo

    (x, y), _ = cnnkit.datasets.mnist.load_data()
    model = zoo.seed_cnn((28, 28, 1), 10)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x[..., None] / 255.0, cnnkit.utils.to_categorical(y, 10), batch_size=128,
              epochs=1, verbose=0)  # fmt: skip
    path = folder / "seed.keras"
    model.save(path)
    return path


def _request(png: bytes) -> bytes:
    body = (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="image"; filename="digit.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + png + b"\r\n--" + BOUNDARY + b"--\r\n"
    )
    head = (
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=" + BOUNDARY + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    return head + body


def _digits(count: int) -> list[bytes]:
    from PIL import Image

    import cnnkit

    _, (x_test, _) = cnnkit.datasets.mnist.load_data()
    files = []
    for digit in x_test[:count]:
        buffer = io.BytesIO()
        Image.fromarray(digit).save(buffer, format="PNG")
        files.append(_request(buffer.getvalue()))
    return files


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _load(
    port: int, requests: list[bytes], total: int, concurrency: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    next_index = 0

    async def worker() -> None:
        nonlocal errors, next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < total:
                payload = requests[next_index % len(requests)]
                next_index += 1
                started = time.perf_counter()
                try:
                    writer.write(payload)
                    await writer.drain()
                    status = await _read_response(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - started)
                errors += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "runs" / "demo" / "model.keras"))
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()

    model = Path(args.model)
    scratch = Path(tempfile.mkdtemp())
    if not model.is_file():
        print(f"{model} not found: training the seed CNN for one epoch...", flush=True)
        model = _seed_model(scratch)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONUNBUFFERED="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "cnnkit", "serve", str(model), "--port", "0"],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[2]
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        requests = _digits(500)
        asyncio.run(_load(port, requests, args.warmup, args.concurrency))
        latencies, errors, seconds = asyncio.run(
            _load(port, requests, args.requests, args.concurrency)
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
    ms = np.array(latencies) * 1000
    print(f"\ncnnkit serve, POST /api/predict, {args.requests:,} requests at "
          f"concurrency {args.concurrency} on loopback (model {model.name})")  # fmt: skip
    print("| requests | errors | requests/s | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(latencies):,} | {errors} | {len(latencies) / seconds:,.0f} | "
        f"{statistics.median(ms):.1f} | {np.percentile(ms, 90):.1f} | "
        f"{np.percentile(ms, 99):.1f} | {ms.max():.1f} |"
    )


if __name__ == "__main__":
    main()
