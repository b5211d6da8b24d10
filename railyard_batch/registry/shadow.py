"""``railyard-batch models shadow NAME --candidate VERSION``: score the candidate's own holdout
rows (re-read by data md5, the split its run recorded) with production and with the candidate,
side by side, in Python; store the comparison as a report with an id (a row of
``registry_shadow_reports``, plus ``shadow_reports/<id>.json`` and ``.html`` under the artifact
root). The promotion gate reads the newest report of a (production, candidate) pair.
"""

from __future__ import annotations

import html
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, select

from railyard_batch.registry import tables as t
from railyard_batch.registry.changes import alias_state, resolve_version
from railyard_batch.registry.errors import ModelNotFoundError, RegistryError
from railyard_batch.registry.reads import version_row
from railyard_batch.registry.shadow_metrics import compare
from railyard_batch.store import RunStore, now

PRODUCTION = "production"
REPORTS_DIR = "shadow_reports"


class ShadowError(RegistryError):
    """A shadow run that cannot be made (no production, a model without probabilities)."""


def _scores(pipeline: Any, frame: Any, which: str, name: str) -> np.ndarray:
    if not hasattr(pipeline, "predict_proba"):
        raise ShadowError(
            f"Shadow scoring of {name!r} needs binary classifiers with predict_proba; the"
            f" {which} model ({type(pipeline).__name__}) has none."
        )
    proba = np.asarray(pipeline.predict_proba(frame), dtype=float)
    if proba.ndim != 2 or proba.shape[1] != 2:
        raise ShadowError(
            f"Shadow scoring of {name!r} compares binary classifiers; the {which} model gives"
            f" {proba.shape[1] if proba.ndim == 2 else 1} class scores per row."
        )
    return proba[:, 1]


def shadow(
    engine: Engine, store_url: str, root: Path, name: str, candidate_ref: str, *, actor: str
) -> dict[str, Any]:
    """Run and store one shadow comparison; its report (with ``id`` and the file paths)."""
    from railyard_batch.export import member_holdout

    with engine.connect() as c:
        candidate = resolve_version(c, name, candidate_ref)
        held = alias_state(c, name, PRODUCTION).version
        if held is None:
            raise ModelNotFoundError(
                f"{name!r} has no production version to shadow against; promote a first one"
                " (models promote NAME VERSION)."
            )
        if held == candidate:
            raise ShadowError(
                f"Version {candidate[:12]} of {name!r} is production already; shadow another."
            )
        cand_row, prod_row = version_row(c, name, candidate), version_row(c, name, held)
    store = RunStore(store_url)
    try:
        for row in (cand_row, prod_row):
            if not row.get("member_id"):
                raise ShadowError(
                    f"Version {row['version'][:12]} of {name!r} records no member to load."
                )
        cand_model, rows, labels = member_holdout(store, cand_row["member_id"])
        prod_model, _, _ = member_holdout(store, prod_row["member_id"])
    finally:
        store.close()
    features = list(rows.columns)
    prod_scores = _scores(prod_model, rows[features], "production", name)
    cand_scores = _scores(cand_model, rows[features], "candidate", name)
    result = compare(labels.to_numpy(), prod_scores, cand_scores)
    report_id = uuid.uuid4().hex[:16]
    report = {
        "id": report_id,
        "model": name,
        "versions": {"candidate": candidate, "production": held},
        "created_at": now(),
        "actor": actor,
        "runtime": "python",
        "data": f"the candidate's holdout (member {cand_row['member_id']})",
        **result,
    }
    paths = _write_files(root, report, prod_scores, cand_scores)
    report["files"] = {k: str(v) for k, v in paths.items()}
    with engine.begin() as c:
        c.execute(
            insert(t.shadow_reports).values(
                id=report_id,
                model_name=name,
                candidate=candidate,
                production=held,
                created_at=report["created_at"],
                report=json.dumps(report, sort_keys=True),
            )
        )
    return report


