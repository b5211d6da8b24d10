"""A composition's config, checked before anything is read: one line naming the key, the
allowed values and what was received."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from railyard_batch.errors import ConfigError

KINDS = ("route", "blend", "stack")
FALLBACKS = ("global",)
NAME = re.compile(r"[a-z0-9_]{1,64}")
_TOP = {
    "route": {"name", "kind", "fallback", "member"},
    "blend": {"name", "kind", "fallback", "member", "weights"},
    "stack": {"name", "kind", "fallback", "member"},
}
_MEMBER = {"min_holdout_rows", "min_pr_auc", "require_parity"}


@dataclass(frozen=True)
class MemberCriteria:
    min_holdout_rows: int = 0
    min_pr_auc: float | None = None
    require_parity: bool = False


@dataclass(frozen=True)
class Composition:
    name: str
    kind: str
    fallback: str
    member: MemberCriteria
    member_weight: float  # route: 1.0 (the member's score alone where it is routed to)
    # blend with `weights: fit`: the member weight is fit on out-of-fold scores when composed
    fit_weights: bool = False

    def to_dict(self) -> dict[str, Any]:
        weights = {"member": self.member_weight, "global": 1.0 - self.member_weight}
        return {
            "name": self.name,
            "kind": self.kind,
            "fallback": self.fallback,
            "member": dict(self.member.__dict__),
            # a stack's weights are fit when it is composed (the result's "stack")
            "weights": None if self.kind == "stack" else weights,
            "fit_weights": self.fit_weights,
        }


def _fail(key: str, want: str, got: Any) -> ConfigError:
    return ConfigError(f"composition key '{key}' must be {want}; got {got!r}.")


def _number(raw: dict[str, Any], key: str, full: str) -> float:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(full, "a finite number", value)
    return float(value)


def find(conf_dir: Path, name: str) -> Path:
    folder = conf_dir / "composition"
    known = sorted(p.stem for p in folder.glob("*.yaml") if NAME.fullmatch(p.stem))
    if not NAME.fullmatch(name) or name not in known:
        raise ConfigError(
            f"--composition must name a file of {folder}/ (one of: {', '.join(known) or 'none'});"
            f" got {name!r}."
        )
    return folder / f"{name}.yaml"


def load(conf_dir: Path, name: str) -> Composition:
    path = find(conf_dir, name)
    try:
        loaded = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    except Exception as exc:  # a YAML or OmegaConf error: the file, its first line
        raise ConfigError(f"{path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"{path} must be a mapping of composition keys; got {type(loaded).__name__}."
        )
    return parse(name, {str(k): v for k, v in loaded.items()})


def parse(name: str, raw: dict[str, Any]) -> Composition:
    """``raw`` (a file's keys, or the sweep config's ``composition``) as a composition called
    ``name`` (the file's; a ``name`` key, which the sweep sets from ``composition=NAME``, must
    agree)."""
    if raw.get("name", name) != name or not NAME.fullmatch(str(name)):
        raise _fail(
            "name", f"the composition file's name ({name!r}), [a-z0-9_]{{1,64}}", raw.get("name")
        )
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail("kind", f"one of {', '.join(KINDS)}", kind)
    for key in raw:
        if key not in _TOP[kind]:
            raise _fail(
                str(key),
                f"a key of a {kind} composition ({', '.join(sorted(_TOP[kind]))})",
                "unknown key",
            )
    fallback = raw.get("fallback", "global")
    if fallback not in FALLBACKS:
        raise _fail(
            "fallback", f"one of {', '.join(FALLBACKS)} (the sweep's global model)", fallback
        )
    member = raw.get("member") or {}
    if not isinstance(member, dict):
        raise _fail("member", "a mapping of member criteria", member)
    for key in member:
        if key not in _MEMBER:
            raise _fail(
                f"member.{key}", f"one of member.{', member.'.join(sorted(_MEMBER))}", "unknown key"
            )
    rows = member.get("min_holdout_rows", 0)
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise _fail("member.min_holdout_rows", "an integer >= 0", rows)
    pr_auc = None
    if member.get("min_pr_auc") is not None:
        pr_auc = _number(member, "min_pr_auc", "member.min_pr_auc")
        if not 0.0 <= pr_auc <= 1.0:
            raise _fail("member.min_pr_auc", "a number in [0, 1]", member["min_pr_auc"])
    parity = member.get("require_parity", False)
    if not isinstance(parity, bool):
        raise _fail("member.require_parity", "true or false", parity)
    weight = 1.0
    fit = False
    if kind == "blend" and raw.get("weights") == "fit":
        weight, fit = 0.5, True  # replaced by the fit when composed
    elif kind == "blend":
        weights = raw.get("weights")
        if not isinstance(weights, dict) or set(weights) != {"member", "global"}:
            raise _fail("weights", "'fit' or a mapping with exactly 'member' and 'global'", weights)
        w_member = _number(weights, "member", "weights.member")
        w_global = _number(weights, "global", "weights.global")
        if min(w_member, w_global) < 0 or abs(w_member + w_global - 1.0) > 1e-9:
            raise _fail("weights", "two weights >= 0 that sum to 1", weights)
        weight = w_member
    return Composition(name, kind, fallback, MemberCriteria(rows, pr_auc, parity), weight, fit)
