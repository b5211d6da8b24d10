"""A composition scored like a single model, next to the global model alone, on the same rows.

The rows: the global member's holdout, less the rows of a routed fan-out value that its own
member trained on (the two models' splits are separate; a row one of them trained on would
flatter it). Each row is counted once. A row whose value is routed is scored by its member
(``route``) or by the weighted average of its member's and the global model's scores
(``blend``); the other rows by the global model alone.

Reported: the members' metrics (ROC AUC, PR AUC, log loss) of the composition and of the
global model on those rows, the same on the covered rows only (own member vs global),
coverage (rows and values routed to their own member), and a breakdown by fan-out value size
decile (values ranked by their rows in the whole dataset).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from railyard_batch.bundle.composite import stack_positive
from railyard_batch.compositions.spec import Composition
from railyard_batch.errors import ConfigError
from railyard_batch.recording.records import MemberRecord, RunRecord
from railyard_batch.registry.shadow_metrics import weighted_outcome

GLOBAL_KEY = "__global__"
USABLE = ("succeeded", "cached")


def _metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float | None]:
    if len(y) == 0 or len(np.unique(y)) < 2:
        return {"roc_auc": None, "pr_auc": None, "log_loss": None, "rows": len(y)}
    got = weighted_outcome(y, score, np.ones((1, len(y))))
    return {**{k: float(v[0]) for k, v in got.items()}, "rows": len(y)}


def _proba(pipeline: Any, frame: pd.DataFrame, what: str) -> np.ndarray:
    """``predict_proba`` as float64, shape (rows, 2)."""
    proba = np.asarray(pipeline.predict_proba(frame), dtype=float)
    if proba.ndim != 2 or proba.shape[1] != 2:
        raise ConfigError(f"A composition combines binary classifiers; {what} is not one.")
    return proba


def _classes(pipeline: Any) -> list[Any]:
    return [v.item() if hasattr(v, "item") else v for v in getattr(pipeline, "classes_", [])]


@dataclass
class Scored:
    """What the composition scored, row by row, for its bundle's parity gate: the rows (the
    global model's inputs plus the routing column), the composed probabilities (rows, 2) and
    the members routed to (value -> member row)."""

    frame: pd.DataFrame
    proba: np.ndarray
    classes: list[Any]
    routed: dict[Any, MemberRecord]
    global_member: MemberRecord
    by: str
    member_weight: float  # the weight scored with (a blend's given or fit one; route: 1)
    stack: dict[str, float] | None = None  # a stack's fit (coef_own, coef_global, intercept)


def routed_members(
    members: list[MemberRecord], spec: Composition
) -> tuple[dict[Any, MemberRecord], dict[str, int]]:
    """The fan-out members a row may be routed to, by value, and why the others were not."""
    routed: dict[Any, MemberRecord] = {}
    left_out: dict[str, int] = {}

    def skip(why: str) -> None:
        left_out[why] = left_out.get(why, 0) + 1

    for m in members:
        if m.member_key == GLOBAL_KEY:
            continue
        value = m.member_value
        if value is None or (isinstance(value, float) and math.isnan(value)):
            skip("missing fan-out value")  # a row without a value always falls back
            continue
        metrics = m.metrics or {}
        parity = ((m.export or {}).get("jvm_parity") or {}).get("passed")
        if m.state not in USABLE:
            skip(f"state {m.state}")
        elif int(metrics.get("n_holdout") or 0) < spec.member.min_holdout_rows:
            skip(f"holdout rows < {spec.member.min_holdout_rows}")
        elif spec.member.min_pr_auc is not None and (
            metrics.get("pr_auc") is None or float(metrics["pr_auc"]) < spec.member.min_pr_auc
        ):
            skip(f"pr_auc < {spec.member.min_pr_auc:g}")
        elif spec.member.require_parity and not parity:
            skip("parity gate not passed")
        else:
            routed[m.member_value] = m
    return routed, left_out


def evaluate(
    holdouts: Any,
    run: RunRecord,
    members: list[MemberRecord],
    spec: Composition,
    *,
    with_scores: bool = False,
) -> tuple[dict[str, Any], Scored | None]:
    """Score ``spec`` over the members of one run (``holdouts``: an :class:`export.Holdouts`).

    The members' recorded holdout scores are used when every member kept them (no model is
    run); ``with_scores`` (a bundle's parity gate needs every class probability) or missing
    scores run the pipelines instead, and only then is a :class:`Scored` returned."""
    glob = next((m for m in members if m.member_key == GLOBAL_KEY), None)
    if glob is None or glob.state not in USABLE:
        state = "none" if glob is None else glob.state
        raise ConfigError(
            f"Composition '{spec.name}' falls back to the global model; run {run.id} has"
            f" {'no global member' if glob is None else 'a global member that is ' + state}"
            " (fanout.include_global=true trains one)."
        )
    vc, _ = holdouts.context(glob.id)
    by = vc["fanout"].get("by")
    if not by:
        raise ConfigError(
            f"Composition '{spec.name}' routes by fan-out value; run {run.id} has no"
            " fan-out (fanout.by is null)."
        )
    routed, left_out = routed_members(members, spec)
    w = spec.member_weight
    scored = None
    stack, stack_info = (
        _fit_stack(holdouts, glob, routed, spec.name) if spec.kind == "stack" else (None, None)
    )
    blend_info = None
    if spec.fit_weights:
        fitted, blend_info = _fit_blend(holdouts, glob, routed, spec.name)
        spec = dataclasses.replace(spec, member_weight=fitted)
        w = fitted
    recorded = None if with_scores else _from_recorded(holdouts, run.id, glob, routed, by)
    if recorded is not None:
        keep, g, o, y, v = recorded
        covered = ~np.isnan(o)
    else:
        g_rows, g_labels = holdouts.rows(glob.id)
        values = holdouts.fanout_values(glob.id)
        assert values is not None
        by_value = values.groupby(values, dropna=False, sort=False).groups  # value -> labels
        keep, g_full, o_full, classes, dropped = _by_scoring(
            holdouts, glob, routed, by_value, g_rows
        )
        for value in dropped:  # e.g. a merchant whose training rows held one class
            del routed[value]
        if dropped:
            left_out["classes differ from the global model's"] = len(dropped)
        g, o = g_full[:, 1], o_full[:, 1]
        y = g_labels.to_numpy()[keep].astype(int)
        v = values[keep]
        covered = ~np.isnan(o)
    if stack is not None:
        composed = np.where(covered, stack_positive(np.where(covered, o, 0.5), g, stack), g)
    else:
        composed = np.where(covered, w * np.nan_to_num(o) + (1 - w) * g, g)
    if recorded is None:  # every class's probability, for the bundle's parity gate
        if stack is not None:
            mixed = np.column_stack([1.0 - composed, composed])
        else:
            mixed = w * np.nan_to_num(o_full) + (1 - w) * g_full
        composed_full = np.where(covered[:, None], mixed, g_full)
        frame = g_rows[keep]
        if by not in frame.columns:
            frame = frame.assign(**{by: v.to_numpy()})
        scored = Scored(frame, composed_full, classes, routed, glob, by, w, stack)
    sizes = holdouts.fanout_sizes(run.id)
    result = {
        "run": run.id,
        "composition": spec.to_dict(),
        "global_member": glob.id,
        # the members' holdout scores as their training recorded them, or the pipelines run
        "scores_from": "pipelines" if recorded is None else "recorded",
        "rows": int(keep.sum()),
        "rows_excluded": int((~keep).sum()),
        "positives": int(y.sum()),
        "coverage": {
            "rows": float(covered.mean()) if len(y) else 0.0,
            "values_routed": len(routed),
            "values_in_rows": int(v.nunique(dropna=False)),
            "values_covered": int(v[covered].nunique(dropna=False)),
            "members_left_out": left_out,
        },
        "routes": routes_of(routed),  # the routing table: [value, member id]
        "stack": stack_info,  # a stack's fit and how its rows were made (else None)
        "blend_fit": blend_info,  # a blend's fitted weights (weights: fit; else None)
        "composition_metrics": _metrics(y, composed),
        "global_metrics": _metrics(y, g),
        "covered_rows": {
            "composition": _metrics(y[covered], composed[covered]),
            "own_member": _metrics(y[covered], o[covered]),
            "global": _metrics(y[covered], g[covered]),
        },
        "by_size_decile": _deciles(y, composed, g, v, sizes),
        "pr_curves": {"composition": pr_curve(y, composed), "global": pr_curve(y, g)},
    }
    return result, scored


def routes_of(routed: dict[Any, MemberRecord]) -> list[list[Any]]:
    """The routing table as the result records it: ``[value, member id]`` pairs."""
    out = []
    for value, member in routed.items():
        v = value.item() if isinstance(value, np.generic) else value
        if isinstance(v, float) and math.isnan(v):
            continue
        out.append([v, member.id])
    return sorted(out, key=lambda r: str(r[0]))


def _oof_rows(
    holdouts: Any,
    glob: MemberRecord,
    routed: dict[Any, MemberRecord],
    name: str,
    kind: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The routed members' and the global model's out-of-fold scores (evaluation.oof_folds)
    and labels on the rows both trained on, and how many members had them: what a stack or a
    blend's weights are fit on (each score from a model fit without that row; no holdout
    row)."""
    g_oof = holdouts.recorded_scores(glob.id, oof=True)
    if g_oof is None:
        raise ConfigError(
            f"Composition '{name}' ({kind}) is fit on out-of-fold scores; the global member"
            f" {glob.id} recorded none: train with evaluation.oof_folds=5 (or 2..20)."
        )
    vc, _ = holdouts.context(glob.id)
    row_of = np.full(len(holdouts.column(glob.run_id, vc.label)), -1)  # frame -> global row
    row_of[g_oof.positions] = np.arange(len(g_oof.positions))
    own, other, y = [], [], []
    used = 0
    for member in routed.values():
        m_oof = holdouts.recorded_scores(member.id, oof=True)
        if m_oof is None:
            continue
        j = row_of[m_oof.positions]  # positions in the same frame (recorded_scores checks)
        both = (j >= 0) & ~np.isnan(m_oof.score)
        own.append(m_oof.score[both])
        other.append(g_oof.score[j[both]])
        y.append(m_oof.y_true[both])
        used += 1
    labels = np.concatenate(y) if y else np.zeros(0, dtype=int)
    if len(np.unique(labels)) < 2:
        raise ConfigError(
            f"Composition '{name}' ({kind}) has no rows to fit with both classes: {used} of"
            f" {len(routed)} routed members recorded out-of-fold scores"
            " (evaluation.oof_folds), on rows the global model also trained on."
        )
    return np.concatenate(own), np.concatenate(other), labels, used


def _how(holdouts: Any, glob: MemberRecord, what: str) -> str:
    folds = (holdouts.context(glob.id)[0]["evaluation"] or {}).get("oof_folds")
    return (
        f"{what}, fit on out-of-fold scores: each member's training rows in {folds} shuffled"
        " KFold folds (seed split.seed), every row scored by the model fit on the other folds;"
        " only rows that both the member and the global model trained on; no holdout row"
    )


def _fit_stack(
    holdouts: Any, glob: MemberRecord, routed: dict[Any, MemberRecord], name: str
) -> tuple[dict[str, float], dict[str, Any]]:
    """A logistic regression over the routed member's and the global model's scores, fit on
    their out-of-fold scores (:func:`_oof_rows`)."""
    from sklearn.linear_model import LogisticRegression

    from railyard_batch.bundle.composite import stack_features

    own, other, labels, used = _oof_rows(holdouts, glob, routed, name, "kind stack")
    fit = LogisticRegression().fit(stack_features(own, other), labels)
    stack = {
        "coef_own": float(fit.coef_[0][0]),
        "coef_global": float(fit.coef_[0][1]),
        "intercept": float(fit.intercept_[0]),
    }
    what = (
        "scikit-learn LogisticRegression over logit(member score) and logit(global score)"
        " (clipped to [1e-12, 1 - 1e-12])"
    )
    info = {
        **stack,
        "fit_rows": len(labels),
        "members_fit": used,
        "how": _how(holdouts, glob, what),
    }
    return stack, info


def _fit_blend(
    holdouts: Any, glob: MemberRecord, routed: dict[Any, MemberRecord], name: str
) -> tuple[float, dict[str, Any]]:
    """The member weight w of a blend (``weights: fit``) minimising the log loss of
    ``w * member + (1 - w) * global`` on out-of-fold scores (:func:`_oof_rows`)."""
    from scipy.optimize import minimize_scalar

    own, other, labels, used = _oof_rows(holdouts, glob, routed, name, "weights: fit")
    eps = 1e-15

    def loss(w: float) -> float:
        p = np.clip(w * own + (1 - w) * other, eps, 1 - eps)
        return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))

    best = minimize_scalar(loss, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-6})
    w = float(best.x)
    what = "scipy's bounded minimize_scalar of the log loss of w * member + (1 - w) * global"
    info = {
        "member": w,
        "global": 1.0 - w,
        "log_loss": loss(w),
        "fit_rows": len(labels),
        "members_fit": used,
        "how": _how(holdouts, glob, what),
    }
    return w, info


