"""``railyard-batch plan [OVERRIDES] [-m] --against REV [--at REV2] [--json | --format F]``

What a config change does to the sweep: the sweep the overrides compose at the working tree
(or ``--at REV2``) against the one they compose at ``REV``, each from its revision's own
``conf/``, ``pipelines/`` and ``dvc.lock`` (read with ``git archive`` into a temporary
directory: nothing is checked out). Exit status 0 when no member changes, 1 when members are
added, removed or retrain, 2 on an error.
"""

from __future__ import annotations

import argparse
import shlex
import tempfile
from pathlib import Path

import railyard_batch
from railyard_batch.change_plan.revision_sweep import Side
from railyard_batch.cli_options import add_json
from railyard_batch.errors import ConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="railyard-batch plan",
        description="what a config change does to a sweep: members added, removed, retrained",
    )
    p.add_argument("--against", required=True, metavar="REV", help="the revision to compare with")
    p.add_argument(
        "--at", default=None, metavar="REV2", help="plan this revision (default: the working tree)"
    )
    p.add_argument("-m", "--multirun", action="store_true", help="accepted: plans always sweep")
    add_json(p, "the plan")
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    return p


def parse(args: list[str]) -> tuple[argparse.Namespace, list[str]]:
    ns, rest = parser().parse_known_args(args)
    unknown = [a for a in rest if a.startswith("-")]
    if unknown:
        raise ConfigError(
            f"Unknown option for plan: {unknown[0]!r}; allowed: --against, --at, -m, --json, "
            "--format {table,markdown,json}, and Hydra overrides."
        )
    return ns, rest


def run(args: list[str]) -> int:
    from railyard_batch.change_plan.diff import compare
    from railyard_batch.change_plan.estimate import estimate
    from railyard_batch.change_plan.output import markdown, print_plan
    from railyard_batch.change_plan.revision_sweep import plan_revision
    from railyard_batch.change_plan.revisions import extract, package_version_at, resolve_commit
    from railyard_batch.config.estimator_checks import EstimatorChecks
    from railyard_batch.output import report

    ns, overrides = parse(args)
    fmt = "json" if ns.json else ns.format
    cwd = Path.cwd()
    against = resolve_commit(cwd, ns.against, "--against")
    at = resolve_commit(cwd, ns.at, "--at") if ns.at is not None else None
    with tempfile.TemporaryDirectory(prefix="railyard-plan-") as tmp:
        old_side = Side(
            label=ns.against,
            commit=against,
            root=extract(cwd, against, ns.against, Path(tmp) / "against", "--against"),
            package_version=package_version_at(cwd, against) or railyard_batch.__version__,
        )
        if at is None:
            new_side = Side("working tree", None, cwd, railyard_batch.__version__)
        else:
            new_side = Side(
                label=str(ns.at),
                commit=at,
                root=extract(cwd, at, str(ns.at), Path(tmp) / "at", "--at"),
                package_version=package_version_at(cwd, at) or railyard_batch.__version__,
            )
        checks = EstimatorChecks(cwd)  # estimator checks already passed here, not rerun
        old = plan_revision(old_side, overrides, cwd, checks)
        new = plan_revision(new_side, overrides, cwd, checks)
        checks.save()
    diff = compare(old, new)
    first = next(iter(new.jobs.values()), None)
    if first is not None:
        diff.estimate = estimate(diff, new, str(first.config["store"]["url"]))
    command = shlex.join(["railyard-batch", "plan", *args])
    if fmt == "json":
        report.print_json({"command": command, **diff.to_dict()})
    elif fmt == "markdown":
        print(markdown(diff, command), end="")
    else:
        print_plan(diff)
    return 1 if diff.changes else 0
