"""Draw the README's three pictures from a trained MNIST model.

Usage (after `make demo`, which writes runs/demo/model.keras):

    python examples/make_readme_pictures.py [MODEL.keras] [OUT_DIR]

Writes OUT_DIR/activations.png (what each convolution sees of one digit),
OUT_DIR/filters.png (the first convolution's learned filters) and
OUT_DIR/gradcam_mistakes.png (the most confident mistakes, with Grad-CAM).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from cnnkit import datasets, explain, saving


def main() -> None:
    model_path = sys.argv[1] if len(sys.argv) > 1 else "runs/demo/model.keras"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/images")
    out.mkdir(parents=True, exist_ok=True)
    model = saving.load_model(model_path)
    (_, _), (x_test, y_test) = datasets.mnist.load_data()
    x = (x_test.astype("float32") / 255.0)[..., None]  # as the seed tutorial scales
    digit = x[int(np.flatnonzero(y_test == 3)[0])]
    pictures = {
        "activations.png": explain.plot_activations(
            model, digit, max_channels=8, columns=8
        ),
        "filters.png": explain.plot_filters(model),
        "gradcam_mistakes.png": explain.plot_worst_errors(model, x, y_test, n=10),
    }
    for name, figure in pictures.items():
        figure.savefig(out / name, dpi=72)  # small files: the README shows them as is
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
