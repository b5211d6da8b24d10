"""``railyard-batch compose SWEEP [--composition NAME]``: evaluate a composition of each run of
a sweep that has a fan-out and a global member; print a table (or JSON) and write the result
to ``<artifact_root>/compositions/<run>/<name>.json``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from railyard_batch.cli_options import add_json, add_store
from railyard_batch.errors import ConfigError

if TYPE_CHECKING:
    from railyard_batch.recording.records import MemberRecord, RunRecord
    from railyard_batch.recording.store import RunStore


def add_parser(sub: Any) -> None:
    compose = sub.add_parser(
        "compose",
        help="evaluate a composition of a sweep's members (routed, blend) against the global model",
    )
    compose.add_argument("sweep", help="sweep id (see runs list)")
    compose.add_argument(
        "--composition",
        default="routed",
        help="a file of conf/composition/ without .yaml (default: %(default)s)",
    )
    add_store(compose)
    compose.add_argument(
        "--conf-dir",
        type=Path,
        default=Path(os.environ.get("RAILYARD_CONF_DIR", "conf")),
        help="the project's conf/ (default: %(default)s)",
    )
    compose.add_argument(
        "--bundle",
        action="store_true",
        help="also export the composition as one bundle (routing table + member bundles) and run"
        " its JVM parity gate on the evaluated rows",
    )
    compose.add_argument(
        "--force",
        action="store_true",
        help="evaluate again even when the same members and config were composed before",
    )
    add_json(compose, "the results")


def run(ns: argparse.Namespace) -> int:
    from railyard_batch.compositions import spec as specs
    from railyard_batch.output import report

    composition = specs.load(ns.conf_dir, ns.composition)
    results = compose_sweep(ns.store, ns.sweep, composition, bundle=ns.bundle, force=ns.force)
    if ns.json:
        report.print_json(results)
    else:
        for result in results:
            report.print_table(table(result))
            if result["cached"]:
                print(f"cached: nothing changed since {result['id']} was composed")
            bundle = result.get("bundle")
            if bundle:
                print(f"bundle: {bundle.get('bundle_path')} ({verdict(bundle)})")
            print(f"written: {result['file']}, {result['page']}")
    return 0


def verdict(bundle: dict[str, Any]) -> str:
    return "exportable" if bundle["exportable"] else f"NOT exportable: {bundle['reason']}"


def summary_line(result: dict[str, Any]) -> str:
    """One line of a composition against the global model (what a sweep prints at its end)."""
    m, g = result["composition_metrics"], result["global_metrics"]

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.4f}"

    shipped = result.get("bundle")
    return (
        f"composition {result['composition']['name']} of run {result['run']}: pr_auc"
        f" {f(m['pr_auc'])} (global {f(g['pr_auc'])}), roc_auc {f(m['roc_auc'])} (global"
        f" {f(g['roc_auc'])}) on {result['rows']} rows, {result['coverage']['rows']:.0%} routed"
        f" to own members{f'; bundle {verdict(shipped)}' if shipped else ''}"
        f"{' (recorded)' if result['cached'] else ''}: {result['page']}"
    )


def compose_sweep(
    store_url: str, sweep_id: str, composition: Any, *, bundle: bool, force: bool = False
) -> list[dict[str, Any]]:
    """Evaluate (and with ``bundle`` export) ``composition`` for each run of the sweep with a
    global member, record each in the run store and write its result; a run whose members
    and config were composed before gives its recorded result (unless ``force``)."""
    from railyard_batch.compositions.evaluate import GLOBAL_KEY, evaluate
    from railyard_batch.compositions.ids import composition_id
    from railyard_batch.lifecycle.export import Holdouts
    from railyard_batch.recording.store import RunStore, now

    store = RunStore(store_url)
    results: list[dict[str, Any]] = []
    try:
        runs = store.runs(store.sweep(sweep_id).id)
        members = store.members(sweep_id=sweep_id)
        holdouts = Holdouts(store)
        holdouts.prefetch({sweep_id})  # the members' and runs' rows in one query each
        for r in runs:
            of_run = [m for m in members if m.run_id == r.id]
            if not any(m.member_key == GLOBAL_KEY for m in of_run) and len(runs) > 1:
                continue  # a run of the sweep without a global model: nothing to fall back to
            key = content_key(composition, of_run)
            cid = composition_id(r.id, composition.name)
            cached = None if force else _cached(store, cid, key, with_bundle=bundle)
            if cached is not None:
                results.append(cached)
                continue
            started = now()
            result, scored = evaluate(holdouts, r, of_run, composition, with_scores=bundle)
            result.update(id=cid, content_key=key, cached=False)
            if scored is not None and bundle:
                result["bundle"] = export(holdouts, composition, scored, r)
            # One result per evaluation (its key): a registered version keeps its own.
            _write_result(result, str(r.artifact_uri), result_relpath(composition.name, key))
            store.record_composition(
                {
                    "id": cid,
                    "run_id": r.id,
                    "sweep_id": sweep_id,
                    "name": composition.name,
                    "kind": composition.kind,
                    "state": "succeeded",
                    "content_key": key,
                    "config": result["composition"],  # with fitted weights
                    "metrics": recorded_metrics(result),
                    "result": result["file"],
                    "export": result.get("bundle"),
                    "created_at": started,
                    "finished_at": now(),
                }
            )
            results.append(result)
    finally:
        store.close()
    if not results:
        raise ConfigError(f"Sweep {sweep_id!r} has no run with a global member to compose.")
    return results


# Bumped when the evaluation itself changes, so that a recorded result is not reused.
# 2: the result records its routing table ("routes").
EVALUATION_VERSION = 2


def content_key(spec: Any, members: list[MemberRecord]) -> str:
    """The members as recorded (state, model, metrics, bundle) and the composition's config:
    the same key means the same evaluation."""
    import hashlib

    doc = {
        "evaluation": EVALUATION_VERSION,
        "composition": spec.to_dict(),
        "members": sorted(
            [
                m.id,
                m.state,
                m.model_sha256,
                m.content_key,
                m.metrics,
                (m.export or {}).get("content_hash"),
                ((m.export or {}).get("jvm_parity") or {}).get("passed"),
            ]
            for m in members
        ),
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _cached(store: RunStore, cid: str, key: str, *, with_bundle: bool) -> dict[str, Any] | None:
    """The recorded result of the same evaluation, when its files are still there."""
    from railyard_batch.errors import RunNotFoundError

    try:
        row = store.composition(cid)
    except RunNotFoundError:
        return None
    if row.state != "succeeded" or row.content_key != key or not row.result:
        return None
    bundle = row.export or {}
    if with_bundle and not (bundle.get("bundle_path") and Path(bundle["bundle_path"]).is_dir()):
        return None
    try:
        result = json.loads(Path(row.result).read_text())
    except (OSError, ValueError):
        return None
    if result.get("content_key") != key or not Path(result.get("page", "")).is_file():
        return None
    result["cached"] = True
    return dict(result)


def recorded_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """What the store (and a registered version) keeps: the composition's metrics on its rows,
    with the global model's on the same rows and the coverage."""
    return {
        **{k: v for k, v in result["composition_metrics"].items() if k != "rows"},
        "n_holdout": result["rows"],
        "coverage_rows": result["coverage"]["rows"],
        "global": result["global_metrics"],
    }


