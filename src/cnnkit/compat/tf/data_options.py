"""``tf.data.Options`` and ``tf.data.experimental.AutoShardPolicy``: accepted, and
changing nothing.

TF tunes its C++ pipeline with these (threads, graph rewrites, how
``tf.distribute`` shards files). cnnkit's pipeline is Python iterators in one
process, so ``ds.with_options(options)`` keeps the options (``ds.options()`` gives
them back) without acting on them; an option never set reads ``None``, as in TF.

Example:
    >>> options = Options()
    >>> options.experimental_distribute.auto_shard_policy = AutoShardPolicy.DATA
    >>> options.deterministic, options.experimental_distribute.auto_shard_policy.name
    (None, 'DATA')
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["AutoShardPolicy", "Options"]

# The option groups TF nests in Options (`options.threading.private_threadpool_size`).
_GROUPS = (
    "autotune",
    "experimental_distribute",
    "experimental_optimization",
    "experimental_threading",
    "threading",
)


class AutoShardPolicy(enum.IntEnum):
    """How ``tf.distribute`` would shard a dataset (unused: one process here)."""

    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class _OptionGroup:
    """One group of options: any attribute may be set; unset ones read ``None``."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}({vars(self)})"


class Options(_OptionGroup):
    """``tf.data.Options()``: set attributes, give it to ``ds.with_options``."""

    def __init__(self) -> None:
        for group in _GROUPS:
            setattr(self, group, _OptionGroup())
