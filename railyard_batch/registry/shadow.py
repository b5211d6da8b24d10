"""``railyard-batch models shadow NAME --candidate VERSION``: score the candidate's own holdout
rows (re-read by data md5, the split its run recorded) with production and with the candidate,
side by side, in Python; store the comparison as a report with an id (a row of
``registry_shadow_reports``, plus ``shadow_reports/<id>.json`` and ``.html`` under the artifact
root). The promotion gate reads the newest report of a (production, candidate) pair.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, select

from railyard_batch.recording.store import RunStore, now, open_store
from railyard_batch.registry import tables as t
from railyard_batch.registry.changes import alias_state, resolve_version
from railyard_batch.registry.errors import ModelNotFoundError, RegistryError
from railyard_batch.registry.reads import version_row
from railyard_batch.registry.shadow_metrics import by_value, compare

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


def _production_of(c: Any, name: str, candidate: str) -> str:
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
    return held


def _member_of(row: dict[str, Any], name: str) -> str:
    if not row.get("member_id"):
        raise ShadowError(f"Version {row['version'][:12]} of {name!r} records no member to load.")
    return str(row["member_id"])


def _bundle_of(root: Path, row: dict[str, Any], which: str, name: str) -> Path:
    bundle = root / row["bundle_uri"]
    if not (bundle / "manifest.json").is_file():
        raise ShadowError(
            f"The {which} version {row['version'][:12]} of {name!r} has no bundle at {bundle}"
            " (--runtime jvm scores bundles)."
        )
    return bundle


def _checked(rows: list[Any], row: dict[str, Any], which: str, name: str) -> np.ndarray:
    """The positive class's probability of each row the JVM scored; a refused row is an
    error naming it."""
    for i, r in enumerate(rows):
        if r.error is not None or r.scores is None or len(r.scores) != 2:
            why = r.error or f"{0 if r.scores is None else len(r.scores)} class scores"
            raise ShadowError(
                f"The JVM scorer refused row {i} for the {which} version {row['version'][:12]}"
                f" of {name!r}: {str(why).splitlines()[0]}"
            )
    return np.array([r.scores[1] for r in rows if r.scores is not None], dtype=float)


def _jvm_scores(root: Path, row: dict[str, Any], frame: Any, which: str, name: str) -> np.ndarray:
    """The positive class's probability of each row from the version's bundle, scored by the
    JVM scorer (``java -jar``), which is what production runs."""
    import tempfile

    from railyard_batch.bundle.jsonl import frame_to_jsonl
    from railyard_batch.bundle.jvm_scorer import run_scorer

    bundle = _bundle_of(root, row, which, name)
    with tempfile.TemporaryDirectory(prefix="railyard-shadow-") as tmp:
        src = Path(tmp) / "rows.jsonl"
        src.write_text(frame_to_jsonl(frame))
        rows = run_scorer(bundle, src, Path(tmp) / "scores.jsonl")
    return _checked(rows, row, which, name)


Pair = tuple[str, dict[str, Any], dict[str, Any]]  # name, candidate's row, production's row


def _jvm_sweep_scores(root: Path, holdouts: Any, pairs: list[Pair]) -> list[tuple[Any, Any]]:
    """Production's and the candidate's scores of each pair's rows, every bundle scored in
    one JVM (``--batch``): a sweep's thousand names are one start-up, not two thousand."""
    import tempfile

    from railyard_batch.bundle.jsonl import frame_to_jsonl
    from railyard_batch.bundle.jvm_scorer import run_scorer_batch

    with tempfile.TemporaryDirectory(prefix="railyard-shadow-") as tmp:
        jobs = []
        for i, (name, cand_row, prod_row) in enumerate(pairs):
            rows, _ = holdouts.rows(_member_of(cand_row, name))
            src = Path(tmp) / f"{i}.rows.jsonl"
            src.write_text(frame_to_jsonl(rows))
            for which, row in (("production", prod_row), ("candidate", cand_row)):
                out = Path(tmp) / f"{i}.{which}.jsonl"
                jobs.append((_bundle_of(root, row, which, name), src, out))
        scored = run_scorer_batch(jobs)
    return [
        (
            _checked(scored[2 * i], prod_row, "production", name),
            _checked(scored[2 * i + 1], cand_row, "candidate", name),
        )
        for i, (name, cand_row, prod_row) in enumerate(pairs)
    ]


