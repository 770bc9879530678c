"""``cnnkit run --check``: list the Keras / TensorFlow names a script uses, statically.

Nothing is executed: the script is parsed with ``ast``; every import from keras or
tensorflow, every attribute reached from one (``tf.keras.layers.Conv2D``), the string
ids given to Keras (``optimizer="adam"``, ``activation="relu"``) and the methods
called on models the script builds or loads are resolved against what cnnkit
provides, and each is reported with its line.

Example:
    >>> report = check_source("from keras import layers\\nlayers.Conv2D(8, 3)\\nlayers.Nope()")
    >>> [(r.line, r.name, r.supported) for r in report]
    [(1, 'keras.layers', True), (2, 'keras.layers.Conv2D', True), (3, 'keras.layers.Nope', False)]
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnnkit.compat.hook import TF_ROOT, is_tf_outside_keras, keras_target, resolve_api

_ROOTS = ("keras", "tensorflow", "tf_keras")

# Keras 2 model methods old tutorials call on models built out of sight (in a
# function), so the object cannot be tracked: matched by name alone.
_KERAS2_METHODS = (
    "fit_generator",
    "evaluate_generator",
    "predict_generator",
    "predict_classes",
    "predict_proba",
)
# Keras 2 names cnnkit accepts, with what Keras 3 calls them (shown as a note).
_DEPRECATED = {
    "fit_generator": "Keras 2 name: runs model.fit",
    "evaluate_generator": "Keras 2 name: runs model.evaluate",
    "predict_generator": "Keras 2 name: runs model.predict",
    "predict_classes": "Keras 2 name: argmax of model.predict",
    "predict_proba": "Keras 2 name: runs model.predict",
}
_DEPRECATED_KEYWORDS = {
    "lr": "Keras 2 spelling of learning_rate",
    "decay": "Keras 2 argument, ignored with a warning",
}
# Of those, the ones that change what runs (flagged as differing from Keras 2).
_IGNORED_KEYWORDS = ("decay",)
# Methods whose data-loading keywords (`workers=`...) are checked on any object.
_TRAINING_METHODS = (
    "fit",
    "evaluate",
    "predict",
    "fit_generator",
    "evaluate_generator",
    "predict_generator",
)
# Keras functions whose result is a model (their methods are then checked too).
_MODEL_FACTORIES = ("load_model", "clone_model", "model_from_json")
# Metric ids whose meaning compile() picks from the loss and shapes.
_SHAPE_DEPENDENT_METRICS = ("accuracy", "acc", "crossentropy", "ce")

# Packages built on TensorFlow or on Keras' internals: their import stops the script
# under cnnkit, whatever is installed. Each with the fix, in one line.
_TF_ONLY_PACKAGES = {
    "tensorflow_datasets": "tensorflow_datasets needs TensorFlow: load the data with "
    "keras.datasets or keras.utils.image_dataset_from_directory instead",
    "tensorflow_addons": "tensorflow_addons needs TensorFlow (and is retired): use "
    "the Keras 3 equivalents in keras.layers / keras.optimizers / keras.losses",
    "tensorflow_hub": "tensorflow_hub loads TensorFlow SavedModels: build the model "
    "from keras.layers, or load a .keras/.h5 file with keras.models.load_model",
    "tensorflow_probability": "tensorflow_probability needs TensorFlow: write the "
    "maths with tf.random / tf.math, or use torch.distributions",
    "tensorflow_text": "tensorflow_text needs TensorFlow: tokenize the text in "
    "Python before it reaches the model",
    "tensorflow_io": "tensorflow_io needs TensorFlow: read the files with numpy, "
    "PIL or keras.utils.load_img",
    "tensorflow_model_optimization": "tensorflow_model_optimization rewrites "
    "TensorFlow graphs: train the plain model, prune or quantize with torch.ao",
    "keras_cv": "keras_cv builds on Keras internals cnnkit does not have: use "
    "keras.layers' augmentation layers and models built from keras.layers",
    "keras_nlp": "keras_nlp builds on Keras internals cnnkit does not have: build "
    "the model from keras.layers",
    "keras_hub": "keras_hub builds on Keras internals cnnkit does not have: build "
    "the model from keras.layers",
}
# Import names whose pip package is named otherwise.
_PIP_NAMES = {
    "cv2": "opencv-python",
    "PIL": "pillow",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "yaml": "pyyaml",
}
# Fixes for TensorFlow modules the stand-in lacks, appended to their note.
_TF_FIXES = {
    "tensorflow.distribute": "cnnkit trains on one device per process: drop the "
    "strategy (and its scope()), or start the script with torchrun for several "
    "GPUs (see cnnkit.distributed)",
    "tensorflow.saved_model": "save with model.save('model.keras') and load with "
    "keras.models.load_model",
    "tensorflow.lite": "export with torch (torch.onnx / torch.export) instead",
    "tensorflow.train": "save weights with model.save_weights('w.weights.h5'); "
    "for schedules use keras.optimizers.schedules",
}
# Names that run under cnnkit but do something else than in Keras/TensorFlow:
# supported, flagged, with what actually happens (keys are Keras-normalised, see
# `_canonical`).
_DIFFERS = {
    "tensorflow.function": "runs eagerly: no graph is traced (jit_compile, "
    "input_signature and reduce_retracing change nothing; a print inside prints at "
    "every call)",
    "tensorflow.config.experimental.set_memory_growth": "does nothing: torch's "
    "allocator already grows GPU memory on demand",
    "tensorflow.config.run_functions_eagerly": "does nothing: everything already "
    "runs eagerly",
    "keras.mixed_precision.set_global_policy": "mixed policies run the forward pass "
    "under torch.autocast with float32 variables (loss scaling for float16); on a "
    "CPU float16 is slow, prefer 'mixed_bfloat16'",
    "keras.mixed_precision.set_dtype_policy": "mixed policies run the forward pass "
    "under torch.autocast with float32 variables",
    "Dataset.interleave": "reads the inner datasets in this thread, in TF's "
    "deterministic order (num_parallel_calls and deterministic change nothing)",
    "Dataset.with_options": "the options are kept (ds.options()) but change "
    "nothing: they tune TF's C++ pipeline",
}
# Keyword arguments that are accepted but mean something else (or nothing) here,
# by the name of the call they are given to.
_DIFFERING_KEYWORDS = {
    "compile": {
        "steps_per_execution": "accepted; each step still runs one batch (no "
        "graph to fuse steps into)",
        "jit_compile": "True wraps the forward pass in torch.compile (no XLA); on "
        "a CPU it is usually slower",
        "run_eagerly": "cnnkit always runs eagerly",
    },
    "*": {
        "workers": "accepted and ignored: batches are made in the training "
        "process, in order",
        "use_multiprocessing": "accepted and ignored: batches are made in the "
        "training process, in order",
        "max_queue_size": "accepted and ignored",
    },
}
# Exceptions whose handler makes a failed import harmless.
_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")


@dataclass(frozen=True)
class Usage:
    """One Keras/TensorFlow name at one line, and whether cnnkit provides it."""

    line: int
    name: str
    supported: bool
    note: str = ""
    # Supported, but it behaves otherwise than in Keras/TensorFlow (the note says how).
    differs: bool = False


def _dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` → ``["a", "b", "c"]``; None when the chain does not start at a name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _first_sentence(error: BaseException) -> str:
    """The first sentence of an error: enough for one report line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    head, dot, _ = text.partition(". ")
    return (head + dot.strip()) if text else type(error).__name__


