"""``cnnkit evaluate | predict | summary | export``: commands that take a model file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from cnnkit.cli.common import dataset_name, positive_int
from cnnkit.errors import InvalidArgumentError

# MNIST's recipe: the digit is scaled to fit a 20x20 box, then placed in a 28x28
# image with its centre of mass in the middle (LeCun et al., the MNIST page).
_MNIST_BOX = 20 / 28
_INK_LEVEL = 30  # of 255: darker pixels are background when cropping to the digit
_UNEVEN_LIGHT = 30  # grey levels across the paper's border: a photo's shading


def register(commands: Any) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="test a saved model on a dataset's test split",
        description="Print a saved model's accuracy and loss on a dataset's test "
        "split (categorical cross-entropy on one-hot labels, as `cnnkit train`).",
    )
    evaluate.add_argument("model", help="a .keras or .h5 model file")
    evaluate.add_argument(
        "--dataset", default="mnist", type=dataset_name, help="default: mnist"
    )
    evaluate.add_argument("--batch-size", type=positive_int, default=100, metavar="N")
    evaluate.add_argument(
        "--max-samples",
        type=positive_int,
        default=None,
        metavar="N",
        help="evaluate on the first N test images only",
    )
    evaluate.set_defaults(handler=run_evaluate)

    predict = commands.add_parser(
        "predict", help="classify image files with a saved model",
        description="Classify images (any format Pillow reads). Images are converted "
        "to the model's input size and channels. For grayscale models the digit is "
        "made light-on-dark like MNIST (dark-on-light drawings are inverted; a "
        "transparent background counts as white), and an image of another size is "
        "cropped to the digit, scaled into a 20/28 box and centred by its mass, as "
        "MNIST was made. Prints one line per image: the top class, then the top-k "
        "classes with their probabilities.",
    )  # fmt: skip
    predict.add_argument("model", help="a .keras or .h5 model file")
    predict.add_argument("images", nargs="+", help="image files")
    predict.add_argument(
        "--top-k",
        type=positive_int,
        default=3,
        metavar="K",
        help="how many classes to list per image (default: 3)",
    )
    predict.add_argument(
        "--class-names",
        default=None,
        metavar="NAMES",
        help="comma-separated class names, one per model output (default: indices)",
    )
    predict.set_defaults(handler=run_predict)

    summary = commands.add_parser(
        "summary",
        help="print a saved model's layers and parameter counts",
        description="Print the layers of a saved model with their output shapes and "
        "parameter counts, in Keras' `model.summary()` format.",
    )
    summary.add_argument("model", help="a .keras or .h5 model file")
    summary.set_defaults(handler=run_summary)

    export = commands.add_parser(
        "export",
        help="export a saved model to ONNX",
        description="Write an ONNX inference graph (batch axis dynamic, inputs in "
        "the model's Keras layout, e.g. (batch, height, width, channels)).",
    )
    export.add_argument("model", help="a .keras or .h5 model file")
    export.add_argument(
        "output",
        nargs="?",
        default=None,
        help="the .onnx file to write (default: beside the model, e.g. "
        "runs/demo/model.onnx for runs/demo/model.keras)",
    )
    export.set_defaults(handler=run_export)


def run_evaluate(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import check_model_fits, load_dataset, load_model_file
    from cnnkit.utils import to_categorical

    model = load_model_file(args.model, compile=False)
    _, (x_test, y_test), num_classes = load_dataset(args.dataset, args.max_samples)
    check_model_fits(model, x_test.shape[1:], num_classes, args.dataset)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(
        x_test,
        to_categorical(y_test, num_classes),
        batch_size=args.batch_size,
        verbose=0,
    )
    print(
        f"{args.dataset} test accuracy: {accuracy:.4f}  "
        f"(loss {loss:.4f}, {len(x_test)} images)"
    )
    return 0


def image_to_input(path: str, input_shape: tuple[int | None, ...]) -> np.ndarray:
    """Load ``path`` as one sample of shape ``input_shape`` (H, W, C), values in [0, 1].

    Raises:
        InvalidArgumentError: The input has no fixed size or an unusual channel
            count, or the file is not an image.
    """
    from PIL import Image

    height, width, channels = input_shape
    if height is None or width is None:
        raise InvalidArgumentError(
            "The model's input has no fixed height/width; cannot resize images for it."
        )
    if channels not in (1, 3):
        raise InvalidArgumentError(
            f"`cnnkit predict` reads grayscale (1 channel) or RGB (3 channels) "
            f"images; this model takes {channels} channels."
        )
    try:
        with Image.open(path) as file:
            image = _on_paper(file)
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(f"Cannot read image {path}: {exc}") from exc
    if channels == 3:
        rgb = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
        return np.asarray(rgb, dtype="float32") / 255.0
    gray = _light_on_dark(np.asarray(image.convert("L"), dtype="float32"))
    if gray.shape != (height, width):
        gray = _center_like_mnist(gray, height, width)
    return (gray / 255.0)[..., None]


def _on_paper(image: Any) -> Any:
    """The decoded image; a transparent background becomes white paper."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Drawing apps save strokes on a transparent canvas.
        paper = Image.new("RGBA", image.size, "white")
        return Image.alpha_composite(paper, image.convert("RGBA"))
    image.load()
    return image.copy()  # the file closes when the caller's `with` ends


