"""A training request, from hostile JSON to a running sweep.

1. :func:`check_request` refuses what a service must never take (a resolver interpolation,
   ``hydra.*`` or ``store.*`` keys, a CLI flag), composes every Hydra job of the sweep with
   Hydra's Compose API on the project's ``conf/`` and runs the CLI's own checks on each
   (``validate_config``: schema, unknown keys, ``targets.allowed_modules``, estimator
   parameters). A mistake is a :class:`RequestError`: the CLI's one line and the key as a
   JSON pointer.
2. :func:`start` runs the sweep as the CLI does, ``railyard-batch [-m] OVERRIDES`` in its
   own process group, from an argv list (no shell), with ``execution.sweep_id`` set to the id
   handed out and ``store.url`` to the service's store: the same launchers, leases and
   recording as a sweep started by hand.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from railyard_batch.cli.hydra_errors import group_choice_error
from railyard_batch.errors import ConfigError, RailyardError
from railyard_batch.service.schemas import TrainingRequest

MAX_JOBS = 64
# ${oc.env:HOME}, ${hydra:runtime.cwd}, ${now:%H}: an interpolation that calls a resolver.
_RESOLVER = re.compile(r"\$\{\s*[^}:]*:")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Keys a request may not set: the service decides where results go, which id they get and
# which modules a _target_ may name (the project's conf/, reviewed in git); hydra.* would
# reach Hydra's callbacks, search path and output directories.
_RESERVED = ("store", "execution.sweep_id", "targets", "hydra")
_compose_lock = threading.Lock()


class RequestError(RailyardError):
    """A training request the CLI's checks refuse: the CLI's line and the key it names."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line

    @property
    def pointer(self) -> str | None:
        found = re.search(r"'([A-Za-z_+][A-Za-z0-9_.\-]*)'", self.line)
        if not found:
            return None
        key = found.group(1).lstrip("+~")
        return "/" + "/".join(part.replace("~", "~0") for part in key.split("."))


@dataclass(frozen=True)
class Checked:
    """A request that passed: what the CLI is given, and what the sweep trains."""

    overrides: list[str]
    multirun: bool
    jobs: int
    estimators: list[str]


def check_request(conf_dir: Path, request: TrainingRequest, launch: Sequence[str] = ()) -> Checked:
    """Compose and check every job of the request's sweep, with the service's ``launch``
    overrides after the request's (where jobs execute: the operator's, see
    :func:`check_launch`); raise :class:`RequestError`."""
    overrides = [*request.overrides, *_document_overrides(request.config)]
    for text in overrides:
        _check_override_text(text)
    with _hydra(conf_dir):
        chosen = group_choice_error(conf_dir, [f"+experiment={request.experiment}", *overrides])
        if chosen is not None:
            raise RequestError(chosen)
        return _compose_jobs(request, overrides, list(launch))


