"""The promotion gate: what a version must show before it becomes ``production``.

Always: its parity gate passed and its bundle is exportable (``--force`` does not change
that). Then thresholds from ``conf/promotion/default.yaml`` over the recorded metrics: with a
production version, ``max_regression`` (how much worse than production a metric may be); for
the first production of a name, ``minimum`` (higher-is-better metrics) and ``maximum``
(lower-is-better ones). ``--force`` (with a reason) skips the thresholds and is recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from railyard_batch.errors import ConfigError
from railyard_batch.registry.errors import PromotionRefused

LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae"})
HIGHER_IS_BETTER = frozenset({"roc_auc", "pr_auc", "precision", "recall", "accuracy", "r2"})
SECTIONS = ("max_regression", "minimum", "maximum", "shadow", "against_global")
# Criteria over the newest shadow report of the candidate against production (models shadow).
SHADOW_LIMITS = {
    "max_age_days": "<=",
    "max_flip_rate": "<=",
    "max_psi": "<=",
    "max_ks": "<=",
    "min_spearman": ">=",
}
SHADOW_FLAGS = frozenset({"pr_auc_not_worse"})  # the difference's 95% interval reaches 0


@dataclass(frozen=True)
class Criteria:
    source: str
    max_regression: dict[str, float] = field(default_factory=dict)
    minimum: dict[str, float] = field(default_factory=dict)
    maximum: dict[str, float] = field(default_factory=dict)
    shadow: dict[str, float] = field(default_factory=dict)
    # A composition against the global model alone on the same rows (what `compose` recorded):
    # how much worse than the global model's its metric may be. Other versions skip it.
    against_global: dict[str, float] = field(default_factory=dict)


def load_criteria(path: Path) -> Criteria:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Cannot read the promotion criteria {path}: {_line(exc)}") from None
    if not isinstance(doc, dict) or set(doc) - set(SECTIONS):
        extra = sorted(set(doc) - set(SECTIONS)) if isinstance(doc, dict) else doc
        raise ConfigError(
            f"The promotion criteria {path} may hold only {{{', '.join(SECTIONS)}}}. Got {extra!r}."
        )
    parsed: dict[str, dict[str, float]] = {}
    for section in SECTIONS:
        allowed = {
            "max_regression": LOWER_IS_BETTER | HIGHER_IS_BETTER,
            "minimum": HIGHER_IS_BETTER,
            "maximum": LOWER_IS_BETTER,
            "shadow": frozenset(SHADOW_LIMITS) | SHADOW_FLAGS,
            "against_global": LOWER_IS_BETTER | HIGHER_IS_BETTER,
        }[section]
        body = doc.get(section) or {}
        if not isinstance(body, dict):
            raise ConfigError(f"'{section}' in {path} must map metrics to numbers. Got {body!r}.")
        for metric, value in body.items():
            if metric not in allowed:
                raise ConfigError(
                    f"'{section}.{metric}' in {path}: the metric must be one of"
                    f" {{{', '.join(sorted(allowed))}}}."
                )
            if metric in SHADOW_FLAGS:
                if not isinstance(value, bool):
                    raise ConfigError(
                        f"'{section}.{metric}' in {path} must be true or false. Got {value!r}."
                    )
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(
                    f"'{section}.{metric}' in {path} must be a number. Got {value!r}."
                )
        parsed[section] = {str(k): float(v) for k, v in body.items() if v is not False}
    return Criteria(str(path), **parsed)


def _line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def check_exportable(name: str, version: dict[str, Any]) -> None:
    """The criteria no promotion skips."""
    short = version["version"][:12]
    if not version["parity_passed"]:
        raise PromotionRefused(
            f"Criterion 'parity_gate' failed for {name} version {short}: threshold passed,"
            f" measured failed ({version.get('gate_reason') or 'the JVM differs from Python'});"
            " nothing changed."
        )
    if not version["exportable"]:
        raise PromotionRefused(
            f"Criterion 'exportable' failed for {name} version {short}: threshold true,"
            f" measured false ({version.get('gate_reason')}); nothing changed."
        )


def evaluate(
    criteria: Criteria,
    name: str,
    version: dict[str, Any],
    production: dict[str, Any] | None,
    shadow: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Raise :class:`PromotionRefused` at the first failing criterion; return what passed.
    ``shadow``: the newest shadow report of ``version`` against ``production`` (or none)."""
    check_exportable(name, version)
    measured = _metrics(version)
    passed: list[dict[str, Any]] = []
    short = version["version"][:12]

    def refuse(criterion: str, threshold: str, value: Any) -> PromotionRefused:
        return PromotionRefused(
            f"Criterion '{criterion}' ({criteria.source}) failed for {name} version {short}:"
            f" threshold {threshold}, measured {_fmt(value)}; nothing changed."
        )

    passed += _against_global(criteria, measured, refuse)
    if production is not None:
        theirs = _metrics(production)
        for metric, allowed in criteria.max_regression.items():
            mine, base = measured.get(metric), theirs.get(metric)
            lower = metric in LOWER_IS_BETTER
            limit = None if base is None else (base + allowed if lower else base - allowed)
            sign = "<=" if lower else ">="
            threshold = f"{metric} {sign} {_fmt(limit)} (production {_fmt(base)} {'+' if lower else '-'} {allowed:g})"
            if mine is None or limit is None or (mine > limit if lower else mine < limit):
                raise refuse(f"max_regression.{metric}", threshold, mine)
            passed.append(
                {"criterion": f"max_regression.{metric}", "measured": mine, "limit": limit}
            )
        if criteria.shadow:
            passed += _shadow_criteria(criteria, shadow, refuse)
        return passed
    for section, sign in (("minimum", ">="), ("maximum", "<=")):
        for metric, limit in getattr(criteria, section).items():
            mine = measured.get(metric)
            if mine is None or (mine < limit if sign == ">=" else mine > limit):
                raise refuse(
                    f"{section}.{metric}", f"{metric} {sign} {limit:g} (no production yet)", mine
                )
            passed.append({"criterion": f"{section}.{metric}", "measured": mine, "limit": limit})
    return passed


