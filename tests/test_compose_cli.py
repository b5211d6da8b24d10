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


def _compose(project: Project, sweep: str, name: str, *extra: str) -> dict[str, Any]:
    done = project.run("compose", sweep, "--composition", name, "--json", *extra)
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

    # The sweep's report shows every recorded composition beside the members, with its plots.
    report = project.root / "report.html"
    assert project.run("report", sweep, "-o", str(report)).returncode == 0
    page.goto(report.as_uri(), wait_until="load")
    cells = page.locator("#compositions table tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(cells) == ["blend", "nothing", "routed", "w0", "w1"]
    charts = page.locator("#compositions .chart")
    assert charts.count() == 10  # PR curves and PR AUC by size decile, for each
    page.wait_for_function(
        "document.querySelectorAll('#compositions .main-svg').length >= 10", timeout=30_000
    )
    assert errors == []
    page.close()


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("kind: chain\n", ("'kind'", "route, blend, stack", "'chain'")),
        ("kind: stack\nweights: {member: 1, global: 0}\n", ("'weights'", "unknown key")),
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


def merchants_of(shown: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in shown["members"] if m["member_key"] != "__global__"]


def test_a_composition_ships_as_one_bundle_registers_and_scores_on_the_jvm(
    trained: tuple[Project, str, dict[str, Any]], tmp_path: Path
) -> None:
    import subprocess

    import pandas as pd

    from railyard_batch.bundle.jsonl import frame_to_jsonl
    from railyard_batch.bundle.jvm_scorer import scorer_jar
    from railyard_batch.lifecycle.export import Holdouts
    from railyard_batch.recording.store import RunStore

    project, sweep, shown = trained
    fast = _compose(project, sweep, "routed")
    routed = _compose(project, sweep, "routed", "--bundle")
    # Without --bundle the evaluation reads the scores the members' training recorded; with
    # it every pipeline is run (the gate needs each class probability): the same numbers.
    assert (fast["scores_from"], routed["scores_from"]) == ("recorded", "pipelines")
    for key in ("rows", "rows_excluded", "coverage", "composition_metrics", "global_metrics"):
        assert fast[key] == routed[key], key
    assert fast["covered_rows"] == routed["covered_rows"]
    assert fast["by_size_decile"] == routed["by_size_decile"]
    bundle = routed["bundle"]
    assert bundle["exportable"] and bundle["jvm_parity"]["passed"], bundle
    assert bundle["jvm_parity"]["n_rows"] == routed["rows"]  # every evaluated row, through the JVM
    assert bundle["routes"] == routed["coverage"]["values_routed"] > 0
    assert bundle["member_bundles"] == bundle["routes"] + 1  # and the global model, once each
    path = Path(bundle["bundle_path"])
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["format"] == "railyard-composition" and manifest["kind"] == "route"
    assert bundle["content_hash"] == manifest["content_hash"]

    # Recorded like a member: composed again with nothing changed, it is the recorded result.
    again = _compose(project, sweep, "routed", "--bundle")
    assert again["cached"] and again["bundle"] == bundle and again["id"] == routed["id"]
    assert [p.name for p in path.parent.iterdir() if not p.name.startswith(".")] == [path.name]
    compared = json.loads(project.run("runs", "compare", sweep, "--json").stdout)
    recorded = {c["composition"]: c for row in compared for c in row["compositions"]}
    assert recorded["routed"]["bundle"] == "exportable"
    assert recorded["routed"]["pr_auc"] == routed["composition_metrics"]["pr_auc"]
    assert recorded["routed"]["global_pr_auc"] == routed["global_metrics"]["pr_auc"]

    # Registered and promoted like a model.
    experiment = shown["sweep"]["experiment"]
    name, version = f"{experiment}/routed", manifest["content_hash"].rpartition(":")[2]
    registered = project.run("models", "register", routed["id"])
    assert registered.returncode == 0, registered.stderr
    assert f"{name} {version[:12]}" in registered.stdout
    promoted = project.run("models", "promote", name, version, "--reason", "routed beats global")
    assert promoted.returncode == 0, promoted.stderr

    # The JVM resolves name@production to the composition: a row of a merchant with its own
    # model scores as that member does in Python, a row of any other merchant as the global.
    members = {m["member_value"]: m for m in shown["members"]}
    own_value = manifest["routes"][0][0]
    columns = [c["name"] for c in manifest["input_schema"]]
    data = pd.read_parquet(project.root / "data" / "transactions.parquet")
    own_row = data[data["merchant_id"] == own_value].head(1)[columns]
    other_row = own_row.assign(merchant_id="m_without_a_model")
    rows = pd.concat([own_row, other_row], ignore_index=True)
    (tmp_path / "rows.jsonl").write_text(frame_to_jsonl(rows))
    scored = subprocess.run(
        [
            "java",
            "-jar",
            str(scorer_jar()),
            "--registry",
            str(project.root / "runs" / "artifacts"),
            f"{name}@production",
            str(tmp_path / "rows.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert scored.returncode == 0, scored.stderr
    got = [json.loads(line)["scores"] for line in scored.stdout.splitlines()]
    holdouts = Holdouts(RunStore(project.store_url))
    glob = next(m for m in shown["members"] if m["member_key"] == "__global__")
    want = [
        holdouts.pipeline(members[own_value]["id"]).predict_proba(rows.iloc[:1])[0],
        holdouts.pipeline(glob["id"]).predict_proba(rows.iloc[1:])[0],
    ]
    for g, w in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(g, w, strict=True)) <= 1e-9, (g, w)
    assert got[0] != got[1]

    # A second version of the same name (fewer merchants routed) is shadowed against the
    # production composition and promoted through the composition gate, with evidence.
    largest = max(int(m["metrics"]["n_holdout"]) for m in merchants_of(shown))
    (project.root / "conf" / "composition" / "routed.yaml").write_text(
        f"kind: route\nmember:\n  min_holdout_rows: {largest}\n"
    )
    fewer = _compose(project, sweep, "routed", "--bundle")
    assert 0 < fewer["bundle"]["routes"] < bundle["routes"], fewer["bundle"]
    v2 = fewer["bundle"]["content_hash"].rpartition(":")[2]
    assert project.run("models", "register", sweep).returncode == 0
    shadowed = project.run("models", "shadow", name, "--candidate", v2, "--json")
    assert shadowed.returncode == 0, shadowed.stderr
    shadow_report = json.loads(shadowed.stdout)
    assert shadow_report["versions"] == {"candidate": v2, "production": version}
    assert shadow_report["rows"] == fewer["rows"]  # the candidate composition's own rows
    # its rows span the merchants: the report breaks them down by the routing column
    breakdown = shadow_report["by_value"]
    assert breakdown["column"] == "merchant_id" and len(breakdown["values"]) > 1
    assert sum(v["rows"] for v in breakdown["values"]) == shadow_report["rows"]
    # through both compositions' bundles on the JVM scorer: the same numbers
    on_jvm = project.run("models", "shadow", name, "--candidate", v2, "--runtime", "jvm", "--json")
    assert on_jvm.returncode == 0, on_jvm.stderr
    jvm_report = json.loads(on_jvm.stdout)
    assert jvm_report["runtime"] == "jvm" and jvm_report["rows"] == shadow_report["rows"]
    for side in ("production", "candidate"):
        for metric in ("roc_auc", "pr_auc", "log_loss"):
            assert jvm_report[side][metric] == pytest.approx(
                shadow_report[side][metric], abs=1e-9
            ), (side, metric)
    assert jvm_report["flips"] == shadow_report["flips"]
    assert [v["rows"] for v in jvm_report["by_value"]["values"]] == [
        v["rows"] for v in breakdown["values"]
    ]
    strict = project.root / "strict.yaml"
    strict.write_text("against_global:\n  pr_auc: -1.0\n")  # beat the global model by 1.0
    refused = project.run("models", "promote", name, v2, "--reason", "r", "--criteria", str(strict))
    assert_one_line(refused, "against_global.pr_auc", "the global model on the same rows")
    lenient = project.root / "lenient.yaml"
    lenient.write_text("against_global:\n  pr_auc: 1.0\nmax_regression:\n  pr_auc: 1.0\n")
    moved = project.run(
        "models", "promote", name, v2, "--reason", "fewer routes", "--criteria", str(lenient)
    )
    assert moved.returncode == 0, moved.stderr
    history = json.loads(project.run("models", "history", name, "--json").stdout)
    evidence = [e["evidence"] for e in history["events"] if e["kind"] == "alias_moved"]
    assert evidence[0].startswith(f"composition {routed['id']}@")
    assert "vs the global model's" in evidence[0] and len(evidence) == 2


def test_a_changed_composition_is_evaluated_again(
    trained: tuple[Project, str, dict[str, Any]],
) -> None:
    project, sweep, _ = trained
    folder = project.root / "conf" / "composition"
    (folder / "again.yaml").write_text("kind: route\nmember:\n  min_holdout_rows: 50\n")
    first = _compose(project, sweep, "again", "--bundle")
    assert not first["cached"] and _compose(project, sweep, "again")["cached"]
    (folder / "again.yaml").write_text("kind: route\nmember:\n  min_holdout_rows: 1000000\n")
    changed = _compose(project, sweep, "again", "--bundle")
    assert not changed["cached"] and changed["content_key"] != first["content_key"]
    assert changed["bundle"]["routes"] == 0 and changed["bundle"]["member_bundles"] == 1
    assert changed["bundle"]["jvm_parity"]["passed"]  # every row falls back, in the JVM too


def test_a_sweep_composes_its_members_as_it_ends(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", rows=4000, merchants=4)
    assert project.run(*PER_MERCHANT).returncode == 0
    first = json.loads(project.run("runs", "show", "--json").stdout)
    done = project.run(*PER_MERCHANT, "composition=routed")
    assert done.returncode == 0, done.stderr
    assert "composition routed of run" in done.stdout and "routed to own members" in done.stdout
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    # the composition is not part of a member's result: every member is the first sweep's
    assert {m["state"] for m in shown["members"]} == {"cached"}
    assert len(shown["members"]) == len(first["members"])
    compared = json.loads(project.run("runs", "compare", "--json").stdout)
    (recorded,) = [c for row in compared for c in row["compositions"]]
    assert recorded["composition"] == "routed" and recorded["rows"] > 0
    again = project.run(*PER_MERCHANT, "composition=routed")
    assert again.returncode == 0 and "(recorded)" not in again.stdout  # another sweep's members

    sweeps = len(json.loads(project.run("runs", "list", "--json").stdout))
    assert_one_line(project.run("composition=routed"), "fanout.by", "include_global")
    assert_one_line(
        project.run(*PER_MERCHANT, "composition=routed", "fanout.include_global=false"),
        "fanout.include_global=true",
    )
    (project.root / "conf" / "composition" / "bad.yaml").write_text("kind: chain\n")
    assert_one_line(project.run(*PER_MERCHANT, "composition=bad"), "'kind'", "'chain'")
    nosuch = project.run(*PER_MERCHANT, "composition=nosuch")
    assert nosuch.returncode != 0 and "composition" in nosuch.stderr
    # refused before anything was planned or trained
    assert len(json.loads(project.run("runs", "list", "--json").stdout)) == sweeps


def test_a_stack_is_fit_on_out_of_fold_scores_and_ships(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", rows=5000, merchants=4)
    assert_one_line(project.run(*PER_MERCHANT, "evaluation.oof_folds=1"), "evaluation.oof_folds")
    assert project.run(*PER_MERCHANT).returncode == 0
    plain = json.loads(project.run("runs", "show", "--json").stdout)["sweep"]["id"]
    assert_one_line(project.run("compose", plain, "--composition", "stacked"), "oof_folds", "stack")
    (project.root / "conf" / "composition" / "fitted.yaml").write_text(
        "kind: blend\nweights: fit\nmember:\n  min_holdout_rows: 50\n"
    )
    assert_one_line(
        project.run("compose", plain, "--composition", "fitted"), "oof_folds", "weights: fit"
    )
    done = project.run(*PER_MERCHANT, "evaluation.oof_folds=3")
    assert done.returncode == 0, done.stderr
    sweep = json.loads(project.run("runs", "show", "--json").stdout)["sweep"]["id"]
    fast = _compose(project, sweep, "stacked")
    shipped = _compose(project, sweep, "stacked", "--bundle")
    stack = shipped["stack"]
    assert stack["fit_rows"] > 0 and stack["members_fit"] == shipped["coverage"]["values_routed"]
    assert "out-of-fold" in stack["how"] and "no holdout row" in stack["how"]
    assert fast["stack"] == stack  # the fit reads recorded scores only: the same either way
    assert fast["composition_metrics"] == shipped["composition_metrics"]
    bundle = shipped["bundle"]
    assert bundle["exportable"] and bundle["jvm_parity"]["n_rows"] == shipped["rows"], bundle
    manifest = json.loads((Path(bundle["bundle_path"]) / "manifest.json").read_text())
    assert manifest["kind"] == "stack"
    assert {k: manifest["stack"][k] for k in ("coef_own", "coef_global", "intercept")} == {
        k: stack[k] for k in ("coef_own", "coef_global", "intercept")
    }
    # a blend whose weights are fit on the same out-of-fold rows, shipped with them
    fitted = _compose(project, sweep, "fitted", "--bundle")
    w = fitted["blend_fit"]["member"]
    assert 0.0 <= w <= 1.0 and fitted["blend_fit"]["fit_rows"] == stack["fit_rows"]
    assert fitted["composition"]["weights"] == {"member": w, "global": 1.0 - w}
    assert fitted["bundle"]["exportable"], fitted["bundle"]
    fitted_manifest = json.loads(
        (Path(fitted["bundle"]["bundle_path"]) / "manifest.json").read_text()
    )
    assert fitted_manifest["weights"]["member"] == w
    # a stack is not the route: where routed, the score is neither the member's nor the global's
    routed = _compose(project, sweep, "routed")
    assert shipped["composition_metrics"] != routed["composition_metrics"]
    assert shipped["global_metrics"] == routed["global_metrics"]
