"""``railyard-batch models ...``: the registry's subcommands (parsers and handlers)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from railyard_batch.cli_options import add_json, add_store
from railyard_batch.errors import ConfigError

DEFAULT_ROOT = "runs/artifacts"
READS = ("list", "show", "history")


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return f"uid-{os.getuid()}"


def add_parser(sub: Any) -> None:
    models = sub.add_parser("models", help="the model registry: names, versions, aliases")
    add_store(models)
    models.add_argument(
        "--artifact-root",
        default=os.environ.get("RAILYARD_ARTIFACT_ROOT", DEFAULT_ROOT),
        help="artifact root holding bundles and registry/ pointers (default: %(default)s)",
    )
    actions = models.add_subparsers(dest="action", required=True)

    def change(name: str, text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = actions.add_parser(name, help=text)
        p.add_argument("--actor", default=default_actor(), help="who (default: the OS user)")
        p.add_argument("--reason", default=None, help="why (required for production)")
        p.add_argument("--evidence", default=None, help="what it rests on, e.g. a report id")
        return p

    register = change("register", "register a member's bundle, or a sweep's exportable members")
    register.add_argument("target", help="member id or sweep id")
    add_json(register, "the versions registered")
    add_json(actions.add_parser("list", help="registered models"), "the models")
    show = actions.add_parser("show", help="a model's versions, tags and aliases")
    show.add_argument("name")
    add_json(show, "the model")
    hist = actions.add_parser("history", help="a model's events; --at: who held an alias then")
    hist.add_argument("name", help="model name")
    hist.add_argument(
        "--alias", default=None, help="only this alias's moves (with --at: the alias asked about)"
    )
    hist.add_argument("--at", default=None, help="ISO-8601 time (alias default: production)")
    add_json(hist, "the events")
    hist.add_argument(
        "--limit", type=int, default=200, help="newest events shown (0: all; default %(default)s)"
    )
    tag = change("tag", "set key=value tags on a version")
    tag.add_argument("name")
    tag.add_argument("version")
    tag.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    untag = change("untag", "remove tags from a version")
    untag.add_argument("name")
    untag.add_argument("version")
    untag.add_argument("keys", nargs="+", metavar="KEY")
    for name, text in (
        ("alias", "point an alias at a version (production: through the promotion gate)"),
        ("promote", "move production to a version if it passes the promotion criteria"),
    ):
        p = change(name, text)
        p.add_argument("name")
        if name == "alias":
            p.add_argument("alias_name", metavar="ALIAS")
        p.add_argument("version")
        p.add_argument("--force", action="store_true", help="skip the metric thresholds")
        p.add_argument("--expect", default=None, help="move only if the alias holds this (or none)")
        p.add_argument("--criteria", type=Path, default=None, help="promotion criteria YAML")
    every = change(
        "promote-sweep",
        "promote every version a sweep registered that passes the promotion criteria",
    )
    every.add_argument("sweep", help="sweep id (see runs list)")
    every.add_argument("--criteria", type=Path, default=None, help="promotion criteria YAML")
    add_json(every, "each version's result")
    unalias = change("unalias", "remove an alias (its pointer document is deleted)")
    unalias.add_argument("name")
    unalias.add_argument("alias_name", metavar="ALIAS")
    rollback = change("rollback", "production back to its previous holder")
    rollback.add_argument("name")
    report = actions.add_parser(
        "report", help="a stored shadow report by its id (as models history names it)"
    )
    report.add_argument("report_id", metavar="REPORT_ID")
    add_json(report, "the whole report")
    shadow = actions.add_parser(
        "shadow",
        help="score candidates beside production on their holdouts; store reports",
        description="NAME --candidate VERSION shadows one version; --sweep SWEEP shadows every"
        " version a sweep registered against its name's production version.",
    )
    shadow.add_argument("name", nargs="?", help="the registered model (with --candidate)")
    shadow.add_argument("--candidate", help="the version (or a unique prefix)")
    shadow.add_argument("--sweep", help="every version this sweep registered, in one command")
    shadow.add_argument(
        "--runtime",
        choices=("python", "jvm"),
        default="python",
        help="score with the pickled pipelines (python) or the bundles on the JVM scorer (jvm,"
        " what production runs; with --sweep, every bundle in one JVM)",
    )
    shadow.add_argument(
        "--data",
        help="score this dataset's rows (DVC-tracked or not; its md5 is recorded) instead of"
        " the candidate's holdout; a per-value model takes its value's rows",
    )
    shadow.add_argument(
        "--since", help="with --data: rows at or after this time (split.time_column)"
    )
    shadow.add_argument("--until", help="with --data: rows before this time")
    shadow.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes comparing pairs with --sweep (default: %(default)s; each reads the"
        " sweep's datasets once)",
    )
    shadow.add_argument("--actor", default=default_actor(), help="who (default: the OS user)")
    add_json(shadow, "the shadow report")


def run(ns: argparse.Namespace) -> int:
    from railyard_batch.registry import reads, views
    from railyard_batch.registry.db import engine_for

    if ns.action == "register":
        return _register(ns)
    engine = engine_for(ns.store)
    if ns.action == "shadow":
        return _shadow(engine, ns)
    if ns.action == "report":
        from railyard_batch.registry import views
        from railyard_batch.registry.registration import artifact_base
        from railyard_batch.registry.shadow import get_report, report_files

        found = get_report(engine, ns.report_id)
        found["files"] = report_files(artifact_base(ns.artifact_root), found)
        if ns.json:
            views.print_json(found)
        else:
            _print_shadow(views, found)
            for key, what in (("html", "shadow report"), ("sweep_html", "in the sweep's page")):
                if key in found["files"]:
                    print(f"{what} {found['id']}: {found['files'][key]}")
        return 0
    if ns.action in READS:
        if ns.action == "list":
            data: Any = reads.list_models(engine)
            table: Any = views.models_table
        elif ns.action == "show":
            data, table = reads.show_model(engine, ns.name), views.model_table
        else:
            data = reads.history(engine, ns.name, ns.alias, ns.at)
            table = views.history_table
            events = data.get("events")
            if events is not None and ns.limit > 0 and len(events) > ns.limit:
                data["events"] = events[-ns.limit :]
                print(
                    f"showing the newest {ns.limit} of {len(events)} events (--limit 0: all)",
                    file=sys.stderr,
                )
        if ns.json:
            views.print_json(data)
        else:
            views.print_table(table(data))
        return 0
    return _change(engine, ns)


def _actor(ns: argparse.Namespace) -> Any:
    from railyard_batch.registry.changes import Actor

    return Actor(ns.actor, ns.reason, ns.evidence, bool(getattr(ns, "force", False)))


def _register(ns: argparse.Namespace) -> int:
    from railyard_batch.registry import views
    from railyard_batch.registry.registration import register_target

    done = register_target(ns.store, ns.artifact_root, ns.target, ns.actor)
    if ns.json:
        views.print_json([r.__dict__ for r in done])
    else:
        for r in done:
            state = "registered" if r.new else "already registered"
            print(f"{r.model_name} {r.version[:12]} ({r.member_id}): {state}")
    new = sum(r.new for r in done)
    print(f"{new} new version(s), {len(done) - new} already registered", file=sys.stderr)
    return 0


def _shadow(engine: Any, ns: argparse.Namespace) -> int:
    from railyard_batch.registry import views
    from railyard_batch.registry.registration import artifact_base
    from railyard_batch.registry.shadow import shadow, shadow_sweep

    one_name = ns.name is not None and ns.candidate is not None and ns.sweep is None
    a_sweep = ns.sweep is not None and ns.name is None and ns.candidate is None
    if not (one_name or a_sweep):
        raise ConfigError(
            "models shadow takes NAME --candidate VERSION, or --sweep SWEEP (not both); got"
            f" NAME={ns.name!r}, --candidate={ns.candidate!r}, --sweep={ns.sweep!r}."
        )
    if ns.workers < 1:
        raise ConfigError(f"--workers must be an integer >= 1; got {ns.workers}.")
    if ns.sweep is not None and (ns.data or ns.since or ns.until):
        raise ConfigError(
            "--data/--since/--until shadow one name (NAME --candidate VERSION); a sweep is"
            f" shadowed on its holdouts. Got --sweep {ns.sweep!r} --data {ns.data!r}."
        )
    if ns.sweep is not None:
        summary = shadow_sweep(
            engine,
            ns.store,
            artifact_base(ns.artifact_root),
            ns.sweep,
            actor=ns.actor,
            workers=ns.workers,
            runtime=ns.runtime,
        )
        if ns.json:
            views.print_json(summary)
        else:
            views.print_table(views.sweep_shadow_table(summary))
            for why, names in summary["skipped"].items():
                if names:
                    print(f"{why.replace('_', ' ')}: {', '.join(names)}")
            print(f"shadow of sweep {ns.sweep}: {summary['files']['html']}")
        return 0
    report = shadow(
        engine,
        ns.store,
        artifact_base(ns.artifact_root),
        ns.name,
        ns.candidate,
        actor=ns.actor,
        runtime=ns.runtime,
        data=ns.data,
        since=ns.since,
        until=ns.until,
    )
    if ns.json:
        views.print_json(report)
    else:
        _print_shadow(views, report)
        print(f"shadow report {report['id']}: {report['files']['html']}")
    return 0


def _print_shadow(views: Any, report: dict[str, Any]) -> None:
    views.print_table(views.shadow_table(report))
    by_value = views.by_value_table(report)
    if by_value is not None:
        views.print_table(by_value)


def _criteria(ns: argparse.Namespace) -> Any:
    from railyard_batch.registry.promotion import load_criteria

    path = (
        ns.criteria
        or Path(os.environ.get("RAILYARD_CONF_DIR", "conf")) / "promotion" / "default.yaml"
    )
    return load_criteria(path)


def _change(engine: Any, ns: argparse.Namespace) -> int:
    from railyard_batch.registry import aliases, changes, views
    from railyard_batch.registry.names import check_tag
    from railyard_batch.registry.registration import artifact_base

    actor = _actor(ns)
    if ns.action == "tag":
        pairs = [_pair(p) for p in ns.pairs]
        for key, value in pairs:  # every pair checked before any is set
            check_tag(key, value)
        for key, value in pairs:
            changed = changes.set_tag(engine, ns.name, ns.version, key, value, actor)
            print(f"{key}={value}: {'set' if changed else 'unchanged'}")
        return 0
    if ns.action == "untag":
        for key in ns.keys:
            check_tag(key)
        for key in ns.keys:
            changes.remove_tag(engine, ns.name, ns.version, key, actor)
            print(f"{key}: removed")
        return 0
    root = artifact_base(ns.artifact_root)
    if ns.action == "promote-sweep":
        return _promote_sweep(engine, root, ns, actor)
    if ns.action == "promote":
        moved = aliases.promote(
            engine, root, ns.name, ns.version, actor, _criteria(ns), expect=ns.expect
        )
    elif ns.action == "alias":
        criteria = _criteria(ns) if ns.alias_name == aliases.PRODUCTION else None
        moved = aliases.set_alias(
            engine, root, ns.name, ns.alias_name, ns.version, actor, criteria, ns.expect
        )
    elif ns.action == "unalias":
        moved = aliases.unalias(engine, root, ns.name, ns.alias_name, actor)
    else:
        moved = aliases.rollback(engine, root, ns.name, actor)
    views.print_json(moved.to_dict())
    return 0


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise ConfigError(f"A tag must be KEY=VALUE. Got {text[:80]!r}.")
    return key, value


def _promote_sweep(engine: Any, root: Path, ns: argparse.Namespace, actor: Any) -> int:
    """Each version the sweep registered goes through the gate of its own name, one by one
    (each promotion is its own event, as ``models promote`` makes it). Exit 1 when any was
    refused or lost a race; the table says which and why."""
    from sqlalchemy import select

    from railyard_batch.registry import aliases, views
    from railyard_batch.registry import tables as t
    from railyard_batch.registry.errors import (
        ModelNotFoundError,
        PromotionConflict,
        PromotionRefused,
    )

    criteria = _criteria(ns)
    with engine.connect() as c:
        rows = c.execute(
            select(t.versions.c.model_name, t.versions.c.version)
            .where(t.versions.c.sweep_id == ns.sweep)
            .order_by(t.versions.c.model_name)
        ).all()
    if not rows:
        raise ModelNotFoundError(
            f"Sweep {ns.sweep!r} registered no model versions; register it first (models register SWEEP)."
        )
    results = []
    for name, version in rows:
        entry: dict[str, Any] = {"model": name, "version": version}
        try:
            moved = aliases.promote(engine, root, name, version, actor, criteria)
            entry.update(result="promoted", from_version=moved.from_version, event=moved.event_id)
        except PromotionRefused as exc:
            entry.update(result="refused", reason=str(exc))
        except PromotionConflict as exc:
            entry.update(result="conflict", reason=str(exc))
        except ConfigError as exc:  # a missing --reason is raised by the first, as promote's
            if "already holds" not in str(exc):
                raise
            entry.update(result="already production")
        results.append(entry)
    if ns.json:
        views.print_json(results)
    else:
        views.print_table(views.promote_sweep_table(ns.sweep, results))
    return 1 if any(r["result"] in ("refused", "conflict") for r in results) else 0
