"""Resolving a config's ``_target_`` without running anything it names.

A config arrives from other people and services, so a ``_target_`` is checked before anything
is imported or called: its module must be in ``targets.allowed_modules`` (default: scikit-learn,
XGBoost, LightGBM and the project's ``pipelines``), the object it names must come from an
allowed module too (a re-export of ``os.system`` in ``pipelines`` is refused), and it must be
what the key asks for: a class with ``fit`` and ``predict``/``predict_proba`` for an
estimator, a class with ``fit`` and ``transform`` (or a function of user code that builds one)
for a feature transformer, a function of user code for a hook. Only then may it be called.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable
from typing import Any

from railyard_batch.errors import ConfigError, UnknownTargetError

# Libraries whose classes may be named; every other allowed module is user code.
LIBRARY_MODULES = ("sklearn", "xgboost", "lightgbm")
DEFAULT_ALLOWED_MODULES = (*LIBRARY_MODULES, "pipelines")

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_TARGET = re.compile(rf"^{_IDENT}(?:\.{_IDENT})*[.:]{_IDENT}$")


def _in(module: str, allowed: Iterable[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def resolve_target(target: Any, key: str, *, kind: str, allowed: Iterable[str]) -> Any:
    """The object ``target`` names, checked as above; nothing is called. Raises a
    :class:`ConfigError` (``UnknownTargetError`` for a name that does not resolve)."""
    allowed = tuple(str(a) for a in allowed)
    if not isinstance(target, str) or not _TARGET.match(target):
        raise UnknownTargetError(
            f"The '{key}' parameter must be a dotted path such as "
            f"'sklearn.linear_model.LogisticRegression'. Got {target!r}."
        )
    module_name, _, attr = target.replace(":", ".").rpartition(".")
    if not _in(module_name, allowed):
        raise ConfigError(
            f"The '{key}' parameter must name an object in one of the modules of "
            f"'targets.allowed_modules' {sorted(allowed)}. Got {target!r}."
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an import error of any kind is the user's target
        raise UnknownTargetError(
            f"The '{key}' parameter names a module that cannot be imported "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
            f"Got {target!r}."
        ) from None
    try:
        obj = getattr(module, attr)
    except AttributeError:
        raise UnknownTargetError(
            f"The '{key}' parameter names nothing in module {module_name!r}. Got {target!r}."
        ) from None
    origin = getattr(obj, "__module__", None)
    if not isinstance(origin, str) or not _in(origin, allowed):
        raise ConfigError(
            f"The '{key}' parameter names an object defined outside 'targets.allowed_modules' "
            f"{sorted(allowed)} (in {origin!r}). Got {target!r}."
        )
    _check_kind(obj, key, kind, target, origin)
    return obj


def _check_kind(obj: Any, key: str, kind: str, target: str, origin: str) -> None:
    is_class = inspect.isclass(obj)
    user_function = inspect.isfunction(obj) and not _in(origin, LIBRARY_MODULES)
    if kind == "estimator":
        ok = (
            is_class
            and hasattr(obj, "fit")
            and (hasattr(obj, "predict") or hasattr(obj, "predict_proba"))
        )
        wanted = "an estimator class with fit() and predict() or predict_proba()"
    elif kind == "transformer":
        ok = (is_class and hasattr(obj, "fit") and hasattr(obj, "transform")) or user_function
        wanted = "a transformer class with fit() and transform(), or a function in user code"
    elif kind == "hook":
        ok = user_function
        wanted = "a function train(train_df, holdout_df, params) in user code"
    else:
        ok = is_class
        wanted = "a class"
    if not ok:
        raise ConfigError(f"The '{key}' parameter must name {wanted}. Got {target!r}.")


def check_nested_targets(node: Any, key: str, allowed: Iterable[str]) -> None:
    """Every ``_target_`` below ``node`` (what Hydra's ``instantiate`` would call) must name a
    class in an allowed module; the outermost one is checked by the caller."""
    allowed = tuple(allowed)

    def walk(value: Any, path: str, top: bool) -> None:
        if isinstance(value, dict):
            if "_target_" in value and not top:
                resolve_target(value["_target_"], f"{path}._target_", kind="class", allowed=allowed)
            for k, v in value.items():
                if k != "_target_":
                    walk(v, f"{path}.{k}", False)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]", False)

    walk(node, key, True)