def _external_rows(
    holdouts: Any,
    member_id: str,
    data: str,
    since: str | None,
    until: str | None,
) -> tuple[Any, Any, str, Any]:
    """Rows of another dataset (DVC-tracked or not; its md5 is recorded) for the candidate:
    its fan-out value's rows when it is a per-value model, within ``[since, until)`` of its
    ``split.time_column`` when given. Features, labels, a description, and the rows' fan-out
    values (None when the run has no fan-out or the dataset lacks its column)."""
    import pandas as pd

    from railyard_batch.errors import DataError
    from railyard_batch.execution.splits import parse_times
    from railyard_batch.planning.data import dataset_columns, dataset_identity, read_table

    if not Path(data).is_file():
        raise ShadowError(f"--data {data!r} is not a file.")
    vc, value = holdouts.context(member_id)
    fmt = "csv" if data.lower().endswith(".csv") else "parquet"
    try:
        identity = dataset_identity(data)
    except DataError as exc:  # its DVC record and its content differ
        raise ShadowError(f"--data: {exc}") from None
    by = vc["fanout"].get("by")
    time_column = vc["split"].get("time_column")
    windowed = since is not None or until is not None
    if windowed and not time_column:
        raise ShadowError(
            "--since/--until select rows by the run's split.time_column; the candidate's run"
            " has none."
        )
    needed = list(dict.fromkeys([*vc.feature_columns, vc.label]))
    if by and value is not None:
        needed.append(by)
    if windowed:
        needed.append(time_column)
    have = dataset_columns(data, fmt)
    if by and value is None and by in have:  # a global model: its rows by value, too
        needed.append(by)
    missing = [c for c in dict.fromkeys(needed) if c not in have]
    if missing:
        raise ShadowError(
            f"The shadow data {data!r} misses column(s) the models need: {missing};"
            f" it has {sorted(have)[:30]}."
        )
    columns = list(dict.fromkeys(needed))
    if by and value is not None:
        frame = read_table(data, fmt, columns, filter_column=by, filter_values=[value])
    else:
        frame = read_table(data, fmt, columns)
    where = ""
    if windowed:
        times = parse_times(frame[time_column], time_column)
        keep = pd.Series(True, index=frame.index)
        for flag, text, after in (("--since", since, True), ("--until", until, False)):
            if text is None:
                continue
            try:
                bound = pd.Timestamp(text)
            except (ValueError, TypeError):
                raise ShadowError(f"{flag} must be a timestamp (ISO 8601); got {text!r}.") from None
            tz = getattr(times.dt, "tz", None)
            if tz is not None and bound.tzinfo is None:
                bound = bound.tz_localize("UTC")
            elif tz is None and bound.tzinfo is not None:
                bound = bound.tz_convert("UTC").tz_localize(None)
            keep &= (times >= bound) if after else (times < bound)
        frame = frame[keep.to_numpy()]
        where = f", {time_column} in [{since or '-'}, {until or '-'})"
    labels = frame[vc.label]
    if frame.empty:
        raise ShadowError(f"The shadow data {data!r} has no rows for this model{where}.")
    if labels.isna().any() or not labels.isin([0, 1, True, False]).all():
        raise ShadowError(
            f"The shadow data's label column {vc.label!r} must hold 0/1 for every row;"
            f" {int((~labels.isin([0, 1, True, False])).sum())} row(s) do not."
        )
    described = f"{data} (md5 {identity.md5}, {identity.source}){where}: {len(frame)} rows"
    values = frame[by].to_numpy() if by and by in frame.columns else None
    return frame[vc.feature_columns], labels.astype(int), described, values


