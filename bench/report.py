"""The sweep report for a 1,000-member sweep (3 runs x 333 merchants + 3 global models, each
with holdout scores; the global models' holdouts 200,000 rows), against a baseline of reading
the same sweep, runs and members from the run store, in the same process.

    .venv/bin/python -m bench.report [--merchants 333] [--runs 3] [--repeats 5]

Prints the median render time, the baseline's, their ratio, the page's size, and the time of
the whole CLI command (``railyard-batch report``, process start included).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from railyard_batch.recording.store import RunStore
from railyard_batch.reports import render_report
from tests.sweep_records import record_sweep

CLI = str(Path(sys.executable).with_name("railyard-batch"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=333)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    ns = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="railyard-bench-report-"))
    values = [f"m{i:05d}" for i in range(ns.merchants)]
    url, sweep_id = record_sweep(
        root, values, runs=ns.runs, reasons={7: "ValueError: bad slice"},
        holdout_rows=500, global_holdout_rows=200_000,
    )  # fmt: skip
    members = ns.runs * (ns.merchants + 1)
    store = RunStore(url)
    render_report(store, sweep_id)  # warm: imports, plotly.js read once per process
    baseline, rendered = [], []
    for _ in range(ns.repeats):
        start = time.perf_counter()
        store.sweep(sweep_id)
        store.runs(sweep_id)
        store.members(sweep_id=sweep_id)
        baseline.append(time.perf_counter() - start)
        start = time.perf_counter()
        page = render_report(store, sweep_id)
        rendered.append(time.perf_counter() - start)
    store.close()
    out = root / "report.html"
    start = time.perf_counter()
    subprocess.run(
        [CLI, "report", sweep_id, "-o", str(out), "--store", url], check=True, capture_output=True
    )
    cli = time.perf_counter() - start
    base, render = statistics.median(baseline), statistics.median(rendered)
    print(f"sweep of {members} members, {ns.repeats} repeats (medians)")
    print(f"  baseline: read sweep, runs and members from the store  {base * 1000:8.1f} ms")
    print(f"  render_report                                           {render * 1000:8.1f} ms")
    print(f"  ratio render / read                                     {render / base:8.1f}x")
    print(f"  page size                                               {len(page) / 1e6:8.2f} MB")
    print(f"  railyard-batch report (whole command)                   {cli:8.2f} s")


if __name__ == "__main__":
    main()
