"""``cnnkit datasets list | fetch NAME | verify NAME``."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "datasets",
        help="list, fetch and verify datasets (offline-first)",
        description="Datasets load offline-first: each is looked for in several "
        "sources, in order, and checked against a sha256 of its arrays.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser(
        "list",
        help="the datasets and where each is looked for",
        description="List the datasets and, for each, its sources in the order "
        "they are tried.",
    )
    listing.set_defaults(handler=run_list)
    fetch = actions.add_parser(
        "fetch",
        help="load a dataset into the cache",
        description="Load a dataset from the first source that has it and store "
        "the verified arrays in the cache ($CNNKIT_HOME/datasets).",
    )
    fetch.add_argument("name", help="mnist, fashion_mnist, cifar10 or cifar100")
    fetch.set_defaults(handler=run_fetch)
    verify = actions.add_parser(
        "verify",
        help="load a dataset and check its checksum",
        description="Load a dataset through its sources and print which one "
        "provided it and the sha256 of its arrays.",
    )
    verify.add_argument("name", help="mnist, fashion_mnist, cifar10 or cifar100")
    verify.set_defaults(handler=run_verify)


def run_list(args: argparse.Namespace) -> int:
    from cnnkit import datasets

    for name in datasets.list_datasets():
        handle = datasets.get(name)
        print(f"{name}: {handle.title}")
        for line in handle.sources():
            print(f"    {line}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    from cnnkit import datasets

    report = datasets.get(args.name).verify()
    if report.source.startswith("cache"):
        print(f"{report.name}: already cached at {report.cache_path}")
    else:
        print(f"{report.name}: cached at {report.cache_path} (from {report.source})")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from cnnkit import datasets

    report = datasets.get(args.name).verify()
    shapes = ", ".join(f"{key} {shape}" for key, shape in report.shapes.items())
    print(f"{report.name}: OK, sha256 {report.sha256} from {report.source}")
    if shapes:
        print(f"    {shapes}")
    return 0
