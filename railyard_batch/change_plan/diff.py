"""Two revisions' sweeps compared by content key: which members are added, removed, retrain
(changed) or stay cached (unchanged), and why.

Members are matched by their job (the swept overrides, ``estimator=xgboost``) and their
fan-out value. A matched member whose content key differs retrains; its reasons are what its
content key is made of: the config keys that differ (old -> new), the dataset md5, the digest
of ``pipelines/``, the package version. A fan-out member that appears or disappears is
explained by its rows and ``fanout.min_rows`` on each side.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from railyard_batch.change_plan.revision_sweep import (
    JobPlan,
    PlannedMember,
    RevisionPlan,
    member_token,
)
from railyard_batch.planning.member_keys import GLOBAL_KEY
from railyard_batch.planning.plan import NON_RESULT_KEYS

STATUSES = ("added", "removed", "changed", "unchanged")


@dataclass
class MemberDiff:
    status: str
    job: str
    estimator: str
    key: str
    value: Any
    n_rows: int
    # Rows at the old side (removed and changed members), else None.
    old_rows: int | None
    reasons: list[dict[str, Any]]
    # Set later by railyard_batch.change_plan.estimate: seconds to train, when known.
    seconds: float | None = None
    # Its content key already succeeded in the run store: reused unless --force.
    in_store: bool = False


@dataclass
class PlanDiff:
    old: dict[str, Any]
    new: dict[str, Any]
    counts: dict[str, int]
    by_estimator: dict[str, dict[str, int]]
    members: list[MemberDiff]
    notes: list[str] = field(default_factory=list)
    estimate: dict[str, Any] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        return any(self.counts[s] for s in ("added", "removed", "changed"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "counts": self.counts,
            "by_estimator": self.by_estimator,
            "estimate": self.estimate,
            "notes": self.notes,
            "members": [asdict(m) for m in self.members if m.status != "unchanged"],
        }


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys to leaf values (lists are leaves)."""
    if not isinstance(config, dict):
        return {prefix: config}
    flat: dict[str, Any] = {}
    for key, value in config.items():
        flat.update(flatten(value, f"{prefix}{key}."))
    if not config and prefix:
        flat[prefix[:-1]] = {}
    return {k.rstrip("."): v for k, v in flat.items()}


