"""The sweep report's page, without a browser: its curves are scikit-learn's, arbitrary
fan-out values and failure reasons never break the HTML or add a script, members without
holdout scores get a note instead of a curve, and the CLI's mistakes are one line."""

from __future__ import annotations

import html
import json
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve
from sklearn.metrics import roc_curve as sk_roc_curve

from railyard_batch.output.report import shown_value
from railyard_batch.recording.store import RunStore
from railyard_batch.reports import render_report
from railyard_batch.reports.curves import MAX_POINTS, pr_curve, reliability_curve, roc_curve
from railyard_batch.reports.page import _DRAW, CHARTS_ID
from tests.conftest import CLI
from tests.sweep_records import METRICS, record_sweep

# The page's own elements; anything else would have come from data.
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "script", "body", "h1", "h2", "section",
    "table", "thead", "tbody", "tr", "th", "td", "code", "p", "div",
}  # fmt: skip


class Page(HTMLParser):
    """Every start tag with its attributes, the scripts' text, and each table cell's text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.cells: list[str] = []
        self._in: str | None = None
        self._text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "td"):
            self._in, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in == "script":
            self.scripts.append((self.tags[-1][1], "".join(self._text)))
        elif tag == self._in == "td":
            self.cells.append("".join(self._text))
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)


def payload_of(page: Page) -> dict[str, Any]:
    (payload,) = [text for attrs, text in page.scripts if attrs.get("id") == CHARTS_ID]
    loaded: dict[str, Any] = json.loads(payload)
    return loaded


def charts_of(page: Page) -> list[dict[str, Any]]:
    charts: list[dict[str, Any]] = payload_of(page)["charts"]
    return charts


def render(url: str, sweep_id: str) -> str:
    store = RunStore(url)
    try:
        return render_report(store, sweep_id)
    finally:
        store.close()


# -- curves ----------------------------------------------------------------------------------

labels_and_scores = st.integers(2, 300).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 1.0]), min_size=n, max_size=n)
        | st.lists(st.floats(0, 1), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(labels_and_scores)
def test_curves_are_scikit_learns(data: tuple[list[int], list[float]]) -> None:
    y, s = np.array(data[0]), np.array(data[1])
    roc, pr, reliability = roc_curve(y, s), pr_curve(y, s), reliability_curve(y, s)
    if 0 < y.sum() < len(y):
        fpr, tpr, _ = sk_roc_curve(y, s, drop_intermediate=False)
        assert roc is not None
        if len(fpr) <= MAX_POINTS:
            np.testing.assert_allclose(roc.x, fpr)
            np.testing.assert_allclose(roc.y, tpr)
    else:
        assert roc is None
    if y.sum() > 0:
        precision, recall, _ = precision_recall_curve(y, s)
        assert pr is not None
        if len(recall) <= MAX_POINTS:
            np.testing.assert_allclose(pr.x, recall[::-1])
            np.testing.assert_allclose(pr.y, precision[::-1])
    else:
        assert pr is None
    prob_true, prob_pred = calibration_curve(y, s, n_bins=10, strategy="uniform")
    assert reliability is not None
    np.testing.assert_allclose(reliability.x, prob_pred)
    np.testing.assert_allclose(reliability.y, prob_true)


def test_a_large_holdout_is_thinned_to_its_ends() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(100_000) < 0.1).astype(int)
    s = rng.random(100_000)
    roc = roc_curve(y, s)
    assert roc is not None
    assert len(roc.x) <= MAX_POINTS
    assert (roc.x[0], roc.y[0], roc.x[-1], roc.y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert roc.x == sorted(roc.x) and roc.y == sorted(roc.y)


# -- the page ----------------------------------------------------------------------------------


def test_the_page_holds_every_section_and_chart(tmp_path: Path) -> None:
    values = [f"m{i:03d}" for i in range(8)]
    url, sweep_id = record_sweep(tmp_path, values, reasons={3: "ValueError: bad slice"})
    html_text = render(url, sweep_id)
    page = Page(html_text)
    sections = [a["id"] for t, a in page.tags if t == "section"]
    assert sections == [
        "summary",
        "metrics",
        "distributions",
        "curves",
        "compositions",
        "durations",
        "failures",
    ]
    assert "No composition recorded" in html_text
    charts = charts_of(page)
    template = payload_of(page)["template"]
    for chart in charts:  # each is a figure plotly's schema accepts (it raises otherwise)
        go.Figure({"data": chart["data"], "layout": {**chart["layout"], "template": template}})
    divs = [a for t, a in page.tags if t == "div" and a.get("class") == "chart"]
    assert [d["id"] for d in divs] == [c["id"] for c in charts]
    assert [int(str(d["data-traces"])) for d in divs] == [len(c["data"]) for c in charts]
    # a distribution per metric (2 boxes + the global stars), ROC and PR per run (chance +
    # global + best + worst; global + best + worst), calibration (ideal + 2), time (2 runs)
    assert [len(c["data"]) for c in charts] == [3, 3, 3, 4, 3, 4, 3, 3, 2]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert titles[: len(METRICS)] == [
        "roc_auc per merchant, by run (higher is better)",
        "pr_auc per merchant, by run (higher is better)",
        "log_loss per merchant, by run (lower is better)",
    ]
    # the best and worst merchants by roc_auc, from the store's metrics
    store = RunStore(url)
    run0 = [m for m in store.members(run_id=f"{sweep_id}-000") if m.state == "succeeded"]
    store.close()
    ranked = sorted(
        (m for m in run0 if m.member_key != "__global__"),
        key=lambda m: m.metrics["roc_auc"],
    )
    names = [t["name"] for t in charts[3]["data"]]
    assert names[0:2] == ["chance", "global model"]
    assert names[2].startswith(f"best merchant {ranked[-1].member_key} (roc_auc ")
    assert names[3].startswith(f"worst merchant {ranked[0].member_key} (roc_auc ")
    assert "ValueError: bad slice" in page.cells
    assert "0123456789abcdef0123456789abcdef01234567" in page.cells
    assert any("21e635fbe4c740f0bc4095059c8d6fac" in cell for cell in page.cells)


def test_members_without_holdout_scores_get_a_note(tmp_path: Path) -> None:
    url, sweep_id = record_sweep(tmp_path, ["a", "b", "c"], scores=False, runs=1)
    charts = charts_of(Page(render(url, sweep_id)))
    roc, pr, calibration = charts[len(METRICS) : len(METRICS) + 3]
    assert [t["name"] for t in roc["data"]] == ["chance"]
    assert pr["data"] == []
    notes = [a["text"] for a in roc["layout"]["annotations"]]
    assert len(notes) == 3  # global, best, worst
    assert all("no holdout scores kept (trained by an older version)" in n for n in notes)
    assert "no holdout scores kept" in calibration["layout"]["annotations"][0]["text"]


def test_a_sweep_where_every_member_failed_still_has_a_report(tmp_path: Path) -> None:
    url, sweep_id = record_sweep(tmp_path, ["a", "b"], runs=1, reasons={0: "x", 1: "y", 2: "z"})
    page = Page(render(url, sweep_id))
    charts = charts_of(page)
    assert [c["layout"]["title"]["text"] for c in charts] == [
        "ROC: 0: LogisticRegression",
        "Precision-recall: 0: LogisticRegression",
        "Calibration of the global models",
        "Time per member (trained members)",
    ]
    assert charts[1]["layout"]["annotations"][0]["text"] == "no member of this run has succeeded"
    assert {"x", "y", "z"} <= set(page.cells)


@pytest.fixture(scope="module")
def scratch() -> Any:
    with tempfile.TemporaryDirectory() as root:
        yield Path(root)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.text(max_size=30), min_size=2, max_size=6, unique=True),
    reason=st.text(max_size=60),
    experiment=st.text(min_size=1, max_size=20),
)
def test_arbitrary_values_and_reasons_never_break_the_page(
    scratch: Path, values: list[str], reason: str, experiment: str
) -> None:
    root = Path(tempfile.mkdtemp(dir=scratch))
    url, sweep_id = record_sweep(root, values, reasons={0: reason}, experiment=experiment)
    text = render(url, sweep_id)
    page = Page(text)
    assert {t for t, _ in page.tags} <= PAGE_TAGS
    assert not [(t, k) for t, a in page.tags for k in a if k.lower().startswith("on")]
    # three scripts, all the page's own: plotly.js, the charts' JSON, the lines that draw it
    assert [a for a, _ in page.scripts] == [{}, {"type": "application/json", "id": CHARTS_ID}, {}]
    assert page.scripts[2][1] == _DRAW
    assert text.count("<script") == 3
    # every value arrives as written: in the failures table, and in the charts' hover text
    shown = [shown_value(v).plain for v in values]
    assert shown[0] in page.cells
    assert (reason or "-") in page.cells
    charts = charts_of(page)
    hover = {t for trace in charts[0]["data"] if trace["type"] == "box" for t in trace["text"]}
    assert hover == {html.escape(s, quote=False) for s in shown[1:]}


def test_cli_writes_the_page_and_refuses_mistakes_in_one_line(tmp_path: Path) -> None:
    url, sweep_id = record_sweep(tmp_path, ["a", "b"])

    def report(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, "report", *args, "--store", url], capture_output=True, text=True, timeout=120
        )

    out = tmp_path / "report.html"
    done = report(sweep_id, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    for args, line in (
        (("nope", "-o", str(out)), "RunNotFoundError: No sweep 'nope' in the run store "),
        (
            (sweep_id, "-o", str(tmp_path / "missing" / "r.html")),
            f"OutputError: Cannot write the report to '{tmp_path / 'missing' / 'r.html'}'"
            f" ('--output'): no directory '{tmp_path / 'missing'}'.",
        ),
        (
            (sweep_id, "-o", str(tmp_path)),
            f"OutputError: Cannot write the report to '{tmp_path}' ('--output'): Is a directory.",
        ),
    ):
        failed = report(*args)
        assert failed.returncode == 2, failed.stderr
        assert failed.stderr.count("\n") == 1 and failed.stderr.startswith(line), failed.stderr
        assert "Traceback" not in failed.stderr
