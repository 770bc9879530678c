"""``tf.random.experimental``: the older names of ``tf.random``'s stateless tools.

Example:
    >>> stateless_split([1, 2], num=3).shape
    torch.Size([3, 2])
"""

from __future__ import annotations

from cnnkit.compat.tf._common import module_getattr
from cnnkit.compat.tf.random_stateless import Generator, get_global_generator
from cnnkit.compat.tf.random_stateless import fold_in as stateless_fold_in
from cnnkit.compat.tf.random_stateless import split as stateless_split

__all__ = ["Generator", "get_global_generator", "stateless_fold_in", "stateless_split"]

__getattr__ = module_getattr("tensorflow.random.experimental")