RESULTS_DIR = "compositions"


def _write_result(result: dict[str, Any], run_root: str, relpath: str) -> None:
    """The result (JSON) and its page (HTML) under the run's artifacts, each written whole
    (:meth:`ArtifactStore.put`: atomic on a directory, one object on a remote root)."""
    from railyard_batch.recording.artifacts import ArtifactStore

    artifacts = ArtifactStore(run_root)
    page = relpath.removesuffix(".json") + ".html"
    result["file"], result["page"] = artifacts.uri(relpath), artifacts.uri(page)
    artifacts.put(page, html_page(result).encode())
    artifacts.put(relpath, json.dumps(result, indent=2, sort_keys=True).encode())


def export(holdouts: Any, spec: Any, scored: Any, run: RunRecord) -> dict[str, Any]:
    """The composition's bundle and its parity gate, as the result records them."""
    from railyard_batch.bundle.errors import BundleError
    from railyard_batch.compositions.bundle import parity_gate, write_bundle
    from railyard_batch.recording.artifacts import ArtifactStore

    experiment = str((run.config or {}).get("experiment") or "composition")
    model_name = f"{experiment}/{spec.name}"
    artifacts = ArtifactStore(str(run.artifact_uri))
    if not artifacts.is_local:  # the JVM gate reads the bundle from a directory
        return {
            "bundle_path": None,
            "exportable": False,
            "reason": "bundle export needs a local artifact root",
        }
    try:
        written = write_bundle(
            holdouts, spec, scored, model_name, Path(artifacts.uri(f"{RESULTS_DIR}/bundles"))
        )
    except BundleError as err:  # a member step without an exporter, a schema conflict
        return {"bundle_path": None, "exportable": False, "reason": str(err)}
    gate = parity_gate(scored, written.path)
    return {
        "bundle_path": str(written.path),
        "content_hash": written.content_hash,
        "model_name": model_name,
        "member_bundles": written.members,
        "routes": written.routes,
        "exportable": gate.passed,
        "reason": None if gate.passed else f"JVM parity gate: {gate.reason}",
        "jvm_parity": gate.to_dict(),
    }


