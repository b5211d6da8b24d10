"""Model registry benchmarks (issue 12).

1. Registering a sweep of 1,000 exportable members (synthetic member rows through
   ``RunStore.create_run`` and tiny bundle manifests): ``register_target`` reads the run store and
   the manifests and writes models, versions and events in one transaction; the baseline is
   the same 1,000 version rows inserted by a plain sqlite3 loop (one transaction). Target <= 2 s.
2. ``railyard-batch models history NAME`` of a name with 10,000 events, as a CLI process
   (JSON, table, and ``--at``); the baseline is ``models list --json`` on the same store (the
   process start and the engine). Target <= 0.5 s.

    .venv/bin/python bench/registry.py
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from railyard_batch.recording.store import MemberOutcome, RunStore, now
from railyard_batch.registry import tables as t
from railyard_batch.registry.db import engine_for
from railyard_batch.registry.registration import register_target

CLI = str(Path(sys.executable).with_name("railyard-batch"))
N_MEMBERS = 1000
N_EVENTS = 10_000


def synthetic_sweep(root: Path, url: str) -> str:
    store = RunStore(url)
    sweep_id, run_id = "20260101-000000-bench0", "20260101-000000-bench0-000"
    store.create_sweep(
        sweep_id,
        experiment="bench",
        command="bench",
        overrides=[],
        git_commit="0" * 40,
        git_dirty=False,
        package_versions={"scikit-learn": "1"},
        backend="local",
    )
    config = {"fanout": {"by": "merchant_id"}, "registry": {}}
    members = [
        (f"{run_id}/m{i:05d}", f"m{i:05d}", f"m{i:05d}", 0, 100, f"k{i}", None)
        for i in range(N_MEMBERS)
    ]
    store.create_run(
        run_id,
        sweep_id=sweep_id,
        job_num=0,
        overrides=[],
        config=config,
        config_hash="h",
        estimator="sklearn.linear_model.LogisticRegression",
        data_path="d",
        data_md5="0" * 32,
        data_source="working tree",
        artifact_uri=str(root / sweep_id / run_id),
        members=members,
    )
    outcomes = []
    for mid, key, *_ in members:
        bundle = root / sweep_id / run_id / "members" / key / "bundle"
        bundle.mkdir(parents=True)
        digest = f"sha256:{secrets.token_hex(32)}"
        (bundle / "manifest.json").write_text(json.dumps({"content_hash": digest}))
        export = {
            "bundle_path": str(bundle),
            "content_hash": digest,
            "exportable": True,
            "reason": None,
            "jvm_parity": {"passed": True},
        }
        outcomes.append(
            MemberOutcome(mid, "succeeded", now(), now(), metrics={"roc_auc": 0.8}, export=export)
        )
    store.record_outcomes(outcomes)
    store.close()
    return sweep_id


def baseline_loop(path: Path) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE plain (name TEXT, version TEXT, bundle TEXT, metrics TEXT,"
        " PRIMARY KEY (name, version))"
    )
    rows = [
        (f"bench/m{i:05d}", secrets.token_hex(32), f"b/{i}", '{"roc_auc": 0.8}')
        for i in range(N_MEMBERS)
    ]
    start = time.perf_counter()
    conn.execute("BEGIN")
    for row in rows:
        conn.execute("INSERT INTO plain VALUES (?,?,?,?)", row)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def many_events(url: str, name: str, versions: list[str]) -> None:
    engine = engine_for(url)
    stamp = now()
    with engine.begin() as c:
        c.execute(
            insert(t.events),
            [
                {
                    "model_name": name,
                    "kind": "alias_moved",
                    "alias": "production",
                    "from_version": versions[i % 2],
                    "to_version": versions[(i + 1) % 2],
                    "actor": "bench",
                    "at": stamp,
                    "reason": f"move {i}",
                    "forced": False,
                }
                for i in range(N_EVENTS)
            ],
        )


def cli_seconds(cwd: Path, *args: str, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        proc = subprocess.run(
            [CLI, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        best = min(best, time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{args} failed: {proc.stderr}")
    return best


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="railyard-bench-registry-"))
    root, url = work / "artifacts", f"sqlite:///{work / 'railyard.db'}"
    sweep_id = synthetic_sweep(root, url)
    engine_for(url)  # tables created outside the timing
    base = baseline_loop(work / "baseline.db")
    start = time.perf_counter()
    done = register_target(url, str(root), sweep_id, "bench")
    took = time.perf_counter() - start
    assert len(done) == N_MEMBERS and all(r.new for r in done)
    print(
        f"register {N_MEMBERS} members in one transaction: {took:.3f} s"
        f" (target <= 2 s); plain insert loop {base:.4f} s; ratio {took / base:.1f}x"
    )
    start = time.perf_counter()
    register_target(url, str(root), sweep_id, "bench")
    again = time.perf_counter() - start
    print(
        f"register the same {N_MEMBERS} again (no new version): {again:.3f} s;"
        f" ratio {again / base:.1f}x"
    )

    name = done[0].model_name
    versions = [done[0].version, done[1].version]
    many_events(url, name, versions)
    common = ["models", "--store", url, "--artifact-root", str(root)]
    baseline = cli_seconds(work, *common, "list", "--json")
    for label, extra in (
        ("--json (newest 200, the default --limit)", ["--json"]),
        ("--json --limit 0 (all events)", ["--json", "--limit", "0"]),
        ("table (newest 200)", []),
        (
            "--alias production --at <now> --json",
            ["--alias", "production", "--at", now(), "--json"],
        ),
    ):
        took = cli_seconds(work, *common, "history", name, *extra)
        print(
            f"models history ({N_EVENTS} events) {label}: {took:.3f} s (target <= 0.5 s);"
            f" models list --json {baseline:.3f} s; ratio {took / baseline:.2f}x"
        )


if __name__ == "__main__":
    main()
