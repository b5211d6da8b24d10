"""``railyard-batch compose`` through the real CLI: a routed composition and blends of a
per-merchant sweep, scored on the global model's holdout less the rows a routed member trained
on; their invariants (nothing routed is the global model on its own holdout, a blend of weight
1 is the route, of weight 0 the global model), the result file, and bad input on one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project, assert_one_line, make_project

PER_MERCHANT = ("fanout.by=merchant_id", "fanout.min_rows=500", "execution.progress=false")


def _compose(project: Project, sweep: str, name: str) -> dict[str, Any]:
    done = project.run("compose", sweep, "--composition", name, "--json")
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)
    return dict(result)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str, dict[str, Any]]:
    project = make_project(tmp_path_factory.mktemp("compose") / "proj", rows=6000, merchants=6)
    done = project.run(*PER_MERCHANT)
    assert done.returncode == 0, done.stderr
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    return project, shown["sweep"]["id"], shown


def test_routed_composition_and_blends(
    trained: tuple[Project, str, dict[str, Any]], browser: Any
) -> None:
    project, sweep, shown = trained
    glob = next(m for m in shown["members"] if m["member_key"] == "__global__")
    merchants = [m for m in shown["members"] if m["member_key"] != "__global__"]
    folder = project.root / "conf" / "composition"
    (folder / "nothing.yaml").write_text("kind: route\nmember:\n  min_holdout_rows: 1000000000\n")
    for w in (0, 1):
        (folder / f"w{w}.yaml").write_text(
            f"kind: blend\nweights:\n  member: {w}\n  global: {1 - w}\n"
            "member:\n  min_holdout_rows: 50\n"
        )

    routed = _compose(project, sweep, "routed")
    assert routed["rows"] + routed["rows_excluded"] == glob["metrics"]["n_holdout"]
    assert routed["rows_excluded"] > 0 and 0 < routed["coverage"]["rows"] < 1
    assert routed["coverage"]["values_routed"] == len(merchants)
    covered = routed["covered_rows"]
    assert covered["composition"] == covered["own_member"]  # routed rows: their own model
    assert covered["composition"]["rows"] == round(routed["coverage"]["rows"] * routed["rows"])
    assert sum(d["composition"]["rows"] for d in routed["by_size_decile"]) == routed["rows"]
    written = json.loads(Path(routed["file"]).read_text())
    assert written["composition_metrics"] == routed["composition_metrics"]

    alone = _compose(project, sweep, "nothing")
    assert alone["rows"] == glob["metrics"]["n_holdout"] and alone["rows_excluded"] == 0
    assert alone["coverage"]["rows"] == 0 and alone["coverage"]["values_routed"] == 0
    assert alone["coverage"]["members_left_out"] == {"holdout rows < 1000000000": len(merchants)}
    assert alone["composition_metrics"] == alone["global_metrics"]
    for metric in ("roc_auc", "pr_auc", "log_loss"):  # the global model on its own holdout
        assert alone["global_metrics"][metric] == pytest.approx(glob["metrics"][metric], abs=1e-12)

    assert _compose(project, sweep, "w1")["composition_metrics"] == routed["composition_metrics"]
    w0 = _compose(project, sweep, "w0")
    assert w0["composition_metrics"] == w0["global_metrics"] == routed["global_metrics"]
    blend = _compose(project, sweep, "blend")
    assert blend["rows"] == routed["rows"] and blend["composition"]["weights"]["member"] == 0.5

    table = project.run("compose", sweep)
    assert table.returncode == 0, table.stderr
    assert "own member" in table.stdout and "size decile 1" in table.stdout

    curve = routed["pr_curves"]["composition"]
    assert curve["recall"][0] == 1.0 and curve["recall"][-1] == 0.0 and len(curve["recall"]) <= 400
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(Path(routed["page"]).as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.main-svg').length >= 2", timeout=30_000)
    assert errors == []
    assert page.locator("g.trace").count() >= 4  # two curves, two bar series
    assert str(routed["rows"]) in page.locator("#coverage").inner_text()
    page.close()


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("kind: stack\n", ("'kind'", "route, blend", "'stack'")),
        ("kind: route\nmember:\n  min_rows: 3\n", ("'member.min_rows'", "unknown key")),
        ("kind: route\nmember:\n  min_holdout_rows: -1\n", ("'member.min_holdout_rows'", "-1")),
        ("kind: route\nmember:\n  min_pr_auc: 2\n", ("'member.min_pr_auc'", "[0, 1]")),
        ("kind: route\nfallback: segment\n", ("'fallback'", "global", "'segment'")),
        ("kind: route\nweights: {member: 1, global: 0}\n", ("'weights'", "unknown key")),
        ("kind: blend\nweights:\n  member: 0.5\n  global: 0.2\n", ("'weights'", "sum to 1")),
        ("kind: blend\n", ("'weights'", "'member' and 'global'")),
        ("kind: blend\nweights: {member: .nan, global: 0}\n", ("'weights.member'", "finite")),
        ("- a\n- b\n", ("must be a mapping",)),
    ],
)
def test_bad_compositions_are_one_line(
    trained: tuple[Project, str, dict[str, Any]], body: str, fragments: tuple[str, ...]
) -> None:
    project, sweep, _ = trained
    (project.root / "conf" / "composition" / "bad.yaml").write_text(body)
    assert_one_line(project.run("compose", sweep, "--composition", "bad"), *fragments)


def test_compose_refuses_what_it_cannot_compose(
    trained: tuple[Project, str, dict[str, Any]], tmp_path: Path
) -> None:
    project, sweep, _ = trained
    assert_one_line(
        project.run("compose", sweep, "--composition", "../x"), "--composition", "routed"
    )
    assert_one_line(project.run("compose", sweep, "--composition", "nosuch"), "blend, ", "'nosuch'")
    assert_one_line(project.run("compose", "nosuch-sweep"), "nosuch-sweep")
    other = make_project(tmp_path / "other", rows=3000, merchants=4)
    assert other.run("execution.progress=false").returncode == 0
    plain = json.loads(other.run("runs", "show", "--json").stdout)["sweep"]["id"]
    assert_one_line(other.run("compose", plain), "no fan-out")
    assert other.run(*PER_MERCHANT, "fanout.include_global=false").returncode == 0
    no_global = json.loads(other.run("runs", "show", "--json").stdout)["sweep"]["id"]
    assert_one_line(other.run("compose", no_global), "no global member", "include_global")