def result_relpath(name: str, key: str) -> str:
    """Under the run's artifacts: ``compositions/<name>/<12 hex of the content key>.json``."""
    return f"{RESULTS_DIR}/{name}/{key[:12]}.json"


def table(result: dict[str, Any]) -> Any:
    from rich.table import Table
    from rich.text import Text

    cov = result["coverage"]
    spec = result["composition"]
    t = Table(
        title=Text(
            f"{spec['kind']} composition '{spec['name']}' of run {result['run']}: {result['rows']}"
            f" rows ({result['rows_excluded']} left out: a member trained on them),"
            f" {cov['rows']:.1%} routed to {cov['values_covered']}/{cov['values_in_rows']} own members"
        )
    )
    for column in ("rows", "model", "roc_auc", "pr_auc", "log_loss"):
        t.add_column(column)

    def fmt(v: Any) -> str:
        return "-" if v is None else f"{v:.4f}"

    def line(where: str, model: str, m: dict[str, Any]) -> None:
        t.add_row(where, model, fmt(m["roc_auc"]), fmt(m["pr_auc"]), fmt(m["log_loss"]))

    line("all", spec["name"], result["composition_metrics"])
    line("all", "global", result["global_metrics"])
    covered = result["covered_rows"]
    line("routed", "own member", covered["own_member"])
    line("routed", "global", covered["global"])
    for d in result["by_size_decile"]:
        where = f"size decile {d['decile']} ({d['min_size']}-{d['max_size']} rows)"
        line(where, spec["name"], d["composition"])
        line(where, "global", d["global"])
    return t


def html_page(result: dict[str, Any]) -> str:
    """One self-contained page: the PR curves of the composition and the global model on the
    same rows, and PR AUC by fan-out size decile, with the numbers as a table."""
    import html

    import plotly.graph_objects as go
    from plotly.io import to_html

    e = html.escape
    spec = result["composition"]
    curves = go.Figure(
        [
            go.Scatter(x=c["recall"], y=c["precision"], mode="lines", name=label)
            for label, c in (
                (spec["name"], result["pr_curves"]["composition"]),
                ("global", result["pr_curves"]["global"]),
            )
        ]
    )
    curves.update_layout(
        title=f"Precision-recall on {result['rows']} rows",
        xaxis_title="recall",
        yaxis_title="precision",
    )
    deciles = result["by_size_decile"]
    labels = [f"{d['decile']} ({d['min_size']}-{d['max_size']})" for d in deciles]
    bars = go.Figure(
        [
            go.Bar(x=labels, y=[d["composition"]["pr_auc"] for d in deciles], name=spec["name"]),
            go.Bar(x=labels, y=[d["global"]["pr_auc"] for d in deciles], name="global"),
        ]
    )
    bars.update_layout(
        title="PR AUC by merchant-size decile (rows in the dataset)",
        xaxis_title="decile",
        yaxis_title="PR AUC",
        barmode="group",
    )

    def fmt(v: Any) -> str:
        return "-" if v is None else f"{v:.4f}"

    rows = "".join(
        f"<tr><td>{e(where)}</td><td>{e(model)}</td><td>{m['rows']}</td><td>{fmt(m['roc_auc'])}</td>"
        f"<td>{fmt(m['pr_auc'])}</td><td>{fmt(m['log_loss'])}</td></tr>"
        for where, model, m in (
            ("all", spec["name"], result["composition_metrics"]),
            ("all", "global", result["global_metrics"]),
            ("routed", "own member", result["covered_rows"]["own_member"]),
            ("routed", "global", result["covered_rows"]["global"]),
        )
    )
    cov = result["coverage"]
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{e(spec['kind'])} composition {e(spec['name'])}: {e(result['run'])}</title>",
            "</head><body>",
            f"<h1>{e(spec['kind'])} composition <code>{e(spec['name'])}</code> of run"
            f" <code>{e(result['run'])}</code></h1>",
            f"<p id='coverage'>{result['rows']} rows ({result['rows_excluded']} left out: a routed"
            f" member trained on them); {cov['rows']:.1%} of rows routed to"
            f" {cov['values_covered']} of {cov['values_in_rows']} own members.</p>",
            "<table id='metrics' border='1'><tr><th>rows</th><th>model</th><th>n</th>"
            "<th>ROC AUC</th><th>PR AUC</th><th>log loss</th></tr>",
            rows,
            "</table>",
            to_html(curves, include_plotlyjs=True, full_html=False),
            to_html(bars, include_plotlyjs=False, full_html=False),
            "</body></html>",
        ]
    )
