"""``cnnkit serve``: the local web page for a trained model (the extra ``web``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cnnkit.cli.common import positive_float
from cnnkit.errors import InvalidArgumentError

# What `make demo` trains, and so what a newcomer's first `cnnkit serve` shows.
DEMO_MODEL = Path("runs") / "demo" / "model.keras"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="open a local web page: draw digits, read a number, see every layer",
        description="Serve a page for MODEL (default: runs/demo/model.keras, what "
        "`make demo` trains): draw or upload an image and see the prediction, what "
        "the network sees, every convolution's activation maps, the first layer's "
        "filters and Grad-CAM; write a row of digits and read the whole number. "
        "The page also answers a JSON API (GET /api lists it).",
    )
    parser.add_argument(
        "model", nargs="?", default=None, metavar="MODEL.keras",
        help=f"the model to show first (default: {DEMO_MODEL})",
    )  # fmt: skip
    parser.add_argument(
        "--models-dir", default=None, metavar="DIR",
        help="also offer the .keras files of DIR on the page (no path outside it)",
    )  # fmt: skip
    parser.add_argument(
        "--host", default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )  # fmt: skip
    parser.add_argument(
        "--port", type=int, default=8000, help="default 8000; 0 picks a free port"
    )
    parser.add_argument(
        "--max-upload-mb", type=positive_float, default=10.0, metavar="MB",
        help="largest upload accepted (default 10)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def _model_path(args: argparse.Namespace) -> Path | None:
    if args.model is not None:
        return Path(args.model)
    if DEMO_MODEL.is_file():
        return DEMO_MODEL
    if args.models_dir is not None:
        return None  # the folder's first model is shown first
    raise InvalidArgumentError(
        f"No model to serve: {DEMO_MODEL} does not exist. Run `make demo` (or "
        "`cnnkit train --name demo`) to train one, or pass a model: "
        "`cnnkit serve path/to/model.keras`."
    )


def run(args: argparse.Namespace) -> int:
    try:
        from cnnkit.web import serve
    except ImportError as exc:
        raise ImportError(
            f"`cnnkit serve` needs the extra 'web' ({exc.name} is missing): "
            "pip install 'cnnkit[web]' (`make install` does)."
        ) from exc
    serve(
        _model_path(args), models_dir=args.models_dir, host=args.host,
        port=args.port, max_upload_mb=args.max_upload_mb,
    )  # fmt: skip
    return 0
