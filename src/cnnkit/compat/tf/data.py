"""``tf.data.Dataset`` on torch tensors: an input pipeline ``fit`` takes as it is.

A Dataset is a re-iterable source of elements (a tensor, or a tuple/dict of them):
iterating it runs the pipeline from the start, so every epoch of ``model.fit(ds)``
sees fresh shuffling. ``len(ds)`` is its cardinality when known (and a TypeError
otherwise, as TF), which is how ``fit`` learns the number of steps.

Speed: a dataset made by ``from_tensor_slices`` keeps its arrays whole. ``shuffle``,
``take``, ``skip`` and ``repeat(count)`` on it only reorder indices, and ``batch`` then
slices every array with one index tensor per batch, not one Python step per element.
``map`` and ``filter`` call the user's function once per element, as TF does; a
function written for batches belongs after ``batch``.

TensorFlow's rules kept here:

- ``map``'s function receives the element's parts as separate arguments when the
  element is a tuple (``lambda x, y: ...``), and a dict as one argument.
- ``shuffle(buffer_size)`` is TF's buffer shuffle: with a buffer smaller than the
  data, an element can only move about ``buffer_size`` places (a buffer of 1 is no
  shuffle at all). ``reshuffle_each_iteration`` (default True) draws a new order per
  pass; with ``seed`` the orders are the same in every run.
- ``batch`` without ``drop_remainder`` keeps a smaller last batch.
- ``repeat()`` (no count) repeats forever: give ``fit`` a ``steps_per_epoch``.
- ``prefetch(n)`` prepares up to ``n`` elements ahead in a background thread, and
  ``map(..., num_parallel_calls=n)`` runs the function in ``n`` threads (a few for
  ``AUTOTUNE``) when one call takes long enough for threads to pay (decoding an
  image, yes; casting a small tensor, no); results keep their order
  (``deterministic`` changes nothing).
  Random ops inside a parallel ``map`` draw in thread order, so a seeded pipeline
  repeats exactly only without ``num_parallel_calls``.
- ``cache()`` keeps the elements of the first complete pass in memory (also when a
  ``filename`` is given: nothing is written to disk).
- ``interleave`` gives TF's deterministic cycle order, reading the inner datasets in
  the consumer's thread (``num_parallel_calls`` changes nothing); ``padded_batch``,
  ``rebatch``, ``group_by_window`` and ``bucket_by_sequence_length`` regroup as TF
  (see ``_regroup``); their cardinality is unknown where TF's is.
- ``with_options`` keeps the options for ``options()`` and acts on none of them.

Example:
    >>> import numpy as np
    >>> ds = Dataset.from_tensor_slices((np.arange(6), np.arange(6) % 2))
    >>> ds = ds.shuffle(6, seed=1).batch(4).map(lambda x, y: (x * 10, y))
    >>> len(ds), [tuple(x.shape) for x, _ in ds]
    (2, [(4,), (2,)])
"""

from __future__ import annotations

import bisect
import builtins
import copy
import functools
import glob
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch

from cnnkit.compat.hook import tf_unsupported_message
from cnnkit.compat.tf import _pipeline, _regroup
from cnnkit.compat.tf import data_experimental as experimental
from cnnkit.compat.tf._common import as_torch_dtype, module_getattr, to_tensor
from cnnkit.compat.tf._elements import TensorSpec
from cnnkit.compat.tf._elements import call_with as _call
from cnnkit.compat.tf._elements import count_arg as _count
from cnnkit.compat.tf._elements import element as _element
from cnnkit.compat.tf._elements import pack_like as _pack_like
from cnnkit.compat.tf._elements import row as _row
from cnnkit.compat.tf._elements import slice_structure as _slice_structure
from cnnkit.compat.tf._elements import stack_batch as _stack
from cnnkit.compat.tf._elements import zip_pair as _zip_pair
from cnnkit.compat.tf._elements import zip_structures as _zip_structures
from cnnkit.compat.tf._shuffle import ShuffleOrder
from cnnkit.compat.tf.data_options import Options
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.utils import tree

__all__ = [
    "AUTOTUNE",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Dataset",
    "Options",
    "TensorSpec",
    "experimental",
]

AUTOTUNE = experimental.AUTOTUNE
INFINITE_CARDINALITY = experimental.INFINITE_CARDINALITY
UNKNOWN_CARDINALITY = experimental.UNKNOWN_CARDINALITY


