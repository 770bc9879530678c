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
import inspect
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
# Keras functions whose result is a model (their methods are then checked too).
_MODEL_FACTORIES = ("load_model", "clone_model", "model_from_json")
# Metric ids whose meaning compile() picks from the loss and shapes.
_SHAPE_DEPENDENT_METRICS = ("accuracy", "acc", "crossentropy", "ce")


@dataclass(frozen=True)
class Usage:
    """One Keras/TensorFlow name at one line, and whether cnnkit provides it."""

    line: int
    name: str
    supported: bool
    note: str = ""


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
        return f"tf{missing[len(TF_ROOT) :]}: not in cnnkit's TensorFlow stand-in"
    # "cnnkit has no keras.X" next to keras.X says nothing the name does not.
    return "" if missing == name else f"cnnkit has no {missing}"


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

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name → dotted keras/tf name
        self.instances: dict[str, tuple[str, type]] = {}  # variable → (shown, class)
        self.found: dict[tuple[int, str], Usage] = {}
        self.getters = _string_getters()

    def record(self, line: int, name: str, supported: bool, note: str = "") -> None:
        self.found.setdefault((line, name), Usage(line, name, supported, note))

    # ----------------------------------------------------------------- imports

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] not in _ROOTS:
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
        if node.level or module.split(".")[0] not in _ROOTS:
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
        self._check_method_call(node)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        # `model = keras.Sequential(...)` / `= load_model(...)`: remember the class so
        # that `model.fit_generator(...)` can be checked later.
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if isinstance(node.value, ast.Call):
            made = self._made_class(node.value)
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
                self.record(node.lineno, f"{callee}({keyword.arg}=...)", True, note)

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


def check_source(source: str, filename: str = "<script>") -> list[Usage]:
    """Every keras/tensorflow API ``source`` uses, with support status, by line.

    Raises:
        SyntaxError: ``source`` is not valid Python.
    """
    scanner = _Scanner()
    scanner.visit(ast.parse(source, filename))
    return sorted(scanner.found.values(), key=lambda u: (u.line, u.name))


def format_report(usages: list[Usage], filename: str) -> str:
    """The text ``cnnkit run --check`` prints: one line per name, then a verdict."""
    lines = [f"{filename}: {len(usages)} Keras/TensorFlow name(s) used"]
    for usage in usages:
        status = "ok" if usage.supported else "NOT SUPPORTED by cnnkit"
        detail = f" ({usage.note})" if usage.note else ""
        lines.append(f"  line {usage.line}: {usage.name} — {status}{detail}")
    unsupported = [u for u in usages if not u.supported]
    if unsupported:
        where = ", ".join(f"{u.name} (line {u.line})" for u in unsupported)
        lines.append(f"{len(unsupported)} unsupported name(s): {where}.")
    else:
        lines.append("All supported.")
    return "\n".join(lines)