def _from_recorded(
    holdouts: Any, run_id: str, glob: MemberRecord, routed: dict[Any, MemberRecord], by: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.Series] | None:
    """Keep mask, global and own positive-class scores, labels and fan-out values on the
    global holdout's rows, from the scores the members' training recorded (no model is run);
    None when one is missing or does not fit its rows (then the pipelines are run)."""
    g_rec = holdouts.recorded_scores(glob.id)
    if g_rec is None:
        return None
    values = holdouts.column(run_id, by)
    g_values = values.iloc[g_rec.positions]
    row_of = np.full(len(values), -1, dtype=np.int64)  # frame position -> global holdout row
    row_of[g_rec.positions] = np.arange(len(g_rec.positions))
    own = np.full(len(g_rec.positions), np.nan)
    present = set(g_values.dropna().unique())
    for value, member in routed.items():
        if value not in present:
            continue  # no row of the global holdout to route
        rec = holdouts.recorded_scores(member.id)
        if rec is None:
            return None
        rows = row_of[rec.positions]
        mine = rows >= 0
        own[rows[mine]] = rec.score[mine]
    routed_row = g_values.isin(list(routed)).to_numpy()
    keep = ~routed_row | ~np.isnan(own)  # a routed row its own member trained on is left out
    g = g_rec.score.astype(float)
    return keep, g[keep], own[keep], g_rec.y_true[keep].astype(int), g_values[keep]


