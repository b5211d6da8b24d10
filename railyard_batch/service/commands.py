"""``railyard-batch serve`` and ``railyard-batch tokens create``: their arguments and
handlers. Only argparse at import; FastAPI, uvicorn and SQLAlchemy load when one runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from railyard_batch.cli_options import add_store


def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="the training service: a JSON API over the run store")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: %(default)s)"
    )
    add_store(serve)
    serve.add_argument(
        "--launch",
        action="append",
        default=[],
        metavar="OVERRIDE",
        help="a Hydra override added to every training, after the request's: where jobs "
        "run (hydra/launcher=kubernetes, hydra.launcher.namespace=ml); repeatable; the "
        "operator's, never a request's",
    )

    tokens = sub.add_parser("tokens", help="API tokens of the training service")
    add_store(tokens)
    actions = tokens.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it (once)")
    create.add_argument("--role", required=True, help="reader, trainer or promoter")
    create.add_argument("--name", required=True, help="who uses it: the actor of its changes")
    create.add_argument(
        "--team", default=None, help="the team its trainings are counted for in /metrics"
    )
    # Also after the action (``tokens create --store URL``), as every other command takes it.
    add_store(create, default=argparse.SUPPRESS, help="run store URL (as before the action)")


def run(ns: argparse.Namespace) -> int:
    return serve(ns) if ns.command == "serve" else create_token(ns)


def create_token(ns: argparse.Namespace) -> int:
    from railyard_batch.service.tokens import create_token

    print(create_token(ns.store, name=ns.name, role=ns.role, team=ns.team))
    return 0


def serve(ns: argparse.Namespace) -> int:
    import uvicorn

    from railyard_batch.errors import ConfigError
    from railyard_batch.service.app import Settings, create_app
    from railyard_batch.service.submit import check_launch

    if str(Path.cwd()) not in sys.path:  # user code (pipelines/) as the CLI imports it
        sys.path.insert(0, str(Path.cwd()))
    settings = Settings(store_url=ns.store, launch=tuple(ns.launch))
    if not (settings.conf_dir / "config.yaml").exists():
        raise ConfigError(
            f"no config.yaml in {settings.conf_dir.absolute()}; run railyard-batch serve from "
            "the project root or set RAILYARD_CONF_DIR."
        )
    if not 0 <= ns.port <= 65535:
        raise ConfigError(f"The '--port' option must be in [0, 65535]. Got {ns.port}.")
    check_launch(settings.conf_dir, settings.launch)
    app = create_app(settings)
    uvicorn.run(app, host=ns.host, port=ns.port, log_level="warning", access_log=False)
    return 0
