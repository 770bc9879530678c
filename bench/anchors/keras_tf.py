"""The Keras 3 + TensorFlow side of the bench, run by the anchors venv's python.

A small line server so the bench can interleave rounds with cnnkit and torch: it
reads one JSON command per line on stdin and answers one JSON line on stdout.

    {"cmd": "setup", "workload": "seed", "full": false}  -> {"ok": true, ...}
    {"cmd": "run"}                                       -> {"seconds": 0.41}
    {"cmd": "quit"}

``setup`` builds, compiles and warms up the model (TF traces its graph on the first
call; that cost is not what a user pays per epoch). Nothing here imports cnnkit.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras
import tensorflow as tf
from workloads import BY_NAME, compile_for, run_once


def reply(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> None:
    threads = int(os.environ.get("BENCH_THREADS", "0"))
    if threads:  # the same intra-op threads as the torch sides (before any op runs)
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    state: dict[str, Any] = {}
    reply({"ready": True, "keras": keras.__version__, "tensorflow": tf.__version__})
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "quit":
            return
        if command["cmd"] == "setup":
            workload = BY_NAME[command["workload"]]
            full = bool(command.get("full", False))
            keras.mixed_precision.set_global_policy(
                "mixed_bfloat16" if workload.mixed else "float32"
            )
            # Each workload starts from a fresh Keras session, as in its own script:
            # earlier workloads' models and graphs do not linger in TF's state.
            state.clear()
            keras.backend.clear_session()
            keras.utils.set_random_seed(0)
            model = workload.build(keras)
            compile_for(keras, model, workload)
            x, y = workload.data(full)
            run_once(model, workload, x, y, full)  # graph tracing, warm-up
            state.update(model=model, workload=workload, x=x, y=y, full=full)
            reply({"ok": True})
        elif command["cmd"] == "run":
            start = time.perf_counter()
            run_once(state["model"], state["workload"], state["x"], state["y"],
                     state["full"])  # fmt: skip
            reply({"seconds": time.perf_counter() - start})


if __name__ == "__main__":
    main()