def _against_global(
    criteria: Criteria, measured: dict[str, Any], refuse: Any
) -> list[dict[str, Any]]:
    """A composition's metrics against the global model's on the same rows (its recorded
    ``metrics.global``); a version that is not a composition has none and skips this."""
    glob = measured.get("global")
    if not criteria.against_global or not isinstance(glob, dict):
        return []
    passed = []
    for metric, allowed in criteria.against_global.items():
        mine, base = measured.get(metric), glob.get(metric)
        lower = metric in LOWER_IS_BETTER
        limit = None if base is None else (base + allowed if lower else base - allowed)
        sign = "<=" if lower else ">="
        threshold = (
            f"{metric} {sign} {_fmt(limit)} (the global model on the same rows {_fmt(base)}"
            f" {'+' if lower else '-'} {allowed:g})"
        )
        if mine is None or limit is None or (mine > limit if lower else mine < limit):
            raise refuse(f"against_global.{metric}", threshold, mine)
        passed.append({"criterion": f"against_global.{metric}", "measured": mine, "limit": limit})
    return passed


def _shadow_criteria(
    criteria: Criteria, report: dict[str, Any] | None, refuse: Any
) -> list[dict[str, Any]]:
    if report is None:
        raise refuse(
            "shadow", "a shadow report against the current production (models shadow)", None
        )
    passed = []
    for key, limit in criteria.shadow.items():
        if key == "pr_auc_not_worse":
            interval = (report.get("intervals", {}).get("difference") or {}).get("pr_auc")
            upper = None if not interval else interval[1]
            if upper is None or upper < 0:
                raise refuse(
                    f"shadow.{key}",
                    "the 95% interval of candidate - production PR AUC reaches 0"
                    f" (report {report['id']})",
                    upper,
                )
            passed.append({"criterion": f"shadow.{key}", "measured": upper, "report": report["id"]})
            continue
        if key == "max_age_days":
            created = datetime.fromisoformat(report["created_at"])
            value: Any = (datetime.now(UTC) - created).total_seconds() / 86400
        else:
            value = report.get(key.split("_", 1)[1])
        sign = SHADOW_LIMITS[key]
        if value is None or (value > limit if sign == "<=" else value < limit):
            measure = key.split("_", 1)[1]
            raise refuse(
                f"shadow.{key}", f"{measure} {sign} {limit:g} (report {report['id']})", value
            )
        passed.append(
            {
                "criterion": f"shadow.{key}",
                "measured": value,
                "limit": limit,
                "report": report["id"],
            }
        )
    return passed


def _metrics(version: dict[str, Any]) -> dict[str, Any]:
    raw = version.get("metrics")
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def _fmt(value: Any) -> str:
    return "none" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)
