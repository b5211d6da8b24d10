"""Estimator params checked by the library's own rules before anything trains (issue 10).

scikit-learn: the class's ``_parameter_constraints`` through ``_validate_params()`` on an
instance built with the params (construction only, no fit); its ``InvalidParameterError``
becomes one line naming ``estimator.<param>``. XGBoost's sklearn classes take ``**kwargs``
and only warn at fit about a name they do not use, so names are checked here against:

* the sklearn wrapper's own signature, read from the installed package
  (``inspect.signature`` of ``__init__`` of every class in the estimator's MRO up to
  ``xgboost.XGBModel``: ``n_estimators``, ``max_depth``, ``learning_rate`` ...), and
* XGBoost's booster parameters passed through ``**kwargs`` (aliases such as ``eta`` and
  ``lambda``, DART and linear-booster params, objective params), listed below from the
  XGBoost parameter reference (doc/parameter.rst, XGBoost 2.x-3.x): the package ships no
  machine-readable list of them.

Ranges follow the same reference: ``n_estimators`` an int >= 1, ``max_depth`` >= 0,
``learning_rate``/``eta``, ``subsample`` and ``colsample_*`` in (0, 1], ``min_child_weight``,
``gamma``, ``reg_alpha``, ``reg_lambda`` (and their aliases) >= 0.
"""

from __future__ import annotations

import difflib
import inspect
import numbers
import re
from collections.abc import Callable
from typing import Any

from railyard_batch.errors import ConfigError

XGBOOST_BOOSTER_PARAMS = frozenset(
    {
        # general and learner
        "nthread", "seed", "seed_per_iteration", "disable_default_eval_metric", "num_feature",
        # tree booster aliases and params not in the wrapper's signature
        "eta", "min_split_loss", "lambda", "alpha", "refresh_leaf", "process_type",
        "updater", "max_cached_hist_node", "extmem_single_page", "max_leaves",
        # DART booster
        "sample_type", "normalize_type", "rate_drop", "one_drop", "skip_drop",
        # linear booster
        "feature_selector", "top_k",
        # objectives
        "tweedie_variance_power", "huber_slope", "quantile_alpha", "aft_loss_distribution",
        "aft_loss_distribution_scale", "lambdarank_pair_method", "lambdarank_num_pair_per_sample",
        "lambdarank_unbiased", "lambdarank_bias_norm", "ndcg_exp_gain", "num_class",
        "num_target",
    }
)  # fmt: skip


def _int_at_least(low: int) -> tuple[Callable[[Any], bool], str]:
    return (
        lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool) and int(v) >= low,
        f"an int >= {low}",
    )


def _number(test: Callable[[float], bool], text: str) -> tuple[Callable[[Any], bool], str]:
    return (
        lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool) and test(float(v)),
        text,
    )


_UNIT = _number(lambda v: 0.0 < v <= 1.0, "a float in the range (0, 1]")
_NON_NEGATIVE = _number(lambda v: v >= 0.0, "a float in the range [0, inf)")

XGBOOST_RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "n_estimators": _int_at_least(1),
    "max_depth": _int_at_least(0),
    "learning_rate": _UNIT,
    "eta": _UNIT,
    "subsample": _UNIT,
    "colsample_bytree": _UNIT,
    "colsample_bylevel": _UNIT,
    "colsample_bynode": _UNIT,
    "min_child_weight": _NON_NEGATIVE,
    "gamma": _NON_NEGATIVE,
    "min_split_loss": _NON_NEGATIVE,
    "reg_alpha": _NON_NEGATIVE,
    "alpha": _NON_NEGATIVE,
    "reg_lambda": _NON_NEGATIVE,
    "lambda": _NON_NEGATIVE,
}


def is_xgboost(cls: Any) -> bool:
    return any(c.__module__.split(".")[0] == "xgboost" for c in inspect.getmro(cls))


def xgboost_param_names(cls: Any) -> set[str]:
    """The sklearn wrapper's named params (from the installed package) and the booster's."""
    names: set[str] = set(XGBOOST_BOOSTER_PARAMS)
    for klass in inspect.getmro(cls):
        if klass.__module__.split(".")[0] != "xgboost" or "__init__" not in vars(klass):
            continue
        for p in inspect.signature(vars(klass)["__init__"]).parameters.values():
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                names.add(p.name)
    return names


def unknown_param_error(name: str, known: set[str] | list[str], target: str) -> ConfigError:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"did you mean 'estimator.{close[0]}'?" if close else f"allowed: {sorted(known)}."
    return ConfigError(f"The 'estimator.{name}' parameter is not accepted by {target}; {hint}")


def check_xgboost_params(cls: Any, params: dict[str, Any], target: str) -> None:
    known = xgboost_param_names(cls)
    for name in sorted(params):
        if name not in known:
            raise unknown_param_error(name, known, target)
    for name, value in params.items():
        if name in XGBOOST_RANGES and value is not None:
            ok, text = XGBOOST_RANGES[name]
            if not ok(value):
                raise ConfigError(
                    f"The 'estimator.{name}' parameter of {target} must be {text}. Got {value!r}."
                )


_SKLEARN = re.compile(
    r"^The '(?P<name>[^']+)' parameter of \w+ (?P<rule>.*?)\s*Got (?P<got>.*) instead\.?$", re.S
)


def sklearn_error_line(exc: Exception, target: str) -> str:
    """sklearn's InvalidParameterError as one line naming ``estimator.<param>``."""
    text = " ".join(str(exc).split())
    match = _SKLEARN.match(text)
    if match:
        return (
            f"The 'estimator.{match['name']}' parameter of {target} {match['rule']} "
            f"Got {match['got']}."
        )
    return f"The 'estimator' parameters were rejected by {target}: {text}"
