"""Run a tutorial script on the real Keras 3 (torch backend), to compare accuracies.

    .venv/bin/python tests/compat/tools/run_on_real_keras.py tests/compat/scripts/X.py

Not a test and not part of cnnkit: it exists so that the "cnnkit run vs real Keras"
numbers can be measured again. Two gaps of this machine are bridged, nothing else:

- TensorFlow is not installed, so ``import tensorflow as tf`` gets a stand-in whose
  ``keras`` is the real keras (``tf.random.set_seed`` seeds torch, Keras' engine here);
- there is no network, so ``keras.datasets.{mnist,fashion_mnist}.load_data`` return
  cnnkit's arrays, which carry the same checksums as Keras' own files.
"""

from __future__ import annotations

import os
import runpy
import sys
import types


def main(argv: list[str]) -> None:
    os.environ["KERAS_BACKEND"] = "torch"
    import keras
    import torch

    from cnnkit.datasets import fashion_mnist, mnist

    keras.datasets.mnist.load_data = lambda *a, **k: mnist.load_data()
    keras.datasets.fashion_mnist.load_data = lambda *a, **k: fashion_mnist.load_data()
    tf = types.ModuleType("tensorflow")
    tf.__version__ = f"real-keras-{keras.__version__}"  # type: ignore[attr-defined]
    tf.keras = keras  # type: ignore[attr-defined]
    # keras.utils.set_random_seed calls tf.random.set_seed when "tensorflow" is
    # imported: it must not call back into Keras.
    tf.random = types.SimpleNamespace(set_seed=torch.manual_seed)  # type: ignore[attr-defined]
    sys.modules["tensorflow"] = tf
    sys.modules["tensorflow.keras"] = keras
    for sub in ("layers", "models", "optimizers", "callbacks", "datasets", "utils"):
        sys.modules[f"tensorflow.keras.{sub}"] = getattr(keras, sub)
    script = argv[0]
    sys.argv = argv
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    print("real keras", keras.__version__, "backend", keras.backend.backend())
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