def missing_note(name: str, missing: str | None = None) -> str:
    """Why ``name`` is unsupported, in a few words; ``missing`` is the first piece of
    it cnnkit lacks (``keras.applications`` in ``keras.applications.ResNet50``)."""
    missing = missing or name
    if is_tf_outside_keras(missing):
        note = f"tf{missing[len(TF_ROOT) :]}: not in cnnkit's TensorFlow stand-in"
        fix = next(
            (f for prefix, f in _TF_FIXES.items() if _within(missing, prefix)), None
        )
        return note if fix is None else f"{note}; {fix}"
    # "cnnkit has no keras.X" next to keras.X says nothing the name does not.
    return "" if missing == name else f"cnnkit has no {missing}"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _canonical(name: str) -> str:
    """``tensorflow.keras.X`` / ``tf_keras.X`` → ``keras.X`` (one key per Keras name)."""
    for root in ("tensorflow.python.keras", "tensorflow.keras", "tf_keras"):
        if _within(name, root):
            return "keras" + name[len(root) :]
    return name


def difference(name: str) -> str | None:
    """What a supported name does differently under cnnkit, or None."""
    return _DIFFERS.get(_canonical(name))


def import_problem(module: str, script_dir: str | None = None) -> str | None:
    """Why ``import module`` (not keras/tensorflow) would stop the script, or None.

    Looked up with ``importlib``'s finders, so nothing is imported; the script's own
    folder (``script_dir``) counts, as ``python script.py`` puts it on the path.
    """
    top = module.split(".")[0]
    if top in _TF_ONLY_PACKAGES:
        return _TF_ONLY_PACKAGES[top]
    if script_dir is not None and (
        importlib.machinery.PathFinder.find_spec(top, [script_dir]) is not None
    ):
        return None
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    if found is not None:
        return None
    pip_name = _PIP_NAMES.get(top, top)
    return f"{top} is not installed here: `pip install {pip_name}`"