def latest_report(
    engine: Engine, name: str, candidate: str, production: str
) -> dict[str, Any] | None:
    """The newest shadow report of ``candidate`` against ``production``, if any."""
    with engine.connect() as c:
        row = c.execute(
            select(t.shadow_reports.c.report)
            .where(
                t.shadow_reports.c.model_name == name,
                t.shadow_reports.c.candidate == candidate,
                t.shadow_reports.c.production == production,
            )
            .order_by(t.shadow_reports.c.created_at.desc())
            .limit(1)
        ).first()
    return None if row is None else dict(json.loads(row.report))


def _write_files(
    root: Path, report: dict[str, Any], prod: np.ndarray, cand: np.ndarray
) -> dict[str, Path]:
    out = root / REPORTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{report['id']}.json", "html": out / f"{report['id']}.html"}
    _atomic(paths["json"], json.dumps(report, indent=2, sort_keys=True))
    _atomic(paths["html"], _page(report, prod, cand))
    return paths


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _page(report: dict[str, Any], prod: np.ndarray, cand: np.ndarray) -> str:
    import plotly.graph_objects as go
    from plotly.io import to_html

    e = html.escape
    fig = go.Figure(
        [
            go.Histogram(x=prod, name="production", opacity=0.6, nbinsx=40),
            go.Histogram(x=cand, name="candidate", opacity=0.6, nbinsx=40),
        ]
    )
    fig.update_layout(
        barmode="overlay", title="Score distributions", xaxis_title="score", yaxis_title="rows"
    )
    scatter = go.Figure(
        go.Scattergl(x=prod, y=cand, mode="markers", marker={"size": 3}, name="rows")
    )
    scatter.update_layout(
        title="Candidate vs production score", xaxis_title="production", yaxis_title="candidate"
    )
    intervals = report.get("intervals", {})
    metric_rows = "".join(
        f"<tr><td>{e(m)}</td><td>{_fmt(report['production'].get(m))}</td>"
        f"<td>{_fmt(intervals.get('production', {}).get(m))}</td>"
        f"<td>{_fmt(report['candidate'].get(m))}</td>"
        f"<td>{_fmt(intervals.get('candidate', {}).get(m))}</td>"
        f"<td>{_fmt(intervals.get('difference', {}).get(m))}</td></tr>"
        for m in ("roc_auc", "pr_auc", "log_loss")
    )
    flips = report["flips"]
    shift = "".join(
        f"<tr><td>{k}</td><td>{_fmt(report[k])}</td></tr>"
        for k in ("flip_rate", "agreement", "psi", "ks", "spearman", "action_rate")
    )
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>shadow {e(report['id'])}: {e(report['model'])}</title></head><body>",
            f"<h1>Shadow report <code>{e(report['id'])}</code>: {e(report['model'])}</h1>",
            f"<p>candidate <code>{e(report['versions']['candidate'][:12])}</code> vs production"
            f" <code>{e(report['versions']['production'][:12])}</code> on {report['rows']} rows"
            f" ({report['positives']} positive), {e(report['data'])}, {e(report['created_at'])}.</p>",
            "<h2>Outcome metrics (95% bootstrap intervals)</h2><table border='1'>",
            "<tr><th>metric</th><th>production</th><th>interval</th><th>candidate</th>"
            "<th>interval</th><th>difference interval</th></tr>",
            metric_rows,
            f"<tr><td>precision / recall at production's action rate</td>"
            f"<td>{_fmt(report['production']['precision'])} / {_fmt(report['production']['recall'])}</td><td></td>"
            f"<td>{_fmt(report['candidate']['precision'])} / {_fmt(report['candidate']['recall'])}</td><td></td><td></td></tr>",
            "</table><h2>Decisions at production's threshold</h2><table border='1'>",
            "<tr><th></th><th>candidate blocks</th><th>candidate allows</th></tr>",
            f"<tr><th>production blocks</th><td>{flips['both_block']}</td><td>{flips['production_only']}</td></tr>",
            f"<tr><th>production allows</th><td>{flips['candidate_only']}</td><td>{flips['neither']}</td></tr>",
            "</table><h2>Shift</h2><table border='1'>",
            shift,
            "</table>",
            to_html(fig, include_plotlyjs=True, full_html=False),
            to_html(scatter, include_plotlyjs=False, full_html=False),
            "</body></html>",
        ]
    )
