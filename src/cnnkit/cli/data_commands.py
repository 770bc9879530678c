"""``cnnkit datasets list | fetch NAME | verify NAME``."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "datasets", help="list, fetch and verify datasets (offline-first)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser(
        "list", help="the datasets and where each is looked for"
    )
    listing.set_defaults(handler=run_list)
    fetch = actions.add_parser("fetch", help="load a dataset into the cache")
    fetch.add_argument("name")
    fetch.set_defaults(handler=run_fetch)
    verify = actions.add_parser("verify", help="load a dataset and check its checksum")
    verify.add_argument("name")
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
    print(f"{args.name}: ready ({report})")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from cnnkit import datasets

    report = datasets.get(args.name).verify()
    print(f"{args.name}: OK ({report})")
    return 0
