"""Before/after of UpSampling2D's kernel on the autoencoder workload, in one process.

"before" runs UpSampling as the broadcast-and-reshape repeat cnnkit used until
issue 14 (its backward is a strided ``sum``), "after" as torch's upsample kernels
(``_kernels/upsampling.py``); plain torch and Keras/TF (when the anchors venv exists)
run alongside for the ratios. The switch is
a module attribute swapped between rounds, so all three share the rounds' noise.

    .venv/bin/python bench/ab_upsampling.py [--rounds 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch_models
from suite import start_keras
from workloads import BY_NAME, calls, compile_for, run_once

import cnnkit
from cnnkit._kernels.upsampling import repeat_spatial, upsample_nearest
from cnnkit._layout import Layout
from cnnkit.layers.reshaping import up_sampling


def _before(
    inputs: torch.Tensor, layout: Layout, factors: Sequence[int]
) -> torch.Tensor:
    return repeat_spatial(inputs, layout.spatial_axes, factors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workload", default="autoencoder")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    workload = BY_NAME[args.workload]
    torch.manual_seed(0)
    model = workload.build(cnnkit)
    compile_for(cnnkit, model, workload)
    x, y = workload.data(False)

    def with_kernel(kernel: Callable[..., torch.Tensor]) -> Callable[[], None]:
        def run() -> None:
            # The layer looks the kernel up in its module's namespace at each call.
            namespace = vars(up_sampling)
            namespace["upsample_nearest"] = kernel
            try:
                run_once(model, workload, x, y, False)
            finally:
                namespace["upsample_nearest"] = upsample_nearest

        return run

    runners = {
        "before": with_kernel(_before),
        "after": with_kernel(upsample_nearest),
        "torch": torch_models.make_runner(
            workload, torch.from_numpy(x), torch.from_numpy(y), False,
            calls(workload, False),
        ),
    }  # fmt: skip
    keras_tf, note = start_keras(skip=False, threads=args.threads)
    if keras_tf is not None:
        keras_tf.ask(cmd="setup", workload=workload.name, full=False)
        runners["keras"] = lambda: keras_tf.ask(cmd="run")["seconds"]
    for run in runners.values():
        run()
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            reported = runners[name]()  # the Keras/TF process times itself
            elapsed = time.perf_counter() - start
            seconds[name].append(reported if isinstance(reported, float) else elapsed)
    if keras_tf is not None:
        keras_tf.close()
    count = calls(workload, False)
    rate = {name: count / statistics.median(v) for name, v in seconds.items()}
    print(
        f"{workload.title}: samples/s, {args.rounds} interleaved rounds, medians; {note}"
    )
    for name, value in rate.items():
        print(f"  {name:7s} {value:8,.0f}")
    print(f"after / before = {rate['after'] / rate['before']:.2f}")
    for other in ("torch", "keras"):
        if other in rate:
            print(f"cnnkit / {other}: before {rate['before'] / rate[other]:.2f}, "
                  f"after {rate['after'] / rate[other]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
