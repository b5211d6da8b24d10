"""The report's interactive charts, as plotly figures (plotly.js's own ``data``/``layout``
form; ``tests/test_report.py`` checks each against plotly's schema): each metric's
distribution over the per-merchant members (the global model marked), ROC and PR curves of
the global model and the best and worst merchants, the global models' reliability, and time
per member. Plain dicts, not ``plotly.graph_objects``: validating and copying a figure
object costs more than everything else the report does (see bench/report.py).

Strings from data (fan-out values, estimator names) reach plotly's text, which reads a few
HTML tags (``<b>``, ``<a href>``); they are entity-escaped first so they show as written.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from railyard_batch.recording.records import MemberRecord
from railyard_batch.reports.curves import Curve, reliability_curve, roc_and_pr
from railyard_batch.reports.data import (
    GLOBAL_KEY,
    LOWER_IS_BETTER,
    ComposedView,
    HoldoutScores,
    RunView,
    SweepData,
    holdout_scores,
    metric_values,
    seconds,
    shown,
)

GLOBAL_COLOR = "#d62728"
PALETTE = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_GUIDE = {"dash": "dot", "color": "#999"}


@dataclass
class Chart:
    """A figure under a section of the page: its traces and layout."""

    section: str
    title: str
    x: str
    y: str
    data: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)

    @property
    def traces(self) -> int:
        return len(self.data)

    def figure(self) -> dict[str, Any]:
        """plotly.js's ``{data, layout}`` (the page adds the shared template)."""
        layout: dict[str, Any] = {
            "title": {"text": text(self.title)},
            "xaxis": {"title": {"text": text(self.x)}},
            "yaxis": {"title": {"text": text(self.y)}},
            "height": 420,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "legend": {"orientation": "h", "y": -0.2},
            "annotations": [
                {
                    "text": text(note),
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.02,
                    "y": 0.98 - 0.07 * k,
                    "showarrow": False,
                    "xanchor": "left",
                    "font": {"color": "#a33"},
                }
                for k, note in enumerate(self.notes)
            ],
        }
        for key, value in self.layout.items():
            if isinstance(value, dict) and isinstance(layout.get(key), dict):
                layout[key] = {**layout[key], **value}
            else:
                layout[key] = value
        return {"data": self.data, "layout": layout}


def text(value: str) -> str:
    """A string for plotly's text (names, hover text, categories): shown as written."""
    return html.escape(value, quote=False)


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def distribution(data: SweepData, metric: str) -> Chart | None:
    """One box (every member a point) per run; the global models as stars."""
    better = "lower" if metric in LOWER_IS_BETTER else "higher"
    chart = Chart(
        "distributions",
        f"{metric} per merchant, by run ({better} is better)",
        "run",
        metric,
        layout={"showlegend": False},
    )
    hover = "%{text}<br>" + text(metric) + "=%{y:.4f}<extra></extra>"
    stars: dict[str, list[Any]] = {"x": [], "y": [], "text": []}
    for i, view in enumerate(data.runs):
        label = text(view.label)
        values = metric_values(view.per_merchant, metric)
        if values:
            chart.data.append(
                {
                    "type": "box",
                    "x": [label] * len(values),
                    "y": [v for _, v in values],
                    "text": [text(shown(m)) for m, _ in values],
                    "name": label,
                    "boxpoints": "all",
                    "jitter": 0.4,
                    "pointpos": 0,
                    "marker": {"color": _color(i), "size": 5},
                    "hovertemplate": hover,
                }
            )
        glob = metric_values([view.global_member] if view.global_member else [], metric)
        if glob:
            stars["x"].append(label)
            stars["y"].append(glob[0][1])
            stars["text"].append(f"global model ({label})")
    if stars["x"]:
        chart.data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "global model",
                **stars,
                "marker": {"symbol": "star", "size": 16, "color": GLOBAL_COLOR},
                "hovertemplate": hover,
            }
        )
    return chart if chart.data else None


def picked(view: RunView) -> list[tuple[str, MemberRecord]]:
    """The members whose curves are drawn: the global model, the best and worst merchant."""
    best, worst = view.best_and_worst()
    chosen = [("global model", view.global_member)]
    objective = view.objective or ""
    for role, member in (("best merchant", best), ("worst merchant", worst)):
        if member is not None:
            value = (member.metrics or {}).get(objective)  # (ranked: it has metrics)
            chosen.append((f"{role} {shown(member)} ({objective} {value:.3f})", member))
    return [(name, m) for name, m in chosen if m is not None]


def _line(curve: Curve, name: str, color: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "x": curve.x,
        "y": curve.y,
        "name": text(name),
        "line": {"color": color, **extra},
    }


