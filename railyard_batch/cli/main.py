"""``railyard-batch``: a thin CLI.

    railyard-batch [train] [HYDRA OVERRIDES] [-m]  compose the config and train (Hydra app;
                                                `train --help` shows its config groups)
    railyard-batch --help                       every command, with a line each
    railyard-batch worker --plan URI [--shard K] run one shard (local pool or Kubernetes pod)
    railyard-batch runs list|show|compare|gc    read the run store; gc closes dead sweeps
    railyard-batch logs MEMBER                  a member's log, from the artifact store
    railyard-batch status|wait|cancel SWEEP     re-attach to a sweep's Kubernetes Jobs
    railyard-batch models register|list|show|history|tag|untag|alias|unalias|promote|rollback
                                                the model registry (railyard_batch/registry/)
    railyard-batch plan OVERRIDES --against REV what a config change does to the sweep
    railyard-batch report [SWEEP] -o FILE       a sweep's HTML report with interactive charts
    railyard-batch serve [--host --port --store]  the training service (railyard_batch/service/)
    railyard-batch tokens create --role R --name N  a token for it, printed once
    railyard-batch store upgrade|copy           the run store's schema; copy SRC_URL DST_URL
    railyard-batch compose SWEEP [--composition routed|blend]
                                                a composition of the members vs the global model

A user mistake prints ``TypeName: message`` on one line and exits 2; no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from railyard_batch.cli_options import STORE_ENV, add_json, add_store

if TYPE_CHECKING:  # the store imports SQLAlchemy: not for every command
    from railyard_batch.recording.records import RunRecord
    from railyard_batch.recording.store import RunStore

SUBCOMMANDS = {
    "worker",
    "runs",
    "reproduce",
    "export",
    "logs",
    "status",
    "wait",
    "cancel",
    "models",
    "plan",
    "report",
    "serve",
    "tokens",
    "store",
    "compose",
    "schedules",
}


TRAIN_HELP = (
    "train: compose conf/ with Hydra and run the sweep (the default command):"
    " railyard-batch [train] [OVERRIDES ...] [-m] [--force]; `railyard-batch train --help`"
    " lists the config groups and shows the composed config"
)


# Arrow's allocator in this process and the workers it starts (they inherit the variable):
# the C library's. Arrow's default (mimalloc) keeps memory a read has freed for reuse, and a
# sweep's reads are few and large, so what it kept was most of each process's growth: the
# process tree of a 1,000-member fan-out peaked at 607 instead of 759 MiB PSS here in one
# run, in the same wall time (bench.fanout). A value the user set wins.
ARROW_POOL_VAR = "ARROW_DEFAULT_MEMORY_POOL"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault(ARROW_POOL_VAR, "system")  # before pyarrow loads: see above
    args = list(sys.argv[1:] if argv is None else argv)
    from railyard_batch.errors import RailyardError

    if args[:1] in (["--help"], ["-h"]):
        _parser().print_help()
        sys.exit(0)
    if args[:1] == ["train"]:
        args = args[1:]
    try:
        code = _subcommand(args) if args and args[0] in SUBCOMMANDS else _hydra_app(args)
    except RailyardError as exc:
        code = _report(exc)
    sys.exit(code)


def _report(exc: BaseException) -> int:
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    return 2


def _hydra_app(args: list[str]) -> int:
    import hydra

    from railyard_batch.cli import app, hydra_errors
    from railyard_batch.config import register_configs

    register_configs()
    hydra_errors.install()
    conf_dir = Path(os.environ.get("RAILYARD_CONF_DIR", "conf")).absolute()
    if not (conf_dir / "config.yaml").exists():
        print(
            f"ConfigError: no config.yaml in {conf_dir}; run railyard-batch from the project "
            "root or set RAILYARD_CONF_DIR.",
            file=sys.stderr,
        )
        return 2
    # User code (pipelines/) is imported relative to the project root.
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    # --force: retrain members whose result is already in the store (see execution.force).
    if "--force" in args:
        args = [a for a in args if a != "--force"] + ["execution.force=true"]
    chosen = hydra_errors.group_choice_error(
        conf_dir, [a for a in args if "=" in a and not a.startswith("-")]
    )
    if chosen is not None:  # Hydra 1.3 would end in a ValueError's traceback
        print(chosen, file=sys.stderr)
        return 2
    # Hydra's parser wants flags before overrides; let users write -m anywhere.
    flags = [a for a in args if a in ("-m", "--multirun")]
    sys.argv = [sys.argv[0], *flags, *(a for a in args if a not in flags)]
    entry = hydra.main(config_path=str(conf_dir), config_name="config", version_base="1.3")(
        app.train
    )
    try:
        entry()
    except app.UserErrorExit as exc:
        return _report(exc.error)
    except hydra_errors.HydraConfigExit as exc:
        print(exc.line(), file=sys.stderr)
        return 2
    except SystemExit as exc:  # Hydra reports its own errors (bad YAML, unknown option) and exits
        return exc.code if isinstance(exc.code, int) else 1
    failed = sum(s.counts.get("failed", 0) for s in app.last_summaries)
    storage = next((s.storage_error for s in app.last_summaries if s.storage_error), None)
    if storage:  # the artifact root refused a write: the platform's fault line, not a model's
        print(f"StorageError: {failed} member(s) failed; the first: {storage}", file=sys.stderr)
        return 2
    if failed:
        print(
            f"{failed} member(s) failed; see their reasons with "
            f"railyard-batch runs show {app.last_summaries[0].run_id.rsplit('-', 1)[0]}",
            file=sys.stderr,
        )
        return 1
    return 0


def _subcommand(args: list[str]) -> int:
    if args[0] == "plan":  # its own parser: Hydra overrides and options in any order
        from railyard_batch.change_plan.command import run

        return run(args[1:])
    ns = _parser().parse_args(args)
    return _dispatch(ns)


def _parser() -> argparse.ArgumentParser:
    """Every subcommand's parser (``plan`` parses its own arguments; it is listed here)."""
    parser = argparse.ArgumentParser(
        prog="railyard-batch",
        description="Config-driven batch training: sweeps, the run store, the model registry.",
        epilog=TRAIN_HELP,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("train", help="compose the config and run the sweep (the default command)")
    sub.add_parser(
        "plan", help="what a config change does to the sweep: members added, removed, retrained"
    )

    worker = sub.add_parser("worker", help="run one shard of a run plan")
    worker.add_argument("--plan", required=True, help="URI of the run plan (plan.json)")
    worker.add_argument(
        "--shard", type=int, default=None, help="shard index (default: $JOB_COMPLETION_INDEX)"
    )
    worker.add_argument(
        "--no-store",
        action="store_true",
        help="write outcomes only to the artifact store (pods: the launcher syncs them)",
    )
    add_store(
        worker,
        default=os.environ.get(STORE_ENV),
        help="run store URL to record in (default: $RAILYARD_STORE, else the plan's, whose"
        " password plan.json hides)",
    )

    reproduce = sub.add_parser("reproduce", help="re-train a recorded run and compare")
    reproduce.add_argument("run_id", help="run id (see runs show)")
    reproduce.add_argument(
        "--member", default=None, help="only this member (its key or its fan-out value)"
    )
    add_store(reproduce)
    add_json(reproduce, "the comparison")

    export = sub.add_parser("export", help="export a trained member as a JVM-scorable bundle")
    export.add_argument("member_id", help="member id (see runs show)")
    export.add_argument("out_dir", type=Path, help="bundle directory to write")
    export.add_argument("--no-onnx", action="store_true", help="skip the ONNX comparison")
    add_store(export)

    logs = sub.add_parser("logs", help="a member's log lines, from the artifact store")
    logs.add_argument("member_id", help="member id (see runs show)")
    add_store(logs)

    runs = sub.add_parser("runs", help="read the run store")
    add_store(runs)
    runs_sub = runs.add_subparsers(dest="action", required=True)
    listing = runs_sub.add_parser("list", help="recent sweeps")
    listing.add_argument(
        "--limit", type=int, default=20, help="how many sweeps, newest first (default: %(default)s)"
    )
    add_json(listing, "the sweeps")
    show = runs_sub.add_parser("show", help="members of a sweep, run or member id")
    show.add_argument(
        "id", nargs="?", default=None, help="sweep, run or member id (default: latest sweep)"
    )
    show.add_argument(
        "--state", default=None, help="only members in this state (succeeded, failed, ...)"
    )
    add_json(show, "the members")
    compare = runs_sub.add_parser("compare", help="runs of a sweep side by side")
    compare.add_argument("sweep", nargs="?", default=None, help="sweep id (default: latest)")
    add_json(compare, "the comparison")
    compare.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="PNG",
        help="also draw each run's per-member metric distribution",
    )
    compare.add_argument("--metric", default=None, help="metric to plot (default: the first)")
    runs_sub.add_parser(
        "gc",
        help="close dead sweeps: no live owner (lease expired), or left running by an older"
        " version; their unfinished members fail with the reason",
    )

    html_report = sub.add_parser("report", help="a sweep's report: one self-contained HTML page")
    html_report.add_argument("sweep", nargs="?", default=None, help="sweep id (default: latest)")
    html_report.add_argument(
        "-o", "--output", type=Path, default=Path("report.html"), help="(default: %(default)s)"
    )
    add_store(html_report)

    _kubernetes_parsers(sub)
    _schedules_parser(sub)
    from railyard_batch.registry.commands import add_parser as add_models_parser

    add_models_parser(sub)
    _service_parsers(sub)

    from railyard_batch.cli import store as store_cli

    store_cli.add_parser(sub)
    from railyard_batch.compositions import command as compose_command

    compose_command.add_parser(sub)
    return parser