class Dataset:
    """``tf.data.Dataset``: build one with ``from_tensor_slices``,
    ``from_generator``, ``range`` or ``zip``, then chain transformations."""

    _given_options: Any = None  # set by `with_options` on its copy

    def _iterate(self) -> Iterator[Any]:
        raise TypeError(
            "tf.data.Dataset cannot be created directly; use "
            "tf.data.Dataset.from_tensor_slices(...) or another constructor."
        )

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY

    def __iter__(self) -> Iterator[Any]:
        return self._iterate()

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True  # never falls back to len(), which may raise

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the class lacks: TF's other Dataset methods
        # (interleave, padded_batch, ...) teach instead of naming a private class.
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            tf_unsupported_message(f"tensorflow.data.Dataset.{name}"), name=name
        )

    def cardinality(self) -> torch.Tensor:
        """The number of elements; -1 for infinite, -2 when not known in advance."""
        return torch.tensor(self._cardinality(), dtype=torch.int64)

    def __repr__(self) -> str:
        return f"<{type(self).__name__.lstrip('_')}Dataset cardinality={self._cardinality()}>"

    def as_numpy_iterator(self) -> Iterator[Any]:
        for element in self:
            yield tree.map_structure(
                lambda v: (
                    v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v
                ),
                element,
            )

    # ------------------------------------------------------------ constructors

    @staticmethod
    def from_tensor_slices(tensors: Any, name: str | None = None) -> Dataset:
        """One element per row of ``tensors`` (an array, or a tuple/dict of arrays
        with the same first dimension).

        Raises:
            IncompatibleShapeError: The arrays differ in their first dimension.
        """
        structure = _slice_structure(tensors)
        leaves = tree.flatten(structure)
        sizes = {int(leaf.shape[0]) for leaf in leaves if leaf.ndim}
        if any(leaf.ndim == 0 for leaf in leaves) or len(sizes) != 1:
            shapes = sorted({tuple(leaf.shape) for leaf in leaves})[:6]
            raise IncompatibleShapeError(
                "Dataset.from_tensor_slices: every array must have the same size in "
                f"its first dimension (one element per row); received shapes {shapes}."
            )
        return _Slices(structure, sizes.pop())

    @staticmethod
    def from_tensors(tensors: Any, name: str | None = None) -> Dataset:
        """A dataset of exactly one element, ``tensors``."""
        return _FromList([tree.map_structure(_element, tensors)])

    @staticmethod
    def from_generator(
        generator: Callable[..., Iterable[Any]], output_types: Any = None,
        output_shapes: Any = None, args: Any = None, output_signature: Any = None,
        name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """Elements from calling ``generator(*args)`` anew at each pass.

        Raises:
            InvalidTypeError: ``generator`` is not callable (pass the function, not
                its result).
        """
        if not callable(generator):
            raise InvalidTypeError(
                "Dataset.from_generator: `generator` must be a callable that returns an "
                f"iterator (pass `gen`, not `gen()`); received a {type(generator).__name__}."
            )
        if output_signature is None and output_types is not None:
            output_signature = tree.map_structure(
                lambda t: TensorSpec(None, t), output_types
            )
        return _Generated(generator, tuple(args or ()), output_signature)

    @staticmethod
    def list_files(
        file_pattern: Any, shuffle: bool | None = None, seed: int | None = None,
        name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """The paths matching a glob pattern (or a list of patterns), as ``str``;
        in a new random order each pass unless ``shuffle=False`` (then sorted).

        Raises:
            InvalidArgumentError: No file matches.
        """
        patterns = (
            [file_pattern]
            if isinstance(file_pattern, str | os.PathLike)
            else list(file_pattern)
        )
        paths = sorted(
            {p for pattern in patterns for p in glob.glob(os.fspath(pattern))}
        )
        if not paths:
            raise InvalidArgumentError(
                f"Dataset.list_files: no files matched {patterns!r}; check the path "
                "and the wildcards (e.g. 'images/*/*.jpg')."
            )
        files = Dataset.from_tensor_slices(np.asarray(paths))
        return files if shuffle is False else files.shuffle(len(paths), seed=seed)

    @staticmethod
    def range(
        *args: Any, dtype: Any = torch.int64, output_type: Any = None,
        name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """``Dataset.range(stop)`` / ``(start, stop[, step])``: ``int64`` scalars
        (``output_type``, TF's name, or ``dtype`` for another dtype)."""
        chosen = dtype if output_type is None else output_type
        values = torch.arange(*[int(a) for a in args], dtype=as_torch_dtype(chosen))
        return _Slices(values, int(values.shape[0]))

    @staticmethod
    def zip(*datasets: Any, name: str | None = None) -> Dataset:
        """Elements of several datasets side by side (a tuple, or the given
        structure), as long as the shortest.

        Raises:
            InvalidTypeError: Something other than datasets is given.
        """
        structure = datasets[0] if len(datasets) == 1 else datasets
        if isinstance(structure, Dataset):
            raise InvalidTypeError(
                "Dataset.zip: give two or more datasets, or a tuple/dict of them; "
                "received a single dataset."
            )
        for d in tree.flatten(structure):
            if not isinstance(d, Dataset):
                raise InvalidTypeError(
                    f"Dataset.zip: every item must be a tf.data.Dataset; received a "
                    f"{type(d).__name__}."
                )
        return _Zip(structure)

    @staticmethod
    def counter(
        start: Any = 0, step: Any = 1, dtype: Any = torch.int64, name: str | None = None
    ) -> Dataset:
        """``start, start + step, ...`` forever (``int64`` scalars by default)."""
        return _Counter(start, step, dtype)

    @staticmethod
    def sample_from_datasets(
        datasets: list[Dataset], weights: Any = None, seed: int | None = None,
        stop_on_empty_dataset: bool = False, rerandomize_each_iteration: Any = None,
    ) -> Dataset:  # fmt: skip
        """Elements drawn at random from ``datasets``, with probabilities
        ``weights`` (equal by default): new draws each pass, or with ``seed`` the
        same ones every pass and run (new ones per pass with
        ``rerandomize_each_iteration=True``). An exhausted dataset ends it all
        with ``stop_on_empty_dataset``, else the others go on.

        Raises:
            InvalidArgumentError: ``weights`` does not give one number per dataset.
        """
        sources = list(datasets)
        chances = (
            [1.0] * len(sources) if weights is None else to_tensor(weights).tolist()
        )
        if len(chances) != len(sources) or any(w < 0 for w in chances):
            raise InvalidArgumentError(
                "Dataset.sample_from_datasets: `weights` must give one non-negative "
                f"number per dataset ({len(sources)}); received weights={weights!r}."
            )
        passes = [0]

        def sample(_: Iterator[Any]) -> Iterator[Any]:
            stream = None
            if seed is not None:
                # TF: with a seed, every pass repeats the draws unless asked not to.
                stream = torch.Generator()
                stream.manual_seed(int(seed) * 1_000_003 + passes[0])
                if rerandomize_each_iteration:
                    passes[0] += 1
            iterators = [iter(d) for d in sources]
            return _regroup.sampled(iterators, chances, stream, stop_on_empty_dataset)

        return _Regrouped(_FromList([]), sample, lambda n: UNKNOWN_CARDINALITY)

    @staticmethod
    def choose_from_datasets(
        datasets: list[Dataset], choice_dataset: Dataset,
        stop_on_empty_dataset: bool = True,
    ) -> Dataset:  # fmt: skip
        """For each index ``c`` that ``choice_dataset`` gives, the next element of
        ``datasets[c]``."""
        sources = list(datasets)

        def choose(choices: Iterator[Any]) -> Iterator[Any]:
            iterators = [iter(d) for d in sources]
            return _regroup.chosen(iterators, choices, stop_on_empty_dataset)

        return _Regrouped(choice_dataset, choose, lambda n: UNKNOWN_CARDINALITY)

    # --------------------------------------------------------- transformations

    def map(
        self, map_func: Callable[..., Any], num_parallel_calls: Any = None,
        deterministic: Any = None, name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """``map_func`` applied to each element (in threads with ``num_parallel_calls``)."""
        threads = 1
        if num_parallel_calls is not None:
            calls = _count(num_parallel_calls, "num_parallel_calls")
            threads = _pipeline.threads_for(calls, AUTOTUNE)
        return _Map(self, map_func, threads)

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        return _Filter(self, predicate)

    def flat_map(
        self, map_func: Callable[..., Any], name: str | None = None
    ) -> Dataset:
        """``map_func`` returns a dataset per element; their elements, in order."""
        return _FlatMap(self, map_func)

    def batch(
        self, batch_size: Any, drop_remainder: bool = False, num_parallel_calls: Any = None,
        deterministic: Any = None, name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """Consecutive elements stacked into batches of ``batch_size``.

        Raises:
            InvalidArgumentError: ``batch_size`` is not a positive int.
        """
        size = _count(batch_size, "batch_size")
        if size < 1:
            raise InvalidArgumentError(
                f"Dataset.batch: `batch_size` must be a positive int; received "
                f"batch_size={batch_size!r}."
            )
        if isinstance(self, _Slices):
            return _SlicedBatches(self, size, drop_remainder)
        return _Batch(self, size, drop_remainder)

    def unbatch(self, name: str | None = None) -> Dataset:
        return _Unbatch(self)

    def shuffle(
        self, buffer_size: Any, seed: int | None = None,
        reshuffle_each_iteration: bool = True, name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """Elements in random order through a buffer of ``buffer_size``.

        Raises:
            InvalidArgumentError: ``buffer_size`` is not a positive int.
        """
        size = _count(buffer_size, "buffer_size")
        if size < 1 and size != AUTOTUNE:
            raise InvalidArgumentError(
                f"Dataset.shuffle: `buffer_size` must be a positive int (often the "
                f"dataset's size); received buffer_size={buffer_size!r}."
            )
        size = size if size > 0 else 1 << 62
        order = ShuffleOrder(size, seed, reshuffle_each_iteration)
        if isinstance(self, _Slices):
            return _Slices(self.arrays, self.size, self.order_fn, order)
        return _Shuffle(self, order)

    def repeat(self, count: Any = None, name: str | None = None) -> Dataset:
        n = -1 if count is None else _count(count, "count")
        return _Repeat(self, n)

    def take(self, count: Any, name: str | None = None) -> Dataset:
        """The first ``count`` elements (all of them for -1)."""
        return _Take(self, _count(count, "count"))

    def skip(self, count: Any, name: str | None = None) -> Dataset:
        """All but the first ``count`` elements (none for -1)."""
        return _Skip(self, _count(count, "count"))

    def concatenate(self, dataset: Dataset, name: str | None = None) -> Dataset:
        return _Concatenate(self, dataset)

    def enumerate(self, start: int = 0, name: str | None = None) -> Dataset:
        return _Zip((_Counter(start), self))

    def window(
        self, size: Any, shift: Any = None, stride: Any = 1, drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """Windows of ``size`` consecutive elements, each a Dataset (of tuples of
        datasets for tuple elements), every ``shift`` elements; use ``flat_map`` with
        ``lambda w: w.batch(size)`` to get tensors.

        Raises:
            InvalidArgumentError: ``size``, ``shift`` or ``stride`` is not positive.
        """
        length = _count(size, "size")
        step = length if shift is None else _count(shift, "shift")
        every = _count(stride, "stride")
        if min(length, step, every) < 1:
            raise InvalidArgumentError(
                f"Dataset.window: `size`, `shift` and `stride` must be positive; "
                f"received size={size!r}, shift={shift!r}, stride={stride!r}."
            )
        return _Window(self, length, step, every, drop_remainder)

    def cache(self, filename: str = "", name: str | None = None) -> Dataset:
        return _Cache(self)

    def prefetch(self, buffer_size: Any, name: str | None = None) -> Dataset:
        """Elements prepared up to ``buffer_size`` ahead (a few for ``AUTOTUNE``) by a
        background thread while the consumer works on the current one.

        Raises:
            InvalidArgumentError: ``buffer_size`` is not positive or ``AUTOTUNE``.
        """
        size = _count(buffer_size, "buffer_size")
        if size == 0:
            return self  # TF: no prefetching
        if size < 0 and size != AUTOTUNE:
            raise InvalidArgumentError(
                f"Dataset.prefetch: `buffer_size` must be a positive int or "
                f"tf.data.AUTOTUNE; received buffer_size={buffer_size!r}."
            )
        return _Prefetch(self, _pipeline.AUTO_THREADS if size == AUTOTUNE else size)

    def with_options(self, options: Any, name: str | None = None) -> Dataset:
        """The same dataset, keeping ``options`` (see ``options()``) without acting
        on them: they tune TF's C++ pipeline, which cnnkit does not have."""
        # A copy of the same class keeps the fast paths of `from_tensor_slices`.
        kept = copy.copy(self)
        kept._given_options = options
        return kept

    def options(self) -> Options:
        """The options given to ``with_options`` upstream (empty ones otherwise)."""
        dataset: Any = self
        while isinstance(dataset, Dataset):
            given = vars(dataset).get("_given_options")
            if given is not None:
                return given
            dataset = vars(dataset).get("source")  # upstream, for transformations
        return Options()

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        return transformation_func(self)

    def interleave(
        self, map_func: Callable[..., Any], cycle_length: Any = None,
        block_length: Any = None, num_parallel_calls: Any = None,
        deterministic: Any = None, name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """The datasets ``map_func`` returns for ``cycle_length`` input elements at a
        time, ``block_length`` elements from each in turn (TF's order).

        ``cycle_length`` defaults to the number of CPU cores, as in TF. The inner
        datasets are read in this thread: ``num_parallel_calls`` and
        ``deterministic`` change nothing (the order is always the deterministic one).

        Raises:
            InvalidArgumentError: ``cycle_length`` or ``block_length`` is not positive.
        """
        cycle = (
            _AUTO_CYCLE
            if cycle_length is None
            else _count(cycle_length, "cycle_length")
        )
        if cycle == AUTOTUNE:
            cycle = _AUTO_CYCLE
        block = 1 if block_length is None else _count(block_length, "block_length")
        if cycle < 1 or block < 1:
            raise InvalidArgumentError(
                "Dataset.interleave: `cycle_length` and `block_length` must be positive "
                f"(or None); received cycle_length={cycle_length!r}, "
                f"block_length={block_length!r}."
            )

        def open_element(element: Any) -> Iterator[Any]:
            inner = _call(map_func, element)
            if not isinstance(inner, Dataset):
                raise InvalidTypeError(
                    f"Dataset.interleave: `map_func` must return a tf.data.Dataset; it "
                    f"returned a {type(inner).__name__}. Use `map` for plain values."
                )
            return iter(inner)

        return _Regrouped(
            self,
            lambda elements: _regroup.interleaved(elements, open_element, cycle, block),
            lambda n: (
                INFINITE_CARDINALITY
                if n == INFINITE_CARDINALITY
                else UNKNOWN_CARDINALITY
            ),
        )

    def padded_batch(
        self, batch_size: Any, padded_shapes: Any = None, padding_values: Any = None,
        drop_remainder: bool = False, name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """Batches whose components are padded with ``padding_values`` (0 by
        default) to ``padded_shapes`` (None, or None in a dimension: the longest in
        the batch). Both follow the element's structure; one padding value serves
        every component.

        Raises:
            InvalidArgumentError: ``batch_size`` is not a positive int.
        """
        size = _batch_size(batch_size, "padded_batch")
        return _Regrouped(
            self,
            lambda elements: (
                _regroup.padded_batch(batch, padded_shapes, padding_values)
                for batch in _chunks(elements, [size], drop_remainder)
            ),
            functools.partial(_batches, size=size, drop=drop_remainder),
        )

    def rebatch(
        self, batch_size: Any, drop_remainder: bool = False, name: str | None = None
    ) -> Dataset:
        """The batched elements batched again by ``batch_size`` (an int, or a list
        of sizes used in turn), across the input batches' boundaries.

        Raises:
            InvalidArgumentError: A batch size is not a positive int.
        """
        listed = isinstance(batch_size, list | tuple)
        sizes = [
            _batch_size(b, "rebatch") for b in (batch_size if listed else [batch_size])
        ]
        return _Regrouped(
            _Unbatch(self),
            lambda elements: (
                _zip_structures(batch, _stack)
                for batch in _chunks(elements, sizes, drop_remainder)
            ),
            lambda n: n if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY,
        )

    def reduce(self, initial_state: Any, reduce_func: Callable[[Any, Any], Any]) -> Any:
        """``reduce_func(state, element)`` folded over the elements, from
        ``initial_state``; the final state.

        Example:
            >>> Dataset.range(5).reduce(0, lambda total, x: total + x).item()
            10
        """
        state = tree.map_structure(_element, initial_state)
        for element in self:
            state = _structure_out(reduce_func(state, element))
        return state

    def scan(self, initial_state: Any, scan_func: Callable[[Any, Any], Any]) -> Dataset:
        """``(state, out) = scan_func(state, element)`` carried over the elements,
        from ``initial_state``; the ``out`` values, one per element."""

        def scanned(elements: Iterator[Any]) -> Iterator[Any]:
            state = tree.map_structure(_element, initial_state)
            for element in elements:
                state, out = _structure_out(scan_func(state, element))
                yield out

        return _Regrouped(self, scanned, lambda n: n)

    def take_while(
        self, predicate: Callable[..., Any], name: str | None = None
    ) -> Dataset:
        """The elements up to (not including) the first whose predicate is False."""

        def taken(elements: Iterator[Any]) -> Iterator[Any]:
            for element in elements:
                if not bool(_call(predicate, element)):
                    return
                yield element

        return _Regrouped(
            self,
            taken,
            lambda n: n if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY,
        )

    def shard(self, num_shards: Any, index: Any, name: str | None = None) -> Dataset:
        """Every ``num_shards``-th element, from the ``index``-th.

        Raises:
            InvalidArgumentError: Unless ``0 <= index < num_shards``.
        """
        shards, first = _count(num_shards, "num_shards"), _count(index, "index")
        if not 0 <= first < shards:
            raise InvalidArgumentError(
                f"Dataset.shard: need 0 <= index < num_shards; received "
                f"num_shards={num_shards!r}, index={index!r}."
            )

        def count(n: int) -> int:
            return n if n < 0 else len(builtins.range(first, n, shards))

        return _Regrouped(
            self,
            lambda elements: (
                e for i, e in builtins.enumerate(elements) if i % shards == first
            ),
            count,
        )

    def get_single_element(self, name: str | None = None) -> Any:
        """The dataset's only element.

        Raises:
            InvalidArgumentError: The dataset has no element, or more than one.
        """
        elements = list(self.take(2))
        if len(elements) != 1:
            found = "no element" if not elements else "more than one element"
            raise InvalidArgumentError(
                f"Dataset.get_single_element: the dataset must have exactly one "
                f"element; it has {found}. Use ds.take(1) or ds.batch(n) first."
            )
        return elements[0]

    def group_by_window(
        self, key_func: Callable[..., Any], reduce_func: Callable[[Any, Dataset], Dataset],
        window_size: Any = None, window_size_func: Callable[[Any], Any] | None = None,
        name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """Elements gathered by ``key_func`` (an int64 key) into windows of
        ``window_size`` (or ``window_size_func(key)``); each full window, then each
        partial one at the end, goes to ``reduce_func(key, window_dataset)``, whose
        dataset's elements are given out.

        Raises:
            InvalidArgumentError: Not exactly one of ``window_size`` and
                ``window_size_func`` is given.
        """
        if (window_size is None) == (window_size_func is None):
            raise InvalidArgumentError(
                "Dataset.group_by_window: give exactly one of `window_size` and "
                f"`window_size_func`; received window_size={window_size!r}, "
                f"window_size_func={window_size_func!r}."
            )
        if window_size_func is None:
            fixed = _count(window_size, "window_size")

            def size_of(key: Any) -> int:
                return fixed
        else:
            sizer = window_size_func

            def size_of(key: Any) -> int:
                return _count(
                    sizer(torch.tensor(key, dtype=torch.int64)), "window_size"
                )

        def key_of(element: Any) -> int:
            return int(_call(key_func, element))

        def windows(elements: Iterator[Any]) -> Iterator[Any]:
            for key, window in _regroup.group_windows(elements, key_of, size_of):
                key_tensor = torch.tensor(key, dtype=torch.int64)
                yield from reduce_func(key_tensor, _FromList(window))

        return _Regrouped(
            self,
            windows,
            lambda n: n if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY,
        )

    def bucket_by_sequence_length(
        self, element_length_func: Callable[..., Any], bucket_boundaries: Any,
        bucket_batch_sizes: Any, padded_shapes: Any = None, padding_values: Any = None,
        pad_to_bucket_boundary: bool = False, no_padding: bool = False,
        drop_remainder: bool = False, name: str | None = None,
    ) -> Dataset:  # fmt: skip
        """Elements batched with others of similar length: bucket ``i`` holds the
        lengths in ``[bucket_boundaries[i-1], bucket_boundaries[i])`` and is batched
        by ``bucket_batch_sizes[i]`` (padded, unless ``no_padding``).

        With ``pad_to_bucket_boundary`` the None dimensions of ``padded_shapes`` are
        padded to the bucket's boundary minus one; without ``padded_shapes`` (TF
        would read the unknown dimensions off the element spec, which cnnkit does not
        keep) that is the first dimension of each non-scalar component.

        Raises:
            InvalidArgumentError: ``bucket_batch_sizes`` does not have one more
                entry than ``bucket_boundaries``, or an element is too long for
                ``pad_to_bucket_boundary``.
        """
        boundaries = [int(b) for b in bucket_boundaries]
        sizes = [
            _batch_size(b, "bucket_by_sequence_length") for b in bucket_batch_sizes
        ]
        if len(sizes) != len(boundaries) + 1:
            raise InvalidArgumentError(
                "Dataset.bucket_by_sequence_length: `bucket_batch_sizes` needs one "
                "more entry than `bucket_boundaries` (a batch size per bucket, the "
                f"last for lengths >= the last boundary); received {len(sizes)} "
                f"sizes for {len(boundaries)} boundaries."
            )

        def bucket_of(*element: Any) -> int:
            length = int(element_length_func(*element))
            return bisect.bisect_right(boundaries, length)

        def batch_bucket(key: torch.Tensor, window: Dataset) -> Dataset:
            bucket = int(key)
            if no_padding:
                return window.batch(sizes[bucket], drop_remainder=drop_remainder)
            shapes = padded_shapes
            if pad_to_bucket_boundary:
                if bucket == len(boundaries):
                    raise InvalidArgumentError(
                        "Dataset.bucket_by_sequence_length: with "
                        "pad_to_bucket_boundary=True every element's length must be "
                        f"below the last boundary ({boundaries[-1]}); add a larger "
                        "boundary."
                    )
                shapes = _regroup.fill_unknown(
                    shapes, next(iter(window)), boundaries[bucket] - 1
                )
            return window.padded_batch(
                sizes[bucket], shapes, padding_values, drop_remainder=drop_remainder
            )

        return self.group_by_window(
            lambda *element: bucket_of(*element),
            batch_bucket,
            window_size_func=lambda key: sizes[int(key)],
        )


OrderFn = Callable[[], torch.Tensor]
# interleave's default cycle (TF: the number of schedulable CPU cores).
_AUTO_CYCLE = os.cpu_count() or 1


def _batch_size(value: Any, method: str) -> int:
    size = _count(value, "batch_size")
    if size < 1:
        raise InvalidArgumentError(
            f"Dataset.{method}: `batch_size` must be a positive int; received "
            f"batch_size={value!r}."
        )
    return size


def _batches(n: int, size: int, drop: bool) -> int:
    if n < 0:
        return n
    return n // size if drop else -(-n // size)


def _chunks(
    elements: Iterator[Any], sizes: list[int], drop: bool
) -> Iterator[list[Any]]:
    """Consecutive lists of ``sizes[0]``, ``sizes[1]``, ... elements (cycling)."""
    turn = 0
    pending: list[Any] = []
    for element in elements:
        pending.append(element)
        if len(pending) == sizes[turn % len(sizes)]:
            yield pending
            pending = []
            turn += 1
    if pending and not drop:
        yield pending


class _Slices(Dataset):
    """Rows of whole arrays, in an order that transformations only re-index."""

    def __init__(
        self, arrays: Any, size: int, parent_order: OrderFn | None = None,
        shuffle: ShuffleOrder | None = None,
    ) -> None:  # fmt: skip
        self.arrays = arrays
        self.size = size
        self._parent_order = parent_order or (lambda: torch.arange(size))
        self._shuffle = shuffle

    def order_fn(self) -> torch.Tensor:
        order = self._parent_order()
        return order if self._shuffle is None else self._shuffle.indices(order)

    def _cardinality(self) -> int:
        return self.size

    def rows(self, index: Any) -> Any:
        def pick(leaf: Any) -> Any:
            if isinstance(leaf, np.ndarray):
                part = leaf[index.numpy() if isinstance(index, torch.Tensor) else index]
                return part.tolist() if part.ndim == 0 else part
            return leaf[
                index.to(leaf.device) if isinstance(index, torch.Tensor) else index
            ]

        return tree.map_structure(pick, self.arrays)

    def _iterate(self) -> Iterator[Any]:
        for i in self.order_fn().tolist():
            yield self.rows(i)

    def take(self, count: Any, name: str | None = None) -> Dataset:
        n = _count(count, "count")
        n = self.size if n < 0 else min(n, self.size)
        return _Slices(self.arrays, n, lambda: self.order_fn()[:n])

    def skip(self, count: Any, name: str | None = None) -> Dataset:
        n = _count(count, "count")
        n = self.size if n < 0 else min(n, self.size)
        return _Slices(self.arrays, self.size - n, lambda: self.order_fn()[n:])

    def repeat(self, count: Any = None, name: str | None = None) -> Dataset:
        n = -1 if count is None else _count(count, "count")
        if n < 0:
            return super().repeat(count)  # forever: no index list to make
        # Each pass draws its own order, as a reshuffling source would.
        return _Slices(
            self.arrays,
            self.size * n,
            lambda: torch.cat([self.order_fn() for _ in builtins.range(n)]),
        )


class _SlicedBatches(Dataset):
    def __init__(self, source: _Slices, size: int, drop_remainder: bool) -> None:
        self.source, self.size, self.drop = source, size, drop_remainder

    def _cardinality(self) -> int:
        n = self.source.size
        return n // self.size if self.drop else -(-n // self.size)

    def _iterate(self) -> Iterator[Any]:
        order = self.source.order_fn()
        n = int(order.shape[0])
        stop = n - n % self.size if self.drop else n
        contiguous = bool(torch.equal(order, torch.arange(n)))
        for start in builtins.range(0, stop, self.size):
            end = min(start + self.size, stop)
            yield self.source.rows(
                slice(start, end) if contiguous else order[start:end]
            )


class _Counter(Dataset):
    """``start, start + step, ...`` as scalars, without end (``enumerate``,
    ``Dataset.counter``)."""

    def __init__(self, start: Any, step: Any = 1, dtype: Any = torch.int64) -> None:
        self.start, self.step, self.dtype = start, step, as_torch_dtype(dtype)

    def _cardinality(self) -> int:
        return INFINITE_CARDINALITY

    def _iterate(self) -> Iterator[Any]:
        value = self.start
        while True:
            yield torch.tensor(value, dtype=self.dtype)
            value += self.step


def from_batches(source: Iterable[Any], cardinality: int) -> Dataset:
    """A Dataset over a re-iterable ``source`` of ready elements (cnnkit's
    ``ImageDirectoryDataset`` batches), for ``keras.utils`` under ``cnnkit run``."""
    return _Iterable(source, cardinality)


class _Iterable(Dataset):
    def __init__(self, source: Iterable[Any], cardinality: int) -> None:
        self.source = source
        self.count = cardinality

    def _cardinality(self) -> int:
        return self.count

    def _iterate(self) -> Iterator[Any]:
        for element in self.source:
            yield tuple(element) if isinstance(element, list) else element


class _FromList(Dataset):
    def __init__(self, elements: list[Any]) -> None:
        self.elements = elements

    def _cardinality(self) -> int:
        return len(self.elements)

    def _iterate(self) -> Iterator[Any]:
        return iter(self.elements)


class _Generated(Dataset):
    def __init__(
        self,
        generator: Callable[..., Iterable[Any]],
        args: tuple[Any, ...],
        signature: Any,
    ) -> None:
        self.generator, self.args, self.signature = generator, args, signature

    def _convert(self, item: Any) -> Any:
        if self.signature is None:
            return tree.map_structure(_element, item)
        if isinstance(self.signature, tuple) and not isinstance(item, tuple | list):
            raise InvalidTypeError(
                f"Dataset.from_generator: `output_signature` describes a tuple of "
                f"{len(self.signature)} parts, but the generator yielded a "
                f"{type(item).__name__}; yield a tuple such as (x, y)."
            )

        def convert(spec: TensorSpec, value: Any) -> Any:
            tensor = to_tensor(value, spec.dtype)
            if not spec.is_compatible_with(tensor):
                raise IncompatibleShapeError(
                    f"Dataset.from_generator: the generator yielded shape "
                    f"{tuple(tensor.shape)} where `output_signature` says {spec.shape}."
                )
            return tensor

        return _zip_pair(self.signature, item, convert)

    def _iterate(self) -> Iterator[Any]:
        for item in self.generator(*self.args):
            yield self._convert(item)


class _Wrapped(Dataset):
    """A transformation of one upstream dataset."""

    def __init__(self, source: Dataset) -> None:
        self.source = source

    def _cardinality(self) -> int:
        return self.source._cardinality()


class _Map(_Wrapped):
    def __init__(self, source: Dataset, fn: Callable[..., Any], threads: int) -> None:
        super().__init__(source)
        self.fn = fn
        self.threads = threads

    def _apply(self, element: Any) -> Any:
        return _structure_out(_call(self.fn, element))

    def _iterate(self) -> Iterator[Any]:
        if self.threads > 1:
            return _pipeline.mapped_in_threads(
                self._apply, iter(self.source), self.threads
            )
        return map(self._apply, self.source)


class _Prefetch(_Wrapped):
    def __init__(self, source: Dataset, buffer_size: int) -> None:
        super().__init__(source)
        self.buffer_size = buffer_size

    def _iterate(self) -> Iterator[Any]:
        return _pipeline.prefetched(iter(self.source), self.buffer_size)


def _structure_out(value: Any) -> Any:
    # A map function returning a list is read as a tuple (TF does the same).
    if isinstance(value, list):
        return tuple(_structure_out(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_structure_out(v) for v in value)
    if isinstance(value, dict):
        return {k: _structure_out(v) for k, v in value.items()}
    return _element(value) if not isinstance(value, Dataset) else value


class _Filter(_Wrapped):
    def __init__(self, source: Dataset, predicate: Callable[..., Any]) -> None:
        super().__init__(source)
        self.predicate = predicate

    def _cardinality(self) -> int:
        return (
            INFINITE_CARDINALITY
            if self.source._cardinality() == -1
            else UNKNOWN_CARDINALITY
        )

    def _iterate(self) -> Iterator[Any]:
        for element in self.source:
            keep = _call(self.predicate, element)
            if isinstance(keep, torch.Tensor) and keep.numel() != 1:
                raise IncompatibleShapeError(
                    f"Dataset.filter: the predicate must return one boolean per element; "
                    f"it returned shape {tuple(keep.shape)}. Reduce it, e.g. with "
                    "tf.reduce_all."
                )
            if bool(keep):
                yield element


class _FlatMap(_Filter):
    def _iterate(self) -> Iterator[Any]:
        for element in self.source:
            inner = _call(self.predicate, element)
            if not isinstance(inner, Dataset):
                raise InvalidTypeError(
                    f"Dataset.flat_map: the function must return a tf.data.Dataset; it "
                    f"returned a {type(inner).__name__}. Use `map` for plain values."
                )
            yield from inner


class _Batch(_Wrapped):
    def __init__(self, source: Dataset, size: int, drop_remainder: bool) -> None:
        super().__init__(source)
        self.size, self.drop = size, drop_remainder

    def _cardinality(self) -> int:
        n = self.source._cardinality()
        if n < 0:
            return n
        return n // self.size if self.drop else -(-n // self.size)

    def _iterate(self) -> Iterator[Any]:
        pending: list[Any] = []
        for element in self.source:
            pending.append(element)
            if len(pending) == self.size:
                yield _zip_structures(pending, _stack)
                pending = []
        if pending and not self.drop:
            yield _zip_structures(pending, _stack)


class _Unbatch(_Wrapped):
    def _cardinality(self) -> int:
        n = self.source._cardinality()
        return n if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY

    def _iterate(self) -> Iterator[Any]:
        for element in self.source:
            leaves = tree.flatten(element)
            rows = int(leaves[0].shape[0]) if leaves else 0
            for i in builtins.range(rows):
                yield tree.map_structure(functools.partial(_row, i), element)


class _Shuffle(_Wrapped):
    def __init__(self, source: Dataset, order: ShuffleOrder) -> None:
        super().__init__(source)
        self.order = order

    def _iterate(self) -> Iterator[Any]:
        return self.order.elements(iter(self.source))


class _Repeat(_Wrapped):
    def __init__(self, source: Dataset, count: int) -> None:
        super().__init__(source)
        self.count = count

    def _cardinality(self) -> int:
        n = self.source._cardinality()
        if self.count < 0:
            return 0 if n == 0 else INFINITE_CARDINALITY
        return n * self.count if n >= 0 else n

    def _iterate(self) -> Iterator[Any]:
        done = 0
        while self.count < 0 or done < self.count:
            produced = False
            for element in self.source:
                produced = True
                yield element
            done += 1
            if not produced:  # an empty source would loop forever
                return


class _Take(_Wrapped):
    def __init__(self, source: Dataset, count: int) -> None:
        super().__init__(source)
        self.count = count

    def _cardinality(self) -> int:
        n = self.source._cardinality()
        if self.count < 0:
            return n
        if n == INFINITE_CARDINALITY:
            return self.count
        return min(n, self.count) if n >= 0 else UNKNOWN_CARDINALITY

    def _iterate(self) -> Iterator[Any]:
        if self.count == 0:
            return
        for i, element in enumerate(self.source):
            yield element
            if i + 1 == self.count:
                return


class _Skip(_Take):
    def _cardinality(self) -> int:
        n = self.source._cardinality()
        if n < 0:
            return n
        return 0 if self.count < 0 else max(n - self.count, 0)

    def _iterate(self) -> Iterator[Any]:
        if self.count < 0:
            return
        for i, element in enumerate(self.source):
            if i >= self.count:
                yield element


class _Concatenate(_Wrapped):
    def __init__(self, source: Dataset, other: Dataset) -> None:
        super().__init__(source)
        self.other = other

    def _cardinality(self) -> int:
        a, b = self.source._cardinality(), self.other._cardinality()
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        return a + b if a >= 0 and b >= 0 else UNKNOWN_CARDINALITY

    def _iterate(self) -> Iterator[Any]:
        yield from self.source
        yield from self.other


class _Zip(Dataset):
    def __init__(self, structure: Any) -> None:
        self.structure = structure

    def _cardinality(self) -> int:
        counts = [d._cardinality() for d in tree.flatten(self.structure)]
        finite = [c for c in counts if c >= 0]
        if finite:
            return (
                min(finite)
                if UNKNOWN_CARDINALITY not in counts
                else UNKNOWN_CARDINALITY
            )
        return (
            UNKNOWN_CARDINALITY
            if UNKNOWN_CARDINALITY in counts
            else INFINITE_CARDINALITY
        )

    def _iterate(self) -> Iterator[Any]:
        datasets = tree.flatten(self.structure)
        iterators = [iter(d) for d in datasets]
        while True:
            items = []
            for it in iterators:
                try:
                    items.append(next(it))
                except StopIteration:
                    return
            yield _pack_like(self.structure, iter(items))


class _Window(_Wrapped):
    def __init__(
        self, source: Dataset, size: int, shift: int, stride: int, drop: bool
    ) -> None:
        super().__init__(source)
        self.size, self.shift, self.stride, self.drop = size, shift, stride, drop

    def _cardinality(self) -> int:
        n = self.source._cardinality()
        if n < 0:
            return n
        span = (self.size - 1) * self.stride + 1
        if self.drop:
            return max((n - span) // self.shift + 1, 0)
        return -(-n // self.shift)

    def _iterate(self) -> Iterator[Any]:
        elements = list(self.source)  # windows overlap: keep what they share
        span = (self.size - 1) * self.stride + 1
        for start in builtins.range(0, len(elements), self.shift):
            window = elements[start : start + span : self.stride]
            if self.drop and len(window) < self.size:
                return
            if window:
                yield _zip_structures(window, _FromList)


class _Regrouped(_Wrapped):
    """The source's elements through ``regroup`` (an iterator function of
    ``_regroup``), with the cardinality ``count`` gives for the source's."""

    def __init__(
        self,
        source: Dataset,
        regroup: Callable[[Iterator[Any]], Iterator[Any]],
        count: Callable[[int], int],
    ) -> None:
        super().__init__(source)
        self.regroup, self.count = regroup, count

    def _cardinality(self) -> int:
        return self.count(self.source._cardinality())

    def _iterate(self) -> Iterator[Any]:
        return self.regroup(iter(self.source))


class _Cache(_Wrapped):
    def __init__(self, source: Dataset) -> None:
        super().__init__(source)
        self._elements: list[Any] | None = None

    def _iterate(self) -> Iterator[Any]:
        if self._elements is not None:
            yield from self._elements
            return
        seen = []
        for element in self.source:
            seen.append(element)
            yield element
        self._elements = seen  # only a complete pass is kept


__getattr__ = module_getattr("tensorflow.data")