def _by_scoring(
    holdouts: Any,
    glob: MemberRecord,
    routed: dict[Any, MemberRecord],
    by_value: Any,
    g_rows: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any], list[Any]]:
    """Keep mask, global and own probabilities (rows, 2) on the global holdout's rows, by
    running the pipelines (what the bundle's parity gate compares the JVM with), the global
    model's classes and the routed values whose member has other classes."""
    g_pipeline = holdouts.pipeline(glob.id)
    classes = _classes(g_pipeline)
    g_proba = _proba(g_pipeline, g_rows, "the global model")
    position = pd.Series(np.arange(len(g_rows)), index=g_rows.index)
    own = np.full(g_proba.shape, np.nan)
    keep = np.ones(len(g_rows), dtype=bool)
    dropped = []
    for value, member in routed.items():
        in_value = by_value.get(value)
        if in_value is None or len(in_value) == 0:
            continue
        pipeline = holdouts.pipeline(member.id)
        if _classes(pipeline) != classes:
            dropped.append(value)
            continue
        m_index = holdouts.holdout_index(member.id)
        shared = in_value.intersection(m_index)
        keep[position[in_value.difference(m_index)].to_numpy()] = False  # it trained on them
        if len(shared):
            m_rows, _ = holdouts.rows(member.id)
            own[position[shared].to_numpy()] = _proba(
                pipeline, m_rows.loc[shared], f"member {member.id}"
            )
    return keep, g_proba[keep], own[keep], classes, dropped


