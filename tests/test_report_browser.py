"""The sweep report in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; scripts/ensure-chromium installs it): a small sweep trained through the CLI, its
report rendered through the CLI and opened from file:// with the network off. The page loads
without a console error or a failed request, every chart draws each of its traces, a hover
shows a member, and a screenshot is written (and copied to $RAILYARD_ARTIFACTS_DIR if set).
A browser that cannot start fails the test; nothing skips."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_project

RUNS = ("logistic_regression", "random_forest")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A two-estimator sweep over a few merchants, and its report from the CLI."""
    project = make_project(tmp_path_factory.mktemp("report") / "proj", rows=5000, merchants=8)
    trained = project.run(
        "+experiment=fraud_v3",
        "-m",
        f"estimator={','.join(RUNS)}",
        "fanout.min_rows=300",
        "execution.workers=2",
        "execution.progress=false",
    )
    assert trained.returncode == 0, trained.stderr
    shown = project.run("runs", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    sweep = json.loads(shown.stdout)
    out = project.root / "report.html"
    rendered = project.run("report", sweep["sweep"]["id"], "-o", str(out))
    assert rendered.returncode == 0, rendered.stderr
    return out, sweep


def test_the_report_renders_in_chromium(
    browser: Any, report: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, sweep = report
    metrics = sweep["runs"][0]["config"]["evaluation"]["metrics"]
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    console: list[str] = []
    failed: list[str] = []
    requested: list[str] = []
    page.on(
        "console",
        lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("request", lambda r: requested.append(r.url))
    page.goto(out.as_uri(), wait_until="load")
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.chart')).every(d => d.querySelector('.main-svg'))",
        timeout=30_000,
    )
    assert console == []
    assert failed == []
    assert requested == [out.as_uri()]  # self-contained: nothing else is fetched

    charts = page.evaluate(
        """Array.from(document.querySelectorAll('.chart')).map(d => ({
            id: d.id,
            title: d.getAttribute('title'),
            expected: Number(d.dataset.traces),
            svgs: d.querySelectorAll('.main-svg').length,
            width: d.getBoundingClientRect().width,
            traces: Array.from(d.querySelectorAll('g.trace')).map(t =>
                Array.from(t.querySelectorAll('path')).filter(p => {
                    const s = p.getAttribute('d'); return s && s !== 'M0,0Z' && s.length > 4;
                }).length),
        }))"""
    )
    # a distribution per metric (2 boxes + the global stars); per run a ROC (chance + global,
    # best and worst merchant) and a PR chart; calibration (ideal + 2 global models); time
    expected = [3] * len(metrics) + [4, 3] * len(RUNS) + [1 + len(RUNS), len(RUNS)]
    assert [c["expected"] for c in charts] == expected, [c["title"] for c in charts]
    for chart in charts:
        assert chart["svgs"] >= 1 and chart["width"] > 300, chart
        assert len(chart["traces"]) == chart["expected"], chart
        assert all(n > 0 for n in chart["traces"]), chart  # every trace drew something

    # interactive: hovering a member's point names it
    first_box_point = page.locator("#chart-0 g.trace.boxes path.point").first
    first_box_point.hover(force=True)
    page.wait_for_selector("#chart-0 .hoverlayer .hovertext", timeout=10_000)
    hover = page.locator("#chart-0 .hoverlayer .hovertext").first.text_content() or ""
    values = {m["member_value"] for m in sweep["members"] if m["member_value"] is not None}
    assert any(str(v) in hover for v in values), hover

    summary = page.locator("#summary").inner_text()
    assert sweep["sweep"]["id"] in summary and sweep["runs"][0]["data_md5"] in summary
    assert page.locator("#failures").inner_text().endswith("No member failed.")

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    context.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    if os.environ.get("RAILYARD_ARTIFACTS_DIR"):
        target = Path(os.environ["RAILYARD_ARTIFACTS_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / "sweep-report.png")