def _compare_pair(
    holdouts: Any,
    name: str,
    cand_row: dict[str, Any],
    prod_row: dict[str, Any],
    *,
    actor: str,
    sweep_id: str | None = None,
    runtime: str = "python",
    root: Path | None = None,
    external: tuple[Any, Any, str, Any] | None = None,
    scores: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Score the candidate's holdout (or ``external`` rows: features, labels, description,
    fan-out values) with both models, or take their ``scores``: the report (no id yet) and
    the scores."""
    cand_member, prod_member = _member_of(cand_row, name), _member_of(prod_row, name)
    if external is None:
        rows, labels = holdouts.rows(cand_member)
        described = f"the candidate's holdout (member {cand_member})"
        values = _fanout_values(holdouts, cand_member, rows)
    else:
        rows, labels, described, values = external
    if scores is not None:  # scored already (a sweep's bundles, in one JVM)
        prod_scores, cand_scores = scores
    elif runtime == "jvm":
        assert root is not None
        prod_scores = _jvm_scores(root, prod_row, rows, "production", name)
        cand_scores = _jvm_scores(root, cand_row, rows, "candidate", name)
    else:
        prod_model, cand_model = holdouts.pipeline(prod_member), holdouts.pipeline(cand_member)
        prod_scores = _scores(prod_model, rows, "production", name)
        cand_scores = _scores(cand_model, rows, "candidate", name)
    report = {
        "model": name,
        "versions": {"candidate": cand_row["version"], "production": prod_row["version"]},
        "created_at": now(),
        "actor": actor,
        "runtime": runtime,
        "data": described,
        "sweep": sweep_id,
        **compare(labels.to_numpy(), prod_scores, cand_scores),
        "by_value": None,
    }
    groups = []
    if values is not None and len(values) and not (values == values[0]).all():
        groups = by_value(values, labels.to_numpy(), prod_scores, cand_scores)
    if len(groups) > 1:  # one value (a per-merchant model): nothing to break down
        vc, _ = holdouts.context(cand_member)
        report["by_value"] = {"column": vc["fanout"]["by"], "values": groups}
    return report, prod_scores, cand_scores


def _fanout_values(holdouts: Any, member: str, rows: Any) -> np.ndarray | None:
    """The fan-out value of each of the member's holdout rows: a composition's rows carry
    their routing column; a member's come from the dataset read (None without a fan-out)."""
    from railyard_batch.compositions.ids import is_composition

    vc, _ = holdouts.context(member)
    by = vc["fanout"].get("by")
    if not by:
        return None
    if by in rows.columns:
        return np.asarray(rows[by].to_numpy(), dtype=object)
    if is_composition(member):
        return None
    found = holdouts.fanout_values(member)
    return None if found is None else np.asarray(found.to_numpy(), dtype=object)


def _row(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": report["id"],
        "model_name": report["model"],
        "candidate": report["versions"]["candidate"],
        "production": report["versions"]["production"],
        "created_at": report["created_at"],
        "report": json.dumps(report, sort_keys=True),
    }


RUNTIMES = ("python", "jvm")


