"""``cnnkit evaluate | predict | summary | export``: commands that take a model file."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from cnnkit.errors import InvalidArgumentError


def register(commands: Any) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="test a saved model on a dataset's test split"
    )
    evaluate.add_argument("model", help="a .keras or .h5 model file")
    evaluate.add_argument("--dataset", default="mnist")
    evaluate.add_argument("--batch-size", type=int, default=100)
    evaluate.set_defaults(handler=run_evaluate)

    predict = commands.add_parser(
        "predict", help="classify image files with a saved model",
        description="Classify images (any format Pillow reads). Images are converted "
        "to the model's input size and channels; for grayscale models, dark-on-light "
        "drawings are inverted to match MNIST's light-on-dark digits.",
    )  # fmt: skip
    predict.add_argument("model", help="a .keras or .h5 model file")
    predict.add_argument("images", nargs="+", help="image files")
    predict.add_argument("--top-k", type=int, default=3)
    predict.add_argument(
        "--class-names",
        default=None,
        help="comma-separated class names (default: class indices)",
    )
    predict.set_defaults(handler=run_predict)

    summary = commands.add_parser(
        "summary", help="print a saved model's layers and parameter counts"
    )
    summary.add_argument("model")
    summary.set_defaults(handler=run_summary)

    export = commands.add_parser("export", help="export a saved model to ONNX")
    export.add_argument("model")
    export.add_argument("output", help="the .onnx file to write")
    export.set_defaults(handler=run_export)


def run_evaluate(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_dataset, load_model_file
    from cnnkit.utils import to_categorical

    model = load_model_file(args.model, compile=False)
    _, (x_test, y_test), num_classes = load_dataset(args.dataset)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(
        x_test,
        to_categorical(y_test, num_classes),
        batch_size=args.batch_size,
        verbose=0,
    )
    print(
        f"{args.dataset} test accuracy: {accuracy:.4f}  (loss {loss:.4f}, {len(x_test)} images)"
    )
    return 0


def image_to_input(path: str, input_shape: tuple[int | None, ...]) -> np.ndarray:
    """Load ``path`` as one sample of shape ``input_shape`` (H, W, C), values in [0, 1]."""
    from PIL import Image

    height, width, channels = input_shape
    if height is None or width is None:
        raise InvalidArgumentError(
            "The model's input has no fixed height/width; cannot resize images for it."
        )
    try:
        image = Image.open(path)
        image.load()
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(f"Cannot read image {path}: {exc}") from exc
    if channels == 1:
        gray = np.asarray(image.convert("L"), dtype="float32")
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        if border.mean() > 127:  # light background: a pen drawing, not MNIST-style
            gray = 255.0 - gray
        if gray.shape != (height, width):
            gray = _center_like_mnist(gray, height, width)
        return (gray / 255.0)[..., None]
    rgb = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    array = np.asarray(rgb, dtype="float32") / 255.0
    return array if channels == 3 else array[..., :channels]


def _center_like_mnist(gray: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop to the ink, fit it in a box of 20/28 of the size, centre it (MNIST's recipe)."""
    from PIL import Image

    rows, cols = np.nonzero(gray > 30)
    if rows.size:
        gray = gray[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    box = max(1, round(min(height, width) * 20 / 28))
    scale = box / max(gray.shape)
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    digit = np.asarray(
        Image.fromarray(gray.astype("uint8")).resize(size, Image.Resampling.LANCZOS),
        dtype="float32",
    )
    canvas = np.zeros((height, width), dtype="float32")
    top, left = (height - digit.shape[0]) // 2, (width - digit.shape[1]) // 2
    canvas[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return canvas


def run_predict(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_model_file

    model = load_model_file(args.model, compile=False)
    input_shape = tuple(model.input_shape[1:])
    if len(input_shape) != 3:
        raise InvalidArgumentError(
            f"`cnnkit predict` needs an image model with input (H, W, C); this one takes {input_shape}."
        )
    batch = np.stack([image_to_input(path, input_shape) for path in args.images])
    probabilities = np.asarray(model.predict(batch, verbose=0))
    names = args.class_names.split(",") if args.class_names else None
    for path, row in zip(args.images, probabilities):
        order = np.argsort(row)[::-1][: max(1, args.top_k)]
        label = lambda i: names[i] if names and i < len(names) else str(i)  # noqa: E731
        ranked = ", ".join(f"{label(i)} {row[i]:.1%}" for i in order)
        print(f"{path}: {label(order[0])}  ({ranked})")
    return 0


def run_summary(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_model_file

    load_model_file(args.model, compile=False).summary()
    return 0


def run_export(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_model_file

    model = load_model_file(args.model, compile=False)
    model.export(args.output, format="onnx")
    print(f"Wrote {args.output}")
    return 0