def curve_chart(
    view: RunView,
    kind: str,
    scores: dict[str, HoldoutScores],
    curves: dict[str, tuple[Curve | None, Curve | None]],
) -> Chart:
    """ROC (``kind="roc"``) or precision-recall curves of the picked members of a run."""
    roc = kind == "roc"
    chart = Chart(
        "curves",
        f"{'ROC' if roc else 'Precision-recall'}: {view.label}",
        "false positive rate" if roc else "recall",
        "true positive rate" if roc else "precision",
        layout={"xaxis": {"range": [0, 1]}, "yaxis": {"range": [0, 1.02]}},
    )
    if roc:
        chance = _line(Curve([0.0, 1.0], [0.0, 1.0]), "chance", _GUIDE["color"], dash="dot")
        chart.data.append({**chance, "hoverinfo": "skip"})
    if not picked(view):
        chart.notes.append("no member of this run has succeeded")
    for i, (name, member) in enumerate(picked(view)):
        held = scores[member.id]
        if held.frame is None:
            chart.notes.append(f"{name}: {held.missing}")
            continue
        if member.id not in curves:  # one sort per member, for both of its charts
            curves[member.id] = roc_and_pr(
                held.frame["y_true"].to_numpy(), held.frame["score"].to_numpy()
            )
        curve = curves[member.id][0 if roc else 1]
        if curve is None:
            chart.notes.append(f"{name}: its holdout has a single class")
            continue
        color = GLOBAL_COLOR if member.member_key == GLOBAL_KEY else _color(i)
        chart.data.append(_line(curve, name, color, shape="linear" if roc else "hv"))
    return chart


def calibration(views: list[RunView], scores: dict[str, HoldoutScores]) -> Chart:
    """The reliability curve of each classification run's global model."""
    chart = Chart(
        "curves",
        "Calibration of the global models",
        "mean predicted probability",
        "fraction of positives",
        layout={"xaxis": {"range": [0, 1]}, "yaxis": {"range": [0, 1.02]}},
    )
    ideal = _line(Curve([0.0, 1.0], [0.0, 1.0]), "perfectly calibrated", "#999", dash="dot")
    chart.data.append({**ideal, "hoverinfo": "skip"})
    for i, view in enumerate(views):
        member = view.global_member
        if member is None:
            chart.notes.append(f"{view.label}: no global model")
            continue
        held = scores[member.id]
        curve = None
        if held.frame is not None:
            curve = reliability_curve(
                held.frame["y_true"].to_numpy(), held.frame["score"].to_numpy()
            )
        if curve is None:
            chart.notes.append(f"{view.label}: {held.missing or 'an empty holdout'}")
            continue
        chart.data.append({**_line(curve, view.label, _color(i)), "mode": "lines+markers"})
    return chart


def durations(data: SweepData) -> Chart | None:
    """A histogram of the seconds each trained member took, one colour per run."""
    chart = Chart(
        "durations",
        "Time per member (trained members)",
        "seconds",
        "members",
        layout={"barmode": "overlay"},
    )
    for i, view in enumerate(data.runs):
        times = [
            round(t, 3)
            for m in view.members
            if m.state in ("succeeded", "failed") and (t := seconds(m)) is not None
        ]
        if times:
            chart.data.append(
                {
                    "type": "histogram",
                    "x": times,
                    "name": text(view.label),
                    "opacity": 0.65,
                    "marker": {"color": _color(i)},
                }
            )
    return chart if chart.data else None


def charts(data: SweepData) -> list[Chart]:
    """Every chart of the report, in page order."""
    out = [c for metric in data.metrics if (c := distribution(data, metric)) is not None]
    views = [v for v in data.runs if v.task == "binary_classification"]
    scores = {m.id: holdout_scores(m) for v in views for _, m in picked(v)}
    curves: dict[str, tuple[Curve | None, Curve | None]] = {}
    for view in views:
        out.append(curve_chart(view, "roc", scores, curves))
        out.append(curve_chart(view, "pr", scores, curves))
    if views:
        out.append(calibration(views, scores))
    timing = durations(data)
    if timing is not None:
        out.append(timing)
    for composition in data.compositions:
        out.extend(composition_charts(data, composition))
    return out


def composition_charts(data: SweepData, composed: ComposedView) -> list[Chart]:
    """A composition against the global model on the same rows: PR curves, and PR AUC by
    merchant-size decile."""
    doc, composition = composed.result_doc, composed.record
    if not doc:
        return []
    labels = {v.run.id: v.label for v in data.runs}
    name = f"{composition.name} ({labels.get(composition.run_id, composition.run_id)})"
    curves = Chart(
        "compositions",
        f"precision-recall: {name} vs the global model, {doc['rows']} rows",
        "recall",
        "precision",
    )
    for i, (label, key) in enumerate(((composition.name, "composition"), ("global", "global"))):
        c = doc["pr_curves"][key]
        curves.data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": c["recall"],
                "y": c["precision"],
                "name": text(label),
                "line": {"color": _color(i)},
            }
        )
    deciles = Chart(
        "compositions",
        f"PR AUC by merchant-size decile: {name} vs the global model",
        "size decile (rows in the dataset)",
        "PR AUC",
        layout={"barmode": "group"},
    )
    x = [f"{d['decile']} ({d['min_size']}-{d['max_size']})" for d in doc["by_size_decile"]]
    for i, (label, key) in enumerate(((composition.name, "composition"), ("global", "global"))):
        deciles.data.append(
            {
                "type": "bar",
                "x": x,
                "y": [d[key]["pr_auc"] for d in doc["by_size_decile"]],
                "name": text(label),
                "marker": {"color": _color(i)},
            }
        )
    return [curves, deciles]