def pr_curve(y: np.ndarray, score: np.ndarray, points: int = 400) -> dict[str, list[float]]:
    """The precision-recall curve as scikit-learn's ``precision_recall_curve`` draws it (one
    point per distinct score, highest recall first, ending at recall 0 and precision 1),
    thinned to about ``points`` points for the page; the metrics are computed on every row.
    Written with numpy: importing scikit-learn costs this command a second."""
    if len(y) == 0 or len(np.unique(y)) < 2:
        return {"recall": [], "precision": []}
    order = np.argsort(score, kind="mergesort")[::-1]
    s, t = score[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last row of each distinct score
    tps = np.cumsum(t)[last].astype(float)
    fps = 1 + last - tps
    precision = np.divide(tps, tps + fps, out=np.zeros_like(tps), where=(tps + fps) != 0)
    recall = tps / tps[-1]
    precision = np.r_[precision[::-1], 1.0]
    recall = np.r_[recall[::-1], 0.0]
    keep = np.unique(np.linspace(0, len(recall) - 1, min(points, len(recall))).astype(int))
    return {"recall": recall[keep].tolist(), "precision": precision[keep].tolist()}


def _deciles(
    y: np.ndarray, composed: np.ndarray, g: np.ndarray, values: pd.Series, sizes: pd.Series
) -> list[dict[str, Any]]:
    """Values ranked by their rows in the whole dataset, cut into (at most) ten equal groups."""
    present = pd.Series(values.unique())
    if present.empty:
        return []
    rank = present.map(sizes).rank(method="first").to_numpy()
    bins = min(10, len(present))
    decile_of = dict(zip(present, np.ceil(rank * bins / len(present)).astype(int), strict=True))
    row_decile = values.map(decile_of).to_numpy()
    out = []
    for d in range(1, bins + 1):
        sel = row_decile == d
        members_in = [x for x, k in decile_of.items() if k == d]
        out.append(
            {
                "decile": d,
                "values": len(members_in),
                "min_size": int(min(sizes.get(x, 0) for x in members_in)),
                "max_size": int(max(sizes.get(x, 0) for x in members_in)),
                "composition": _metrics(y[sel], composed[sel]),
                "global": _metrics(y[sel], g[sel]),
            }
        )
    return out