def _resolve(name: str) -> tuple[bool, str, Any]:
    """(supported, note, object) for a dotted keras/tensorflow name."""
    try:
        obj = resolve_api(name)
    except (AttributeError, ImportError) as error:
        return False, missing_note(name, getattr(error, "name", None)), None
    return True, _DEPRECATED.get(name.rsplit(".", 1)[-1], ""), obj


def _string_getters() -> dict[str, Callable[[str], object]]:
    """Keyword argument → the cnnkit function that resolves its string id."""
    from cnnkit import (
        activations,
        constraints,
        initializers,
        losses,
        metrics,
        optimizers,
        regularizers,
    )

    def metric(name: str) -> object:
        if name.lower() in _SHAPE_DEPENDENT_METRICS:
            return name
        return metrics.get(name)

    return {
        "optimizer": optimizers.get,
        "loss": losses.get,
        "metrics": metric,
        "weighted_metrics": metric,
        "activation": activations.get,
        "recurrent_activation": activations.get,
        "kernel_initializer": initializers.get,
        "bias_initializer": initializers.get,
        "depthwise_initializer": initializers.get,
        "pointwise_initializer": initializers.get,
        "kernel_regularizer": regularizers.get,
        "bias_regularizer": regularizers.get,
        "activity_regularizer": regularizers.get,
        "kernel_constraint": constraints.get,
        "bias_constraint": constraints.get,
    }


def _returned_class(function: Any) -> tuple[str, type] | None:
    """The class a function says it returns (``-> Dataset``), so that methods called
    on its result (``ds.interleave``) are checked too."""
    try:
        annotation = inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return None
    if isinstance(annotation, str):
        module = sys.modules.get(getattr(function, "__module__", "") or "")
        annotation = getattr(module, annotation, None)
    if inspect.isclass(annotation) and annotation.__module__.startswith("cnnkit."):
        return annotation.__name__, annotation
    return None


