"""``cnnkit evaluate | predict | summary | export``: commands that take a model file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from cnnkit.cli.common import dataset_name, positive_int
from cnnkit.errors import InvalidArgumentError


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


def run_predict(args: argparse.Namespace) -> int:
    from cnnkit.cli.common import load_model_file
    from cnnkit.explain import as_probabilities
    from cnnkit.utils.digit_image import load_image_as_input

    model = load_model_file(args.model, compile=False)
    input_shape = tuple(model.input_shape[1:])
    if len(input_shape) != 3:
        raise InvalidArgumentError(
            "`cnnkit predict` needs an image model with input (H, W, C); this one "
            f"takes {input_shape}."
        )
    batch = np.stack([load_image_as_input(path, input_shape) for path in args.images])
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