def check_launch(conf_dir: Path, launch: Sequence[str]) -> None:
    """The operator's ``serve --launch`` overrides: each one Hydra override, none a sweep
    (they go on every job), composing with the project's config; a ConfigError line
    otherwise. They may set ``hydra.*`` (``hydra/launcher=kubernetes``), which a request may
    not."""
    from hydra import compose
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        parsed = OverridesParser.create().parse_overrides(list(launch))
        for override in parsed:
            if override.is_sweep_override():
                raise ConfigError(
                    f"The '--launch' option sets one value for every training, not a sweep. "
                    f"Got {override.input_line!r}."
                )
        with _hydra(conf_dir):
            compose("config", overrides=list(launch), return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(f"The '--launch' overrides do not compose: {_line(exc)}") from None


def _check_override_text(text: str) -> None:
    if _RESOLVER.search(text):
        key = text.partition("=")[0].lstrip("+~")
        raise RequestError(
            f"ConfigError: The '{key}' override may not call a resolver (an interpolation "
            f"like '${{oc.env:NAME}}'); the service refuses them. Got {text!r}."
        )
    if text.startswith("-"):
        raise RequestError(f"ConfigError: overrides are key=value, never a flag. Got {text!r}.")


def _document_overrides(document: dict[str, Any] | None, prefix: str = "") -> list[str]:
    """A config document as ``++key=value`` overrides, each value quoted for Hydra."""
    if not document:
        return []
    out: list[str] = []
    for key, value in document.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise RequestError(
                f"ConfigError: a config key must be a name ([A-Za-z_][A-Za-z0-9_]*). Got "
                f"{(prefix + str(key))!r}."
            )
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.extend(_document_overrides(value, f"{path}."))
        else:
            out.append(f"++{path}={_literal(value)}")
    return out


def _literal(value: Any) -> str:
    """A JSON value in Hydra's override grammar (strings quoted and escaped)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, list):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}"
    raise RequestError(f"ConfigError: a config value must be JSON. Got {value!r}.")


def quoted(text: str) -> str:
    """``text`` as a single-quoted value of Hydra's override grammar, which reads back as
    ``text``: a quote is escaped, and backslashes just before a quote (an escaped one or the
    closing one) are doubled, the grammar's only escapes inside quotes."""
    doubled = re.sub(r"\\+(?='|\Z)", lambda m: m.group(0) * 2, text)
    return "'" + doubled.replace("'", "\\'") + "'"


@contextmanager
def _hydra(conf_dir: Path) -> Iterator[None]:
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from railyard_batch.config import register_configs

    with _compose_lock:
        register_configs()
        GlobalHydra.instance().clear()
        with initialize_config_dir(str(conf_dir.absolute()), version_base="1.3"):
            yield


def _line(exc: BaseException) -> str:
    from railyard_batch.cli.hydra_errors import HydraConfigExit

    if isinstance(exc, RailyardError):
        return f"{type(exc).__name__}: {exc}"
    return HydraConfigExit(exc).line()


def _compose_jobs(request: TrainingRequest, overrides: list[str], launch: list[str]) -> Checked:
    import yaml
    from hydra import compose
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from railyard_batch.config.validate import validate_config

    experiment = f"+experiment={request.experiment}"
    user_errors = (HydraException, OmegaConfBaseException, yaml.YAMLError, RailyardError)
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
        for override in parsed:
            key = override.get_key_element().lstrip("+~")
            if any(key == r or key.startswith((f"{r}.", f"{r}/")) for r in _RESERVED):
                raise RequestError(
                    f"ConfigError: The '{key}' key is set by the service, not by a request "
                    f"(refused: {', '.join(repr(r) for r in _RESERVED)}). Got {override.input_line!r}."
                )
        fixed = [str(o.input_line) for o in parsed if not o.is_sweep_override()]
        swept = {o.get_key_element(): str(o.input_line) for o in parsed if o.is_sweep_override()}
        base = compose("config", overrides=[experiment, *fixed, *launch], return_hydra_config=True)
        params = OmegaConf.select(base, "hydra.sweeper.params") or {}
        if request.multirun:
            fixed_keys = {o.get_key_element() for o in parsed if not o.is_sweep_override()}
            for key, value in params.items():  # as Hydra: the command line wins
                if str(key) not in fixed_keys:
                    swept.setdefault(str(key), f"{key}={value}")
        elif swept:
            raise RequestError(
                "ConfigError: sweep overrides need 'multirun': true. Got "
                f"{next(iter(swept.values()))!r}."
            )
        sweep = OverridesParser.create().parse_overrides(list(swept.values()))
        batches = BasicSweeper.split_arguments(sweep, None) if sweep else [[[]]]
        jobs = [list(job) for batch in batches for job in batch]
        if len(jobs) > MAX_JOBS:
            raise RequestError(
                f"ConfigError: a sweep from the service has at most {MAX_JOBS} jobs. "
                f"Got {len(jobs)}."
            )
        estimators = []
        for job in jobs:
            cfg = compose("config", overrides=[experiment, *fixed, *job, *launch])
            validate_config(cfg)
            name = str(OmegaConf.select(cfg, "estimator._target_", default="")).rsplit(".", 1)[-1]
            estimators.append(name)
    except RequestError:
        raise
    except user_errors as exc:
        raise RequestError(_line(exc)) from None
    return Checked(
        overrides=[experiment, *overrides, *launch],
        multirun=request.multirun,
        jobs=len(jobs),
        estimators=estimators,
    )


def argv(checked: Checked, *, sweep_id: str, store_url: str) -> list[str]:
    """The CLI's command line for a checked request (an argv list: never a shell)."""
    cli = str(Path(sys.executable).with_name("railyard-batch"))
    return [
        cli,
        *(["-m"] if checked.multirun else []),
        *checked.overrides,
        f"execution.sweep_id={sweep_id}",
        f"store.url={_literal(store_url)}",
        "execution.progress=false",
    ]


def start(command: list[str], *, cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start the sweep in its own process group (cancel stops the group; a restarted
    service leaves it running), its output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