def _dispatch(ns: argparse.Namespace) -> int:
    from railyard_batch.cli import store as store_cli

    if ns.command == "store":
        return store_cli.command(ns)
    if ns.command == "compose":
        from railyard_batch.compositions.command import run as compose

        return compose(ns)
    if ns.command == "models":
        from railyard_batch.registry.commands import run as run_models

        return run_models(ns)
    if ns.command == "report":
        from railyard_batch.reports.command import report_command

        return report_command(ns.store, ns.sweep, ns.output)
    if ns.command in ("serve", "tokens"):
        return _service(ns)
    if ns.command in ("status", "wait", "cancel"):
        return _kubernetes(ns)
    if ns.command == "schedules":
        from railyard_batch.execution.kubernetes._schedules import run as run_schedules

        return run_schedules(ns)
    if ns.command in ("worker", "reproduce"):
        # One training thread, as in a pool worker: the same arithmetic, the same model bytes.
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
    if ns.command == "worker":
        return _worker(ns)
    if ns.command == "reproduce":
        return _reproduce(ns)
    if ns.command == "export":
        return _export(ns)
    if ns.command == "logs":
        return _logs(ns)
    return _runs(ns)


def _kubernetes_parsers(sub: Any) -> None:
    for name, text in (
        ("status", "a Kubernetes sweep's members and Jobs, and why pods wait"),
        ("wait", "follow a Kubernetes sweep until its Jobs end, filling the run store"),
        ("cancel", "delete a Kubernetes sweep's Jobs; unfinished members fail as cancelled"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("sweep", help="sweep id")
        add_store(cmd)
        add_json(cmd, "the sweep's state")
        if name == "wait":
            cmd.add_argument(
                "--poll-seconds",
                type=float,
                default=2.0,
                help="seconds between looks at the cluster (default: %(default)s)",
            )
            cmd.add_argument("--timeout", type=float, default=None, help="seconds (default: none)")


def _schedules_parser(sub: Any) -> None:
    """``schedules list``: railyard_batch/execution/kubernetes/_schedules.py."""
    schedules = sub.add_parser(
        "schedules", help="scheduled sweeps (CronJobs): their last runs and drift from HEAD"
    )
    actions = schedules.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="each schedule, its last runs, drift from HEAD")
    listing.add_argument("--kubeconfig", default=None, help="kubeconfig file (default: kubectl's)")
    listing.add_argument("--context", default=None, help="kubeconfig context")
    listing.add_argument("--namespace", default=None, help="namespace (default: the context's)")
    listing.add_argument("--runs", type=int, default=3, help="last runs shown per schedule")
    add_json(listing, "the schedules")


def _service_parsers(sub: Any) -> None:
    from railyard_batch.service.commands import add_parsers

    add_parsers(sub)


def _service(ns: argparse.Namespace) -> int:
    from railyard_batch.service.commands import run

    return run(ns)


def _kubernetes(ns: argparse.Namespace) -> int:
    from railyard_batch.execution.kubernetes._commands import run_command

    return run_command(ns)


def _export(ns: argparse.Namespace) -> int:
    from railyard_batch.lifecycle.export import export_member
    from railyard_batch.output import report
    from railyard_batch.recording.store import open_store

    with open_store(ns.store) as store:
        outcome = export_member(store, ns.member_id, ns.out_dir, with_onnx=not ns.no_onnx)
    report.print_json(outcome.to_dict())
    if not outcome.exportable:
        print(f"not exportable: {outcome.reason}", file=sys.stderr)
        return 1
    return 0


def _logs(ns: argparse.Namespace) -> int:
    from railyard_batch.execution.member_logs import member_logs
    from railyard_batch.recording.store import open_store

    with open_store(ns.store) as store:
        member, parts = member_logs(store, ns.member_id)
    for part in parts:
        if part.whole:
            print(
                f"# member {member.id} ({member.state}) has no section of its own; "
                f"the whole log of one attempt at shard {member.shard}: {part.source}",
                file=sys.stderr,
            )
        sys.stdout.write(part.text)
    if member.reason:
        print(f"# {member.state}: {member.reason}", file=sys.stderr)
    return 0


def _reproduce(ns: argparse.Namespace) -> int:
    from railyard_batch.lifecycle.reproduce import reproduce_run
    from railyard_batch.output import report
    from railyard_batch.recording.store import open_store

    with open_store(ns.store) as store:
        result = reproduce_run(store, ns.run_id, ns.member)
    if ns.json:
        report.print_json(result.to_dict())
    else:
        report.print_table(report.reproduce_table(result))
    return 0 if result.matches else 1


def _worker(ns: argparse.Namespace) -> int:
    import dataclasses

    from railyard_batch.errors import ConfigError
    from railyard_batch.execution.worker import run_shard
    from railyard_batch.planning.plan import RunPlan
    from railyard_batch.recording.store import MemberOutcome

    shard = ns.shard
    if shard is None:
        index = os.environ.get("JOB_COMPLETION_INDEX")
        if index is None:
            raise ConfigError(
                "The '--shard' option is required outside an Indexed Job "
                "(JOB_COMPLETION_INDEX is not set). Got nothing."
            )
        shard = int(index)
    plan = RunPlan.load(ns.plan)
    if ns.store:
        plan = dataclasses.replace(plan, store_url=ns.store)
    elif not ns.no_store and "***" in plan.store_url:
        raise ConfigError(
            "The 'worker' command records in the run store, whose password the plan hides "
            f"({plan.store_url}); pass --store URL (or RAILYARD_STORE), or --no-store. Got neither."
        )
    if not 0 <= shard < plan.n_shards:
        raise ConfigError(f"The '--shard' option must be in [0, {plan.n_shards - 1}]. Got {shard}.")
    if ns.no_store:  # a pod: its outcome files are the record, which the launcher syncs
        outcomes = run_shard(plan, shard)
    else:
        from railyard_batch.recording.outcomes import OutcomeRecorder

        with OutcomeRecorder(plan.store_url) as recorder:

            def committed(batch: list[MemberOutcome], new: bool) -> None:
                if new:
                    recorder.record(batch)

            outcomes = run_shard(plan, shard, committed)
    failed = [o for o in outcomes if o.state == "failed"]
    for o in failed:
        print(f"member {o.member_id} failed: {o.reason}", file=sys.stderr)
    # 3, not 1: the shard ran and recorded its failures, so Kubernetes must not retry it.
    return 3 if failed else 0


def _runs(ns: argparse.Namespace) -> int:
    from railyard_batch.errors import StoreError
    from railyard_batch.output import report
    from railyard_batch.recording.store import open_store

    with open_store(ns.store) as store:
        if ns.action == "gc":
            closed = store.close_dead(unleased_local=True)
            print(f"closed {len(closed)} dead sweep(s){': ' if closed else ''}{' '.join(closed)}")
            return 0
        # What a reader sees is never a dead sweep shown as running (a read-only store is
        # still readable: then it shows what is recorded).
        with contextlib.suppress(StoreError):
            store.close_dead()
        if ns.action == "list":
            sweeps = store.list_sweeps(ns.limit)
            if ns.json:
                report.print_json([s.to_dict() for s in sweeps])
            else:
                report.print_table(report.sweeps_table(sweeps))
            return 0
        if ns.action == "show":
            return _show(store, ns)
        sweep_id = ns.sweep or store.latest_sweep_id()
        store.sweep(sweep_id)
        runs = store.runs(sweep_id)
        members = store.members(sweep_id=sweep_id)
        metrics = _metric_names(runs)
        rows = report.compare_rows(runs, members, metrics)
        if ns.plot is not None:
            from railyard_batch.output.plots import compare_plot

            compare_plot(runs, members, ns.metric or metrics[0], ns.plot)
            print(f"wrote {ns.plot}", file=sys.stderr)
        composed = report.composition_rows(store.compositions(sweep_id=sweep_id))
        if ns.json:
            for row in rows:  # each run's compositions, beside its members
                row["compositions"] = [c for c in composed if c["run"] == row["run"]]
            report.print_json(rows)
        else:
            report.print_table(report.rows_table(f"sweep {sweep_id}: runs compared", rows))
            if composed:
                title = f"sweep {sweep_id}: compositions vs the global model on the same rows"
                report.print_table(report.rows_table(title, composed))
        return 0


def _show(store: RunStore, ns: argparse.Namespace) -> int:
    from railyard_batch.errors import RunNotFoundError
    from railyard_batch.output import report

    target = ns.id or store.latest_sweep_id()
    if "/" in target:  # a member id
        member = store.member(target)
        report.print_json(member.to_dict())  # one member: its full record
        return 0
    try:
        sweep = store.sweep(target)
        runs = store.runs(target)
        members = store.members(sweep_id=target, state=ns.state)
    except RunNotFoundError:
        run = store.run(target)
        sweep = store.sweep(run.sweep_id)
        runs = [run]
        members = store.members(run_id=target, state=ns.state)
    if ns.json:
        report.print_json(
            {
                "sweep": sweep.to_dict(),
                "runs": [r.to_dict() for r in runs],
                "members": [m.to_dict() for m in members],
            }
        )
    else:
        report.print_table(report.members_table(sweep, runs, members, _metric_names(runs)))
    return 0


def _metric_names(runs: list[RunRecord]) -> list[str]:
    from railyard_batch.config.validate import METRICS_BY_TASK

    names: list[str] = []
    for run in runs:
        evaluation, task = run.config["evaluation"], run.config["label"]["task"]
        for name in evaluation["metrics"] or sorted(METRICS_BY_TASK[task]):
            if name not in names:
                names.append(name)
    return names
