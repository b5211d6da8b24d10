"""The report page: one self-contained HTML document (plotly.js inlined, nothing fetched).

Every string from data is escaped where it lands: ``html.escape`` in the tables, and the
charts travel as one JSON document in a ``<script type="application/json">`` whose ``<``,
``>`` and ``&`` are ``\\u`` escapes, so no value can end the script or open a tag. The page
holds exactly three scripts: plotly.js, that JSON, and the few lines that draw it.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from plotly.io import templates
from plotly.offline import get_plotlyjs

from railyard_batch.output.report import STATE_ORDER, compare_rows
from railyard_batch.recording.records import SweepRecord
from railyard_batch.recording.store import RunStore
from railyard_batch.reports.charts import Chart, charts
from railyard_batch.reports.data import SweepData, load_sweep, seconds, shown

# Rows of the failures table; the rest are counted.
MAX_FAILURES = 500
CHARTS_ID = "railyard-charts"

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:1rem}
.chart{min-height:420px;border:1px solid #eee}.note{color:#666;font-size:.85rem}
code{white-space:pre-wrap;word-break:break-all}
"""

# The charts' JSON is {"template": one plotly template for all, "charts": [{id, data, layout}]}.
_DRAW = (
    "(function(){var page=JSON.parse(document.getElementById('" + CHARTS_ID + "').textContent);"
    "page.charts.forEach(function(c){c.layout.template=page.template;"
    "Plotly.newPlot(c.id,c.data,c.layout,{responsive:true,displaylogo:false});});})();"
)
TEMPLATE = "plotly_white"


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    return get_plotlyjs()


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    return dict(templates[TEMPLATE].to_plotly_json())


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _script_json(value: Any) -> str:
    """JSON that is safe inside a script element: no ``<``, ``>`` or ``&`` left as such."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{e(_fmt(v))}</td>' if i in numeric else f"<td>{e(_fmt(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _duration(sweep: SweepRecord) -> str:
    start = datetime.fromisoformat(sweep.created_at)
    end = datetime.fromisoformat(sweep.finished_at) if sweep.finished_at else None
    total = ((end or datetime.now(UTC)) - start).total_seconds()
    text = f"{total:.1f} s" if total < 120 else f"{total / 60:.1f} min"
    return text if end else f"{text} so far (running)"


def _summary(data: SweepData) -> str:
    s = data.sweep
    commit = s.git_commit or "-"
    if s.git_dirty:
        commit += " (uncommitted changes)"
    datasets = sorted({(r.run.data_path or "-", r.run.data_md5 or "-") for r in data.runs})
    counts = ", ".join(
        f"{state} {data.counts[state]}" for state in STATE_ORDER if data.counts.get(state)
    )
    rows: list[list[Any]] = [
        ["sweep", s.id],
        ["experiment", s.experiment],
        ["state", s.state],
        ["command", s.command or "-"],
        ["overrides", " ".join(s.overrides or []) or "-"],
        ["git commit", commit],
        *(["data", f"{path} (md5 {md5})"] for path, md5 in datasets),
        ["backend", s.backend or "-"],
        ["runs", len(data.runs)],
        ["members", f"{sum(data.counts.values())}: {counts or 'none'}"],
        ["started", s.created_at],
        ["finished", s.finished_at or "-"],
        ["duration", _duration(s)],
    ]
    return (
        "<table>"
        + "".join(f"<tr><th>{e(k)}</th><td><code>{e(v)}</code></td></tr>" for k, v in rows)
        + "</table>"
    )


def _metrics_table(data: SweepData) -> str:
    rows = compare_rows([v.run for v in data.runs], data.members, data.metrics)
    header = ["run", "estimator", "overrides", "succeeded", "failed", "skipped"]
    for metric in data.metrics:
        header += [f"{metric} mean", f"{metric} global"]
    labels = {v.run.id: v.label for v in data.runs}
    body = [[labels[r["run"]], *list(r.values())[1:]] for r in rows]
    return _table(header, body, numeric=set(range(3, len(header))))


def _compositions(data: SweepData) -> str:
    if not data.compositions:
        return (
            '<p class="note">No composition recorded (railyard-batch compose SWEEP'
            " --composition NAME).</p>"
        )
    labels = {v.run.id: v.label for v in data.runs}
    rows = []
    for c in (composed.record for composed in data.compositions):
        m = c.metrics or {}
        g = m.get("global") or {}
        export = c.export or {}
        bundle = (
            "-"
            if not export
            else ("exportable" if export.get("exportable") else export.get("reason") or "no")
        )
        rows.append(
            [
                labels.get(c.run_id, c.run_id),
                c.name,
                c.kind,
                m.get("n_holdout"),
                m.get("coverage_rows"),
                *(v for k in ("roc_auc", "pr_auc", "log_loss") for v in (m.get(k), g.get(k))),
                bundle,
            ]
        )
    header = ["run", "composition", "kind", "rows", "routed share"]
    header += [
        f"{k} {who}" for k in ("roc_auc", "pr_auc", "log_loss") for who in ("comp.", "global")
    ]
    note = (
        '<p class="note">Each composition and the global model alone, on the same rows: the'
        " global model's holdout less the rows a routed member trained on.</p>"
    )
    return _table([*header, "bundle"], rows, numeric=set(range(3, 11))) + note


def _failures(data: SweepData) -> str:
    failed = [(v, m) for v in data.runs for m in v.members if m.state == "failed"]
    if not failed:
        return '<p class="note">No member failed.</p>'
    rows = [
        [v.label, m.member_key, shown(m), _fmt(seconds(m)), m.reason or "-"]
        for v, m in failed[:MAX_FAILURES]
    ]
    more = len(failed) - MAX_FAILURES
    tail = (
        f'<p class="note">and {more} more (railyard-batch runs show --state failed)</p>'
        if more > 0
        else ""
    )
    return _table(["run", "member", "value", "seconds", "reason"], rows, numeric={3}) + tail


def _chart_divs(section: str, items: list[tuple[str, Chart]]) -> str:
    divs = [
        f'<div class="chart" id="{cid}" data-traces="{c.traces}" title="{e(c.title)}"></div>'
        for cid, c in items
        if c.section == section
    ]
    if not divs:
        return '<p class="note">Nothing to draw.</p>'
    return '<div class="charts">' + "".join(divs) + "</div>"


def render_report(store: RunStore, sweep_id: str) -> str:
    """The report of ``sweep_id`` as one HTML page (RunNotFoundError for an unknown id)."""
    data = load_sweep(store, sweep_id)
    items = [(f"chart-{i}", c) for i, c in enumerate(charts(data))]
    payload = {
        "template": _template(),
        "charts": [{"id": cid, **c.figure()} for cid, c in items],
    }
    sweep = data.sweep
    regression = [v.label for v in data.runs if v.task != "binary_classification"]
    curve_note = (
        f'<p class="note">No curves for regression runs ({e(", ".join(regression))}).</p>'
        if regression
        else ""
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>sweep {e(sweep.id)} ({e(sweep.experiment)})</title>",
        f"<style>{_STYLE}</style>",
        f"<script>{_plotly_js()}</script>",
        "</head><body>",
        f"<h1>Sweep <code>{e(sweep.id)}</code>: {e(sweep.experiment)}</h1>",
        '<section id="summary"><h2>Summary</h2>',
        _summary(data),
        "</section>",
        '<section id="metrics"><h2>Metrics per estimator</h2>',
        _metrics_table(data),
        '<p class="note">mean: over the members that succeeded (cached included); global: the model on every row.</p></section>',
        '<section id="distributions"><h2>Metrics across merchants</h2>',
        '<p class="note">Each point is a per-merchant model; the star is the run\'s global model.</p>',
        _chart_divs("distributions", items),
        "</section>",
        '<section id="curves"><h2>ROC, precision-recall and calibration</h2>',
        '<p class="note">The global model and the merchants with the best and worst objective value, on their holdouts.</p>',
        curve_note,
        _chart_divs("curves", items),
        "</section>",
        '<section id="compositions"><h2>Compositions</h2>',
        _compositions(data),
        _chart_divs("compositions", items),
        "</section>",
        '<section id="durations"><h2>Time per member</h2>',
        _chart_divs("durations", items),
        "</section>",
        '<section id="failures"><h2>Failures</h2>',
        _failures(data),
        "</section>",
        f'<script type="application/json" id="{CHARTS_ID}">{_script_json(payload)}</script>',
        f"<script>{_DRAW}</script>",
        "</body></html>",
    ]
    return "\n".join(parts)
