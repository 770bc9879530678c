"""Every CNN workload of issue 14: cnnkit vs plain PyTorch vs Keras 3 + TensorFlow.

For each workload the three sides run in interleaved rounds (the start rotates each
round, so none always runs first after the others), and the table shows medians:

- throughput: training/evaluate samples/s, predict-one-image calls/s, or ms per
  batch for the U-Net predict (lower is better there; its ratios are inverted so a
  ratio > 1 always means cnnkit is faster);
- ``/keras`` and ``/torch``: cnnkit's speed over theirs;
- ``limit``: the kernel-bound throughput, ``rate / (k × FLOPs per sample)`` with the
  FLOPs from ``cnnkit.explain.analyze`` (k = 3 for a training step, forward + 2×
  backward; 1 for inference) and ``rate`` the FLOP/s of the same conv shapes run
  alone (``kernel_limit.py``); ``% limit`` is cnnkit's share of it.

The Keras/TF side runs in the anchors venv (``make bench-anchors``) as a subprocess
(``anchors/keras_tf.py``); without it that column says "—" and a note says why.

    .venv/bin/python bench/suite.py [--full] [--only seed,signal] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernel_limit
import torch_models
from workloads import WORKLOADS, Workload, calls, compile_for, run_once

import cnnkit

ROOT = Path(__file__).resolve().parent.parent
ANCHORS_PYTHON = ROOT / ".venv-anchors" / "bin" / "python"


class KerasTF:
    """The Keras/TF subprocess, one JSON line per command."""

    def __init__(self, python: Path, threads: int) -> None:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""}
        if threads:
            env["BENCH_THREADS"] = str(threads)
        self.process = subprocess.Popen(
            [str(python), str(ROOT / "bench" / "anchors" / "keras_tf.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=env,
        )  # fmt: skip
        self.versions = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the Keras/TF subprocess ended without answering")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.ask_quit()

    def ask_quit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write('{"cmd": "quit"}\n')
        self.process.stdin.flush()
        self.process.wait(timeout=30)


def start_keras(skip: bool, threads: int) -> tuple[KerasTF | None, str]:
    if skip:
        return None, "Keras/TF skipped (--no-keras)."
    if not ANCHORS_PYTHON.exists():
        return None, (
            f"Keras/TF column empty: {ANCHORS_PYTHON.relative_to(ROOT)} is missing; "
            "run `make bench-anchors` to create it."
        )
    try:
        keras_tf = KerasTF(ANCHORS_PYTHON, threads)
    except (OSError, RuntimeError, json.JSONDecodeError) as error:
        return None, f"Keras/TF column empty: the anchors venv failed ({error})."
    versions = keras_tf.versions
    return keras_tf, f"Keras {versions['keras']} + TensorFlow {versions['tensorflow']}"


def timed(fn: Callable[[], Any]) -> float:
    """Seconds of one call; a runner that returns a float measured itself (the
    Keras/TF subprocess times its own call, without the pipe)."""
    start = time.perf_counter()
    reported = fn()
    elapsed = time.perf_counter() - start
    return reported if isinstance(reported, float) else elapsed


def cnnkit_side(workload: Workload, full: bool) -> tuple[Any, Callable[[], None]]:
    cnnkit.mixed_precision.set_global_policy(
        "mixed_bfloat16" if workload.mixed else "float32"
    )
    torch.manual_seed(0)
    model = workload.build(cnnkit)
    compile_for(cnnkit, model, workload)
    x, y = workload.data(full)
    return model, lambda: run_once(model, workload, x, y, full)


def kernel_bound(model: Any, workload: Workload) -> float:
    """Samples/s (calls/s, or batches/s for ``predict``) if only the convs cost."""
    train = workload.kind == "train"
    batch = 1 if workload.kind == "predict1" else min(workload.batch, 128)
    x = torch.rand(batch, *workload.input_shape)
    convs = kernel_limit.record_convs(lambda: model(x), bfloat16=workload.mixed)
    rate = kernel_limit.conv_flops_per_second(convs, train)
    per_sample = cnnkit.explain.analyze(model).total.flops * (3 if train else 1)
    return rate / per_sample


def measure(
    workload: Workload, keras_tf: KerasTF | None, full: bool, rounds: int
) -> dict[str, Any]:
    runners: dict[str, Callable[[], Any]] = {}
    model, runners["cnnkit"] = cnnkit_side(workload, full)
    x, y = workload.data(full)
    if torch_models.has_twin(workload):
        runners["torch"] = torch_models.make_runner(
            workload, torch.from_numpy(x), torch.from_numpy(y), full,
            calls(workload, full),
        )  # fmt: skip
    if keras_tf is not None:
        keras_tf.ask(cmd="setup", workload=workload.name, full=full)
        runners["keras"] = lambda: keras_tf.ask(cmd="run")["seconds"]
    for fn in runners.values():
        fn()  # warm-up
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            seconds[name].append(timed(runners[name]))
    count = calls(workload, full)
    result: dict[str, Any] = {"workload": workload.name, "title": workload.title}
    for name, values in seconds.items():
        median = statistics.median(values)
        batches = count / workload.batch
        result[name] = (
            median / batches * 1e3 if workload.kind == "predict" else count / median
        )
    limit = kernel_bound(model, workload)
    result["limit"] = 1e3 / (limit / workload.batch) if workload.kind == "predict" \
        else limit  # fmt: skip
    cnnkit.mixed_precision.set_global_policy("float32")
    return result


def _ratio(result: dict[str, Any], other: str, lower_is_better: bool) -> str:
    if other not in result:
        return "—"
    ratio = result["cnnkit"] / result[other]
    return f"{1 / ratio if lower_is_better else ratio:.2f}"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | cnnkit | Keras/TF | plain torch | cnnkit / Keras-TF "
        "| cnnkit / torch | kernel limit | % of limit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        lower = result["workload"] == "unet"
        unit = " ms" if lower else ""

        def cell(name: str, result: dict[str, Any] = result, unit: str = unit) -> str:
            return f"{result[name]:,.0f}{unit}" if name in result else "—"

        share = (
            result["limit"] / result["cnnkit"] if lower
            else result["cnnkit"] / result["limit"]
        )  # fmt: skip
        lines.append(
            f"| {result['title']} | {cell('cnnkit')} | {cell('keras')} "
            f"| {cell('torch')} | {_ratio(result, 'keras', lower)} "
            f"| {_ratio(result, 'torch', lower)} | {cell('limit')} | {share:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="longer runs, the U-Net")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--rounds", type=int, default=0, help="default 3, full 7")
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=0,
        help="intra-op threads for all three sides (default: each framework's own)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    wanted = [name for name in args.only.split(",") if name]
    workloads = [
        w for w in WORKLOADS
        if (w.name in wanted if wanted else args.full or not w.slow)
    ]  # fmt: skip
    rounds = args.rounds or (7 if args.full else 3)
    if args.threads:
        torch.set_num_threads(args.threads)
    keras_tf, note = start_keras(args.no_keras, args.threads)
    print(
        f"cnnkit {cnnkit.__version__}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; {note}; {rounds} rounds, medians",
        flush=True,
    )
    results = []
    try:
        for workload in workloads:
            results.append(measure(workload, keras_tf, args.full, rounds))
            print(f"  done: {workload.name}", file=sys.stderr, flush=True)
    finally:
        if keras_tf is not None:
            keras_tf.close()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