def config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The result-relevant keys that differ, old -> new (``None``: absent on that side)."""
    a = flatten({k: v for k, v in old.items() if k not in NON_RESULT_KEYS})
    b = flatten({k: v for k, v in new.items() if k not in NON_RESULT_KEYS})
    return [
        {"kind": "config", "key": key, "old": a.get(key), "new": b.get(key)}
        for key in sorted(set(a) | set(b))
        if a.get(key) != b.get(key) or (key in a) != (key in b)
    ]


def job_reasons(
    old_plan: RevisionPlan, new_plan: RevisionPlan, old: JobPlan, new: JobPlan
) -> list[dict[str, Any]]:
    reasons = config_changes(old.config, new.config)
    if old.data_md5 != new.data_md5:
        reasons.append(
            {"kind": "data", "key": "data md5", "old": old.data_md5, "new": new.data_md5}
        )
    if old_plan.pipelines_digest != new_plan.pipelines_digest:
        reasons.append(
            {
                "kind": "code",
                "key": "pipelines/ digest",
                "old": old_plan.pipelines_digest,
                "new": new_plan.pipelines_digest,
            }
        )
    if old_plan.side.package_version != new_plan.side.package_version:
        reasons.append(
            {
                "kind": "package",
                "key": "railyard-batch version",
                "old": old_plan.side.package_version,
                "new": new_plan.side.package_version,
            }
        )
    return reasons


def _side(plan: RevisionPlan) -> dict[str, Any]:
    md5s = sorted({j.data_md5 for j in plan.jobs.values()})
    return {
        "label": plan.side.label,
        "commit": plan.side.commit,
        "data_md5": md5s[0] if len(md5s) == 1 else md5s,
        "code": plan.code,
        "jobs": list(plan.jobs),
        "members": sum(len(j.members) for j in plan.jobs.values()),
    }


def _fanout_reason(
    token: str, here: JobPlan, there_label: str, there: JobPlan | None
) -> dict[str, Any]:
    """Why a member with ``token`` exists at ``here`` but not at ``there``."""
    if there is None:
        job = here.job
        return {
            "kind": "job",
            "key": "job",
            "text": f"job {job or '(default)'} not in the sweep at {there_label}",
        }
    fanout = there.config["fanout"]
    if token == GLOBAL_KEY:
        return {
            "kind": "config",
            "key": "fanout.include_global",
            "old": None,
            "new": None,
            "text": f"fanout.include_global is {fanout['include_global']} at {there_label}",
        }
    if there.counts is None:
        return {
            "kind": "data",
            "key": "data",
            "text": f"the data at {there_label} is not available",
        }
    found = there.counts.get(token)
    if found is None:
        return {"kind": "data", "key": "rows", "text": f"not in the data at {there_label}"}
    rows = found[1]
    if not fanout.get("by"):
        return {"kind": "config", "key": "fanout.by", "text": f"no fan-out at {there_label}"}
    if rows < int(fanout["min_rows"]):
        return {
            "kind": "min_rows",
            "key": "fanout.min_rows",
            "rows": rows,
            "min_rows": int(fanout["min_rows"]),
            "text": f"{rows} rows < fanout.min_rows {fanout['min_rows']} at {there_label}",
        }
    return {
        "kind": "config",
        "key": "fanout.max_members",
        "text": f"beyond fanout.max_members {fanout.get('max_members')} at {there_label}",
    }


def compare(old: RevisionPlan, new: RevisionPlan) -> PlanDiff:
    """The plan of going from ``old`` to ``new``."""
    diffs: list[MemberDiff] = []
    for name in list(new.jobs) + [j for j in old.jobs if j not in new.jobs]:
        a, b = old.jobs.get(name), new.jobs.get(name)
        reasons = job_reasons(old, new, a, b) if a is not None and b is not None else []
        old_members = {member_token(m.value): m for m in a.members} if a else {}
        new_members = {member_token(m.value): m for m in b.members} if b else {}
        for token, m in new_members.items():
            assert b is not None
            before = old_members.get(token)
            if before is None:
                why = _fanout_reason(token, b, old.side.label, a)
                diffs.append(_diff("added", b, m, None, [why]))
            elif before.content_key == m.content_key:
                diffs.append(_diff("unchanged", b, m, before.n_rows, []))
            else:
                member_reasons = list(reasons)
                if before.n_rows != m.n_rows:
                    member_reasons.append(
                        {"kind": "rows", "key": "rows", "old": before.n_rows, "new": m.n_rows}
                    )
                diffs.append(_diff("changed", b, m, before.n_rows, member_reasons))
        for token, m in old_members.items():
            if token not in new_members:
                assert a is not None
                why = _fanout_reason(token, a, new.side.label, b)
                diffs.append(_diff("removed", a, m, m.n_rows, [why]))
    counts = Counter(d.status for d in diffs)
    by_estimator: dict[str, dict[str, int]] = {}
    for d in diffs:
        row = by_estimator.setdefault(d.estimator, dict.fromkeys(STATUSES, 0))
        row[d.status] += 1
    return PlanDiff(
        old=_side(old),
        new=_side(new),
        counts={s: counts.get(s, 0) for s in STATUSES},
        by_estimator=by_estimator,
        members=diffs,
        notes=old.notes + new.notes,
    )


def _diff(
    status: str, job: JobPlan, m: PlannedMember, old_rows: int | None, reasons: list[dict[str, Any]]
) -> MemberDiff:
    return MemberDiff(
        status=status,
        job=job.job,
        estimator=job.estimator.rsplit(".", 1)[-1],
        key=m.key,
        value=m.value,
        n_rows=m.n_rows,
        old_rows=old_rows,
        reasons=reasons,
    )


def reason_text(reason: dict[str, Any]) -> str:
    if "text" in reason:
        return str(reason["text"])
    return f"{reason['key']}: {_short(reason.get('old'))} -> {_short(reason.get('new'))}"


def _short(value: Any) -> str:
    text = "(absent)" if value is None else str(value)
    return text if len(text) <= 60 else text[:59] + "…"