def _light_on_dark(gray: np.ndarray) -> np.ndarray:
    """Make ink light on a black background, and stretch it so the ink reaches 255.

    Dark ink on paper is inverted. Under uneven light (a photo: the paper's border
    spans more than ``_UNEVEN_LIGHT`` grey levels) the ink is measured against the
    paper's own brightness around it, so shadows do not read as ink.
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 127:  # light background: a pen drawing, not MNIST-style
        if np.percentile(border, 95) - np.percentile(border, 5) > _UNEVEN_LIGHT:
            paper = _paper_brightness(gray)
            gray = np.clip(255.0 * (1.0 - gray / np.maximum(paper, 1.0)), 0.0, 255.0)
        else:
            gray = 255.0 - gray
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    # A grey background would otherwise read as faint ink.
    background = float(np.median(border))
    ink = float(gray.max()) - background
    if ink <= 0:
        return np.zeros_like(gray)
    return np.clip((gray - background) * (255.0 / ink), 0.0, 255.0)


def _paper_brightness(gray: np.ndarray) -> np.ndarray:
    """The paper's brightness at each pixel: a maximum filter wider than a pen
    stroke removes the ink, a blur smooths what is left (the light falling on it).
    Computed on a small copy: lighting varies slowly."""
    from PIL import Image, ImageFilter

    height, width = gray.shape
    scale = min(1.0, 96 / max(height, width))
    small = Image.fromarray(gray.astype("uint8")).resize(
        (max(1, round(width * scale)), max(1, round(height * scale))),
        Image.Resampling.BOX,
    )
    window = 2 * max(1, round(min(small.size) / 12)) + 1
    paper = small.filter(ImageFilter.MaxFilter(window)).filter(
        ImageFilter.GaussianBlur(window)
    )
    full = paper.resize((width, height), Image.Resampling.BILINEAR)
    return np.maximum(np.asarray(full, dtype="float32"), gray)


def _center_like_mnist(gray: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop to the ink, fit it in a box of 20/28 of the size, centre it by its mass."""
    from PIL import Image

    rows, cols = np.nonzero(gray > _INK_LEVEL)
    if rows.size:
        gray = gray[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    box = max(1, round(min(height, width) * _MNIST_BOX))
    scale = box / max(gray.shape)
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    digit = np.asarray(
        Image.fromarray(gray.astype("uint8")).resize(size, Image.Resampling.LANCZOS),
        dtype="float32",
    )
    dh, dw = digit.shape
    mass = digit.sum()
    cy, cx = ((dh - 1) / 2, (dw - 1) / 2)
    if mass > 0:
        cy = float((digit.sum(axis=1) * np.arange(dh)).sum() / mass)
        cx = float((digit.sum(axis=0) * np.arange(dw)).sum() / mass)
    # Put the centre of mass in the middle, but never push ink off the canvas.
    top = int(np.clip(round((height - 1) / 2 - cy), 0, height - dh))
    left = int(np.clip(round((width - 1) / 2 - cx), 0, width - dw))
    canvas = np.zeros((height, width), dtype="float32")
    canvas[top : top + dh, left : left + dw] = digit
    return canvas


def as_probabilities(scores: np.ndarray) -> np.ndarray:
    """Rows of class probabilities from a model's outputs, shape (N, classes).

    One sigmoid unit becomes two classes (0: ``1 - p``, 1: ``p``); scores that are
    not probabilities (a model without a final softmax) go through a softmax.
    """
    scores = scores.reshape(len(scores), -1).astype("float64")
    if scores.shape[1] == 1:
        p = scores[:, 0]
        if not np.all((p >= 0) & (p <= 1)):
            p = 1 / (1 + np.exp(-p))
        return np.stack([1 - p, p], axis=1)
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1, atol=1e-3):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def run_predict(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_model_file

    model = load_model_file(args.model, compile=False)
    input_shape = tuple(model.input_shape[1:])
    if len(input_shape) != 3:
        raise InvalidArgumentError(
            "`cnnkit predict` needs an image model with input (H, W, C); this one "
            f"takes {input_shape}."
        )
    batch = np.stack([image_to_input(path, input_shape) for path in args.images])
    probabilities = as_probabilities(np.asarray(model.predict(batch, verbose=0)))
    classes = probabilities.shape[1]
    names = [str(i) for i in range(classes)]
    if args.class_names is not None:
        names = [name.strip() for name in args.class_names.split(",")]
        if len(names) != classes:
            raise InvalidArgumentError(
                f"--class-names lists {len(names)} names, but the model has {classes} "
                "classes: give one name per class, in order."
            )
    for path, row in zip(args.images, probabilities):
        order = np.argsort(row, kind="stable")[::-1][: args.top_k]
        ranked = ", ".join(f"{names[i]} {row[i]:.1%}" for i in order)
        print(f"{path}: {names[order[0]]}  ({ranked})")
    return 0


def run_summary(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_model_file

    load_model_file(args.model, compile=False).summary()
    return 0


def run_export(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_model_file

    model = load_model_file(args.model, compile=False)
    output = args.output or str(Path(args.model).with_suffix(".onnx"))
    model.export(output, format="onnx", verbose=False)
    print(f"Wrote {output}")
    return 0
