"""The report's interactive charts, as plotly figures: each metric's distribution over the
per-merchant members (the global model marked), ROC and PR curves of the global model and
the best and worst merchants, the global models' reliability, and time per member.

Strings from data (fan-out values, estimator names) reach plotly's text, which reads a few
HTML tags (``<b>``, ``<a href>``); they are entity-escaped first so they show as written.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from railyard_batch.reports.curves import Curve, pr_curve, reliability_curve, roc_curve
from railyard_batch.reports.data import (
    LOWER_IS_BETTER,
    RunView,
    SweepData,
    holdout_scores,
    metric_values,
    seconds,
    shown,
)

GLOBAL_COLOR = "#d62728"
PALETTE = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class Chart:
    """A figure under a section of the page; ``traces`` is how many it draws."""

    section: str
    title: str
    figure: go.Figure

    @property
    def traces(self) -> int:
        return len(self.figure.data)


def text(value: str) -> str:
    """A string for plotly's text (names, hover text, categories): shown as written."""
    return html.escape(value, quote=False)


def _layout(figure: go.Figure, title: str, x: str, y: str, **extra: Any) -> go.Figure:
    figure.update_layout(
        title=text(title),
        xaxis_title=text(x),
        yaxis_title=text(y),
        template="plotly_white",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        **extra,
    )
    return figure


def distribution(data: SweepData, metric: str) -> Chart | None:
    """One box (every member a point) per run; the global models as stars."""
    figure = go.Figure()
    globals_x, globals_y, globals_text = [], [], []
    for i, view in enumerate(data.runs):
        values = metric_values(view.per_merchant, metric)
        label = text(view.label)
        if values:
            figure.add_trace(
                go.Box(
                    x=[label] * len(values),
                    y=[v for _, v in values],
                    text=[text(shown(m)) for m, _ in values],
                    name=label,
                    boxpoints="all",
                    jitter=0.4,
                    pointpos=0,
                    marker={"color": PALETTE[i % len(PALETTE)], "size": 5},
                    hovertemplate="%{text}<br>" + metric + "=%{y:.4f}<extra></extra>",
                )
            )
        glob = metric_values([view.global_member] if view.global_member else [], metric)
        if glob:
            globals_x.append(label)
            globals_y.append(glob[0][1])
            globals_text.append(f"global model ({label})")
    if globals_x:
        figure.add_trace(
            go.Scatter(
                x=globals_x,
                y=globals_y,
                text=globals_text,
                mode="markers",
                name="global model",
                marker={"symbol": "star", "size": 16, "color": GLOBAL_COLOR},
                hovertemplate="%{text}<br>" + metric + "=%{y:.4f}<extra></extra>",
            )
        )
    if not figure.data:
        return None
    better = "lower" if metric in LOWER_IS_BETTER else "higher"
    title = f"{metric} per merchant, by run ({better} is better)"
    return Chart("distributions", title, _layout(figure, title, "run", metric, showlegend=False))


def _picked(view: RunView) -> list[tuple[str, dict[str, Any]]]:
    best, worst = view.best_and_worst()
    picked = [("global model", view.global_member)]
    objective = view.objective or ""
    for role, member in (("best merchant", best), ("worst merchant", worst)):
        if member is not None:
            value = member["metrics"].get(objective)
            picked.append((f"{role} {shown(member)} ({objective} {value:.3f})", member))
    return [(name, m) for name, m in picked if m is not None]


def _curve_chart(view: RunView, kind: str, scores: dict[str, Any]) -> Chart:
    figure = go.Figure()
    if kind == "roc":
        figure.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                name="chance",
                line={"dash": "dot", "color": "#999"},
                hoverinfo="skip",
            )
        )
    notes = []
    for i, (name, member) in enumerate(_picked(view)):
        held = scores[member["id"]]
        if held.frame is None:
            notes.append(f"{name}: {held.missing}")
            continue
        y, s = held.frame["y_true"].to_numpy(), held.frame["score"].to_numpy()
        curve: Curve | None = roc_curve(y, s) if kind == "roc" else pr_curve(y, s)
        if curve is None:
            notes.append(f"{name}: its holdout has a single class")
            continue
        color = GLOBAL_COLOR if member["member_key"] == "__global__" else PALETTE[i % len(PALETTE)]
        figure.add_trace(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                mode="lines",
                name=text(name),
                line={"color": color, "shape": "hv" if kind == "pr" else "linear"},
            )
        )
    title = f"{'ROC' if kind == 'roc' else 'Precision-recall'}: {view.label}"
    x, y = (
        ("false positive rate", "true positive rate") if kind == "roc" else ("recall", "precision")
    )
    figure = _layout(figure, title, x, y, xaxis_range=[0, 1], yaxis_range=[0, 1.02])
    _notes(figure, notes)
    return Chart("curves", title, figure)


def _notes(figure: go.Figure, notes: list[str]) -> None:
    for k, note in enumerate(notes):
        figure.add_annotation(
            text=text(note),
            xref="paper",
            yref="paper",
            x=0.02,
            y=0.98 - 0.07 * k,
            showarrow=False,
            xanchor="left",
            font={"color": "#a33"},
        )


def calibration(data: SweepData, views: list[RunView], scores: dict[str, Any]) -> Chart:
    """The reliability curve of each classification run's global model."""
    figure = go.Figure(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="perfectly calibrated",
            line={"dash": "dot", "color": "#999"},
            hoverinfo="skip",
        )
    )
    notes = []
    for i, view in enumerate(views):
        member = view.global_member
        if member is None:
            notes.append(f"{view.label}: no global model")
            continue
        held = scores[member["id"]]
        curve = (
            None
            if held.frame is None
            else reliability_curve(held.frame["y_true"].to_numpy(), held.frame["score"].to_numpy())
        )
        if curve is None:
            notes.append(f"{view.label}: {held.missing or 'an empty holdout'}")
            continue
        figure.add_trace(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                mode="lines+markers",
                name=text(view.label),
                line={"color": PALETTE[i % len(PALETTE)]},
            )
        )
    title = "Calibration of the global models"
    figure = _layout(
        figure,
        title,
        "mean predicted probability",
        "fraction of positives",
        xaxis_range=[0, 1],
        yaxis_range=[0, 1.02],
    )
    _notes(figure, notes)
    return Chart("curves", title, figure)


def durations(data: SweepData) -> Chart | None:
    """A histogram of the seconds each trained member took, one colour per run."""
    figure = go.Figure()
    for i, view in enumerate(data.runs):
        times = [
            t
            for m in view.members
            if m["state"] in ("succeeded", "failed") and (t := seconds(m)) is not None
        ]
        if times:
            figure.add_trace(
                go.Histogram(
                    x=np.round(times, 3),
                    name=text(view.label),
                    opacity=0.65,
                    marker={"color": PALETTE[i % len(PALETTE)]},
                )
            )
    if not figure.data:
        return None
    title = "Time per member (trained members)"
    return Chart(
        "durations", title, _layout(figure, title, "seconds", "members", barmode="overlay")
    )


def charts(data: SweepData) -> list[Chart]:
    """Every chart of the report, in page order."""
    out = [c for metric in data.metrics if (c := distribution(data, metric)) is not None]
    views = [v for v in data.runs if v.task == "binary_classification"]
    scores = {m["id"]: holdout_scores(m) for v in views for _, m in _picked(v)}
    for view in views:
        out.append(_curve_chart(view, "roc", scores))
        out.append(_curve_chart(view, "pr", scores))
    if views:
        out.append(calibration(data, views, scores))
    timing = durations(data)
    if timing is not None:
        out.append(timing)
    return out