def shadow(
    engine: Engine,
    store_url: str,
    root: Path,
    name: str,
    candidate_ref: str,
    *,
    actor: str,
    runtime: str = "python",
    data: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    """Run and store one shadow comparison; its report (with ``id`` and the file paths).
    ``runtime="jvm"``: both versions' bundles score the rows through the JVM scorer.
    ``data``: score that dataset's rows (``since``/``until``: a window of its time column)
    instead of the candidate's holdout."""
    if data is None and (since is not None or until is not None):
        raise ShadowError("--since/--until select rows of --data; give --data too.")
    if runtime not in RUNTIMES:
        raise ShadowError(f"--runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    from railyard_batch.compositions.model import CompositionHoldouts
    from railyard_batch.lifecycle.export import Holdouts

    with engine.connect() as c:
        candidate = resolve_version(c, name, candidate_ref)
        held = _production_of(c, name, candidate)
        cand_row, prod_row = version_row(c, name, candidate), version_row(c, name, held)
    with open_store(store_url) as store:
        holdouts = CompositionHoldouts(Holdouts(store), store)  # compositions too
        external = None
        if data is not None:
            external = _external_rows(holdouts, _member_of(cand_row, name), data, since, until)
        report, prod_scores, cand_scores = _compare_pair(
            holdouts,
            name,
            cand_row,
            prod_row,
            actor=actor,
            runtime=runtime,
            root=root,
            external=external,
        )
    report = {"id": uuid.uuid4().hex[:16], **report}
    paths = _write_files(root, report, prod_scores, cand_scores)
    report["files"] = {k: str(v) for k, v in paths.items()}
    with engine.begin() as c:
        c.execute(insert(t.shadow_reports).values(**_row(report)))
    return report


def shadow_sweep(
    engine: Engine,
    store_url: str,
    root: Path,
    sweep_id: str,
    *,
    actor: str,
    workers: int = 2,
    progress: bool = True,
    runtime: str = "python",
) -> dict[str, Any]:
    """Shadow every version a sweep registered against the production version of its name:
    pairs are compared in chunks (at most :data:`SHADOW_CHUNK`), here or on ``workers`` spawned pool
    processes of one thread each (each reads a run's dataset once: ``Holdouts``), every
    comparison is stored as its own report (the gate reads them per name) in one transaction,
    and one summary page covers the sweep. Names without production yet, or whose production
    is this very version, are listed as skipped, not errors. ``runtime="jvm"``: every pair's
    bundles are scored in one JVM first."""
    from railyard_batch.output.progress import MemberProgress

    if runtime not in RUNTIMES:
        raise ShadowError(f"--runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    with engine.connect() as c:
        registered = [
            dict(r._mapping)
            for r in c.execute(
                select(t.versions)
                .where(t.versions.c.sweep_id == sweep_id)
                .order_by(t.versions.c.model_name, t.versions.c.version)
            )
        ]
        if not registered:
            raise ModelNotFoundError(
                f"Sweep {sweep_id!r} registered no model versions; register it first"
                " (models register SWEEP) or check the id (runs list)."
            )
        pairs: list[Pair] = []
        skipped: dict[str, list[str]] = {"no_production": [], "already_production": []}
        for row in registered:
            name = row["model_name"]
            held = alias_state(c, name, PRODUCTION).version
            if held is None:
                skipped["no_production"].append(name)
            elif held == row["version"]:
                skipped["already_production"].append(name)
            else:
                pairs.append((name, row, version_row(c, name, held)))
    sweeps = {r["sweep_id"] for _, cr, pr in pairs for r in (cr, pr) if r["sweep_id"]}
    try:
        jvm: list[tuple[Any, Any]] | None = None
        if runtime == "jvm":  # the bundles, scored in one JVM: the rows are read here
            jvm = _jvm_sweep_scores(root, _holdouts_of(store_url, sweeps), pairs)
        tasks = [(*pair, None if jvm is None else jvm[i]) for i, pair in enumerate(pairs)]
        size = max(1, min(SHADOW_CHUNK, -(-len(tasks) // (4 * max(1, workers)))))
        chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        processes = min(workers, len(chunks)) if workers > 1 and len(chunks) > 1 else 1
        job = (store_url, sweeps, actor, sweep_id, runtime)
        reports: list[dict[str, Any]] = []
        processing: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if processes > 1:
            from railyard_batch.execution.backends.local import pinned_pool

            processing = pinned_pool(processes, 1)
        with (
            MemberProgress(len(pairs), enabled=progress, label="shadowed") as bar,
            processing as pool,
        ):
            mapped = (pool.map if pool is not None else map)(
                _compare_chunk, [job] * len(chunks), chunks
            )
            for compared in mapped:  # in order: the summary lists names as registered
                reports.extend(compared)
                for _ in compared:
                    bar.advance("compared")
    finally:
        _drop_holdouts()  # this process's copy of the data (the serial or the JVM path's)
    summary_id = uuid.uuid4().hex[:16]
    for report in reports:  # its page is the sweep's: one page, not one per name
        report["sweep_summary"] = summary_id
    if reports:
        with engine.begin() as c:
            c.execute(insert(t.shadow_reports), [_row(r) for r in reports])
    summary = {
        "id": summary_id,
        "sweep": sweep_id,
        "created_at": now(),
        "actor": actor,
        "runtime": runtime,
        "workers": processes,
        "reports": [_summary_line(r) for r in reports],
        "skipped": skipped,
    }
    paths = _report_paths(root, summary_id)
    paths["json"].parent.mkdir(parents=True, exist_ok=True)
    _atomic(paths["json"], json.dumps(summary, indent=2, sort_keys=True))
    _atomic(paths["html"], _sweep_page(summary))
    summary["files"] = {k: str(v) for k, v in paths.items()}
    return summary


# Pairs a pool process compares per task, at most (fewer when a sweep has few names: four
# tasks per process at least, so that the processes finish together).
SHADOW_CHUNK = 32
# A process's holdouts and their store by store URL: its datasets, read once.
_HOLDOUTS: dict[str, tuple[Any, RunStore]] = {}


def _holdouts_of(store_url: str, sweeps: set[str]) -> Any:
    """This process's holdouts of ``store_url`` (compositions too), kept for its next tasks:
    each process reads a run's dataset once."""
    from railyard_batch.compositions.model import CompositionHoldouts
    from railyard_batch.lifecycle.export import Holdouts

    if store_url not in _HOLDOUTS:
        store = RunStore(store_url)
        _HOLDOUTS[store_url] = (CompositionHoldouts(Holdouts(store), store), store)
    holdouts, _ = _HOLDOUTS[store_url]
    holdouts.prefetch(sweeps)
    return holdouts


def _drop_holdouts() -> None:
    while _HOLDOUTS:
        _, (_, store) = _HOLDOUTS.popitem()
        store.close()


def _compare_chunk(
    job: tuple[str, set[str], str, str, str],
    chunk: list[tuple[str, dict[str, Any], dict[str, Any], Any]],
) -> list[dict[str, Any]]:
    """Reports of a chunk of pairs (name, candidate's row, production's row, the JVM's scores
    or None), in a pool process or in the caller's."""
    store_url, sweeps, actor, sweep_id, runtime = job
    holdouts = _holdouts_of(store_url, sweeps)
    return [
        {
            "id": uuid.uuid4().hex[:16],
            **_compare_pair(
                holdouts,
                name,
                cand_row,
                prod_row,
                actor=actor,
                sweep_id=sweep_id,
                runtime=runtime,
                scores=scores,
            )[0],
        }
        for name, cand_row, prod_row, scores in chunk
    ]


def _summary_line(report: dict[str, Any]) -> dict[str, Any]:
    """One name of a sweep's shadow: the figures the gate and a reviewer look at first."""
    diff = (report.get("intervals") or {}).get("difference") or {}
    return {
        "model": report["model"],
        "report": report["id"],
        "candidate": report["versions"]["candidate"],
        "production": report["versions"]["production"],
        "rows": report["rows"],
        "pr_auc": {
            "production": report["production"]["pr_auc"],
            "candidate": report["candidate"]["pr_auc"],
        },
        "pr_auc_difference_interval": diff.get("pr_auc"),
        **{k: report[k] for k in ("flip_rate", "psi", "ks", "spearman")},
    }


def _sweep_page(summary: dict[str, Any]) -> str:
    import plotly.graph_objects as go
    from plotly.io import to_html

    e = html.escape
    lines = summary["reports"]
    delta = [
        (r["pr_auc"]["candidate"] - r["pr_auc"]["production"])
        for r in lines
        if r["pr_auc"]["candidate"] is not None and r["pr_auc"]["production"] is not None
    ]
    charts = ""
    if lines:
        hist = go.Figure(go.Histogram(x=delta, nbinsx=40, name="names"))
        hist.update_layout(
            title="PR AUC, candidate minus production, per name", xaxis_title="difference"
        )
        shift = go.Figure(
            go.Scattergl(
                x=[r["psi"] for r in lines],
                y=[r["flip_rate"] for r in lines],
                text=[r["model"] for r in lines],
                mode="markers",
            )
        )
        shift.update_layout(title="Shift per name", xaxis_title="PSI", yaxis_title="flip rate")
        charts = to_html(hist, include_plotlyjs=True, full_html=False) + to_html(
            shift, include_plotlyjs=False, full_html=False
        )
    body = "".join(
        f"<tr><td>{e(r['model'])}</td><td><code>{e(r['report'])}</code></td><td>{r['rows']}</td>"
        f"<td>{_fmt(r['pr_auc']['production'])}</td><td>{_fmt(r['pr_auc']['candidate'])}</td>"
        f"<td>{_fmt(r['pr_auc_difference_interval'])}</td><td>{_fmt(r['flip_rate'])}</td>"
        f"<td>{_fmt(r['psi'])}</td><td>{_fmt(r['ks'])}</td><td>{_fmt(r['spearman'])}</td></tr>"
        for r in lines
    )
    skipped = "".join(
        f"<p>{e(why.replace('_', ' '))}: {e(', '.join(names))}</p>"
        for why, names in summary["skipped"].items()
        if names
    )
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>shadow of sweep {e(summary['sweep'])}</title></head><body>",
            f"<h1>Shadow of sweep <code>{e(summary['sweep'])}</code></h1>",
            f"<p>{len(lines)} name(s) compared with production, {e(summary['created_at'])}.</p>",
            skipped,
            charts,
            "<table border='1'><tr><th>model</th><th>report</th><th>rows</th>"
            "<th>PR AUC production</th><th>PR AUC candidate</th><th>difference (95%)</th>"
            "<th>flip rate</th><th>PSI</th><th>KS</th><th>Spearman</th></tr>",
            body,
            "</table></body></html>",
        ]
    )


def get_report(engine: Engine, report_id: str) -> dict[str, Any]:
    """A stored shadow report by its id."""
    with engine.connect() as c:
        row = c.execute(
            select(t.shadow_reports.c.report).where(t.shadow_reports.c.id == report_id)
        ).first()
    if row is None:
        raise ModelNotFoundError(
            f"No shadow report {report_id[:40]!r}; the ids are in models shadow's output and"
            " in the evidence of models history."
        )
    return dict(json.loads(row.report))


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


def report_files(root: Path, report: dict[str, Any]) -> dict[str, str]:
    """Where a stored report's JSON and page lie under the artifact root (those still there):
    its own, or, for one of a sweep's reports, the sweep's summary (``sweep_json``,
    ``sweep_html``)."""
    sweep = report.get("sweep_summary")
    own, prefix = (report["id"], "") if sweep is None else (sweep, "sweep_")
    return {prefix + k: str(v) for k, v in _report_paths(root, own).items() if v.is_file()}


def _report_paths(root: Path, report_id: str) -> dict[str, Path]:
    out = root / REPORTS_DIR
    return {"json": out / f"{report_id}.json", "html": out / f"{report_id}.html"}


def _write_files(
    root: Path, report: dict[str, Any], prod: np.ndarray, cand: np.ndarray
) -> dict[str, Path]:
    paths = _report_paths(root, report["id"])
    paths["json"].parent.mkdir(parents=True, exist_ok=True)
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
            _by_value_section(report.get("by_value")),
            to_html(fig, include_plotlyjs=True, full_html=False),
            to_html(scatter, include_plotlyjs=False, full_html=False),
            "</body></html>",
        ]
    )


PAGE_VALUES = 50  # the by-value table's rows on the page (the JSON has them all)


def _by_value_section(breakdown: dict[str, Any] | None) -> str:
    """The per-fan-out-value table: the largest values first, at most :data:`PAGE_VALUES`."""
    if not breakdown:
        return ""
    e = html.escape
    items = breakdown["values"]
    rows = "".join(
        f"<tr><td>{e(_fmt(item['value']))}</td><td>{item['rows']}</td><td>{item['positives']}</td>"
        + "".join(
            f"<td>{_fmt(item[side][m])}</td>"
            for m in ("roc_auc", "pr_auc", "mean_score")
            for side in ("production", "candidate")
        )
        + f"<td>{item['production_only']}</td><td>{item['candidate_only']}</td>"
        f"<td>{_fmt(item['flip_rate'])}</td></tr>"
        for item in items[:PAGE_VALUES]
    )
    more = (
        f"<p>{len(items) - PAGE_VALUES} smaller value(s) are in the report's JSON.</p>"
        if len(items) > PAGE_VALUES
        else ""
    )
    return "".join(
        [
            f"<h2>By {e(str(breakdown['column']))}</h2><table border='1'>",
            f"<tr><th>{e(str(breakdown['column']))}</th><th>rows</th><th>positives</th>",
            "".join(
                f"<th>{m} ({side})</th>"
                for m in ("ROC AUC", "PR AUC", "mean score")
                for side in ("production", "candidate")
            ),
            "<th>production only blocks</th><th>candidate only blocks</th><th>flip rate</th></tr>",
            rows,
            "</table>",
            more,
        ]
    )