class _Scanner(ast.NodeVisitor):
    """Walks a module once, in source order, collecting ``Usage`` records."""

    def __init__(self, script_dir: str | None = None) -> None:
        self.aliases: dict[str, str] = {}  # local name → dotted keras/tf name
        self.instances: dict[str, tuple[str, type]] = {}  # variable → (shown, class)
        self.found: dict[tuple[int, str], Usage] = {}
        self.getters = _string_getters()
        self.script_dir = script_dir
        # >0 inside `try:` blocks whose handlers catch a failed import.
        self.guarded = 0

    def record(
        self,
        line: int,
        name: str,
        supported: bool,
        note: str = "",
        differs: bool = False,
    ) -> None:
        if supported and not differs:
            what = difference(name)
            if what is not None:
                note, differs = what, True
        self.found.setdefault((line, name), Usage(line, name, supported, note, differs))

    # ----------------------------------------------------------------- imports

    def visit_Try(self, node: ast.Try) -> None:
        # `try: import cv2 / except ImportError:` cannot stop the script.
        guarded = any(_catches_import_error(h.type) for h in node.handlers)
        self.guarded += guarded
        for statement in node.body:
            self.visit(statement)
        self.guarded -= guarded
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    def _check_other_import(self, line: int, module: str) -> None:
        """A non-Keras import: reported only when it would stop the script."""
        if self.guarded:
            return
        problem = import_problem(module, self.script_dir)
        if problem is not None:
            self.record(line, module, False, problem)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] not in _ROOTS:
                self._check_other_import(node.lineno, alias.name)
                continue
            # `import keras.layers` binds `keras`; `import keras.layers as L` binds L.
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
            found = keras_target(alias.name) is not None
            note = "" if found else missing_note(alias.name)
            self.record(node.lineno, alias.name, found, note)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            return
        if module.split(".")[0] not in _ROOTS:
            self._check_other_import(node.lineno, module)
            return
        if keras_target(module) is None:
            self.record(node.lineno, module, False, missing_note(module))
            return
        for alias in node.names:
            if alias.name == "*":
                self.record(node.lineno, f"{module}.*", True)
                continue
            full = f"{module}.{alias.name}"
            self.aliases[alias.asname or alias.name] = full
            self.record(node.lineno, full, *_resolve(full)[:2])

    # -------------------------------------------------------------- attributes

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts = _dotted(node)
        if parts and parts[0] in self.aliases:
            full = ".".join([self.aliases[parts[0]], *parts[1:]])
            self.record(node.lineno, full, *_resolve(full)[:2])
            return  # the inner nodes are prefixes of this chain
        self.generic_visit(node)

    # ------------------------------------------------------------------- calls

    def visit_Call(self, node: ast.Call) -> None:
        callee = self._keras_callee(node.func)
        if callee is not None or self._is_compile(node.func):
            self._check_string_ids(node)
        if callee is not None:
            self._check_keywords(node, callee[0])
        self._check_differing_keywords(node, callee[0] if callee else None)
        self._check_method_call(node)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        # `model = keras.Sequential(...)` / `= load_model(...)`: remember the class so
        # that `model.fit_generator(...)` can be checked later.
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if isinstance(node.value, ast.Call):
            made = self._made_class(node.value) or self._method_result(node.value)
            if made is not None:
                self.instances.update(dict.fromkeys(names, made))
        # `keras = tf.keras`, `L = keras.layers`: a new local name for a Keras module.
        parts = _dotted(node.value)
        if parts and parts[0] in self.aliases:
            full = ".".join([self.aliases[parts[0]], *parts[1:]])
            self.aliases.update(dict.fromkeys(names, full))
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        # `with tf.GradientTape() as tape:` binds an instance like an assignment does,
        # so that `tape.gradient(...)` / `tape.jacobian(...)` are checked.
        for item in node.items:
            target = item.optional_vars
            if isinstance(target, ast.Name) and isinstance(item.context_expr, ast.Call):
                made = self._made_class(item.context_expr)
                if made is not None:
                    self.instances[target.id] = made
        self.generic_visit(node)

    def _keras_callee(self, func: ast.AST) -> tuple[str, Any] | None:
        parts = _dotted(func)
        if not parts or parts[0] not in self.aliases:
            return None
        full = ".".join([self.aliases[parts[0]], *parts[1:]])
        supported, _, obj = _resolve(full)
        return (full, obj) if supported else None

    @staticmethod
    def _is_compile(func: ast.AST) -> bool:
        return isinstance(func, ast.Attribute) and func.attr == "compile"

    def _made_class(self, call: ast.Call) -> tuple[str, type] | None:
        from cnnkit.models import Model

        callee = self._keras_callee(call.func)
        if callee is None:
            return None
        full, obj = callee
        if inspect.isclass(obj):
            return full.rsplit(".", 1)[-1], obj
        if full.rsplit(".", 1)[-1] in _MODEL_FACTORIES:
            return "Model", Model
        return _returned_class(obj)

    def _method_result(self, call: ast.Call) -> tuple[str, type] | None:
        """The class a tracked instance's method returns (``ds = ds.map(...)`` is
        still a Dataset), so that chained pipelines stay checked."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        tracked = self.instances.get(func.value.id)
        method = None if tracked is None else getattr(tracked[1], func.attr, None)
        return None if method is None else _returned_class(method)

    def _check_method_call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        if isinstance(func.value, ast.Name) and func.value.id in self.instances:
            shown, cls = self.instances[func.value.id]
        elif func.attr in _KERAS2_METHODS:
            from cnnkit.models import Model

            shown, cls = "Model", Model
        else:
            return
        if callable(getattr(cls, func.attr, None)):
            note = _DEPRECATED.get(func.attr, "")
            self.record(node.lineno, f"{shown}.{func.attr}", True, note)
        else:
            note = f"cnnkit's {shown} has no method {func.attr!r}"
            self.record(node.lineno, f"{shown}.{func.attr}", False, note)

    def _check_keywords(self, node: ast.Call, callee: str) -> None:
        # Only the Keras 2 keywords cnnkit still takes are worth a line of their own.
        for keyword in node.keywords:
            note = _DEPRECATED_KEYWORDS.get(keyword.arg or "")
            if note is not None:
                ignored = keyword.arg in _IGNORED_KEYWORDS
                self.record(
                    node.lineno, f"{callee}({keyword.arg}=...)", True, note, ignored
                )

    def _check_differing_keywords(self, node: ast.Call, callee: str | None) -> None:
        """``compile(jit_compile=True)``, ``fit(workers=4)``: accepted, but they do
        something else (or nothing) here."""
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        if method == "compile":
            shown, table = "compile", _DIFFERING_KEYWORDS["compile"]
        elif callee is not None or method in _TRAINING_METHODS:
            shown, table = callee or f"Model.{method}", _DIFFERING_KEYWORDS["*"]
        else:
            return
        for keyword in node.keywords:
            note = table.get(keyword.arg or "")
            if note is not None:
                self.record(
                    node.lineno, f"{shown}({keyword.arg}=...)", True, note, True
                )

    def _check_string_ids(self, node: ast.Call) -> None:
        for keyword in node.keywords:
            getter = self.getters.get(keyword.arg or "")
            if getter is None:
                continue
            values = (
                keyword.value.elts
                if isinstance(keyword.value, ast.List | ast.Tuple)
                else [keyword.value]
            )
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    self._check_string(node.lineno, keyword.arg or "", value.value)

    def _check_string(self, line: int, argument: str, identifier: str) -> None:
        getter = self.getters[argument]
        try:
            getter(identifier)
        except (ValueError, TypeError, KeyError) as error:
            note = _first_sentence(error)
            self.record(line, f"{argument}={identifier!r}", False, note)
        else:
            self.record(line, f"{argument}={identifier!r}", True)


def _catches_import_error(handler: ast.expr | None) -> bool:
    if handler is None:  # a bare `except:`
        return True
    names = handler.elts if isinstance(handler, ast.Tuple) else [handler]
    return any(isinstance(n, ast.Name) and n.id in _IMPORT_ERRORS for n in names)


def check_source(source: str, filename: str = "<script>") -> list[Usage]:
    """Every keras/tensorflow API ``source`` uses, with support status, by line;
    and every other import that would stop it (not installed, or TensorFlow-only).

    Raises:
        SyntaxError: ``source`` is not valid Python.
    """
    script_dir = (
        os.path.dirname(os.path.abspath(filename)) if os.path.isfile(filename) else None
    )
    scanner = _Scanner(script_dir)
    scanner.visit(ast.parse(source, filename))
    return sorted(scanner.found.values(), key=lambda u: (u.line, u.name))


def format_report(usages: list[Usage], filename: str) -> str:
    """The text ``cnnkit run --check`` prints: one line per name, then a verdict."""
    lines = [f"{filename}: {len(usages)} Keras/TensorFlow name(s) used"]
    for usage in usages:
        if not usage.supported:
            status = "NOT SUPPORTED by cnnkit"
        else:
            status = "runs, but differs from Keras" if usage.differs else "ok"
        detail = f" ({usage.note})" if usage.note else ""
        lines.append(f"  line {usage.line}: {usage.name} — {status}{detail}")
    differing = [u for u in usages if u.supported and u.differs]
    if differing:
        where = ", ".join(f"{u.name} (line {u.line})" for u in differing)
        lines.append(f"{len(differing)} name(s) run but differ from Keras: {where}.")
    unsupported = [u for u in usages if not u.supported]
    if unsupported:
        where = ", ".join(f"{u.name} (line {u.line})" for u in unsupported)
        lines.append(f"{len(unsupported)} unsupported name(s): {where}.")
    else:
        lines.append("All supported.")
    return "\n".join(lines)
