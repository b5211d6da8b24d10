"""The naming rules shared with the JVM reader: model names, aliases, tag keys and values.

A model name is slash-separated segments, each ``[A-Za-z0-9][A-Za-z0-9_.=-]{0,99}`` (so never
``.`` or ``..``), at most 200 characters in all. An alias is one such segment (it names the
pointer file ``<name>/<alias>.json``); so is a tag key. A tag value is printable text.
"""

from __future__ import annotations

import re
import string
from typing import Any

from railyard_batch.registry.errors import InvalidNameError

SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.=-]{0,99}")
MAX_NAME = 200
MAX_TAG_VALUE = 1000
DEFAULT_NAME = "{experiment}/{by}={key}"
DEFAULT_GLOBAL_NAME = "{experiment}/global"
TEMPLATE_FIELDS = ("experiment", "by", "key", "estimator", "run")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:59] + "…")


def check_name(name: str) -> str:
    segments = name.split("/")
    bad = next((s for s in segments if not SEGMENT.fullmatch(s)), None)
    if len(name) > MAX_NAME or bad is not None:
        raise InvalidNameError(
            f"A model name must be '/'-separated segments matching "
            f"[A-Za-z0-9][A-Za-z0-9_.=-]{{0,99}}, at most {MAX_NAME} characters."
            f" Got {_shown(name)}."
        )
    return name


def check_alias(alias: str) -> str:
    if not SEGMENT.fullmatch(alias):
        raise InvalidNameError(
            f"An alias must match [A-Za-z0-9][A-Za-z0-9_.=-]{{0,99}}. Got {_shown(alias)}."
        )
    return alias


def check_tag(key: str, value: str | None = None) -> tuple[str, str | None]:
    if not SEGMENT.fullmatch(key):
        raise InvalidNameError(
            f"A tag key must match [A-Za-z0-9][A-Za-z0-9_.=-]{{0,99}}. Got {_shown(key)}."
        )
    if value is not None and (len(value) > MAX_TAG_VALUE or not value.isprintable()):
        raise InvalidNameError(
            f"A tag value must be printable text of at most {MAX_TAG_VALUE} characters."
            f" Got {_shown(value)}."
        )
    return key, value


def check_template(template: str, key: str) -> str:
    """A ``registry.name`` template: plain ``{field}`` names of :data:`TEMPLATE_FIELDS`."""
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
        specs = [
            (spec, conv)
            for _, f, spec, conv in string.Formatter().parse(template)
            if f is not None and (spec or conv)
        ]
    except ValueError as exc:
        raise InvalidNameError(
            f"The '{key}' template is malformed ({exc}). Got {template!r}."
        ) from None
    unknown = [f for f in fields if f not in TEMPLATE_FIELDS]
    if unknown or specs:
        raise InvalidNameError(
            f"The '{key}' template may use only the fields "
            f"{{{', '.join(TEMPLATE_FIELDS)}}} (no format specs). Got {template!r}."
        )
    return template


def model_name(registry_conf: dict[str, Any] | None, fields: dict[str, str]) -> str:
    """The registered name of a member: the run's ``registry.name`` (per-value members) or
    ``registry.global_name`` template, filled in, then checked."""
    conf = registry_conf or {}
    global_member = fields.get("by") is None or fields.get("key") in (None, "__global__")
    key = "registry.global_name" if global_member else "registry.name"
    template = conf.get(key.split(".")[1]) or (
        DEFAULT_GLOBAL_NAME if global_member else DEFAULT_NAME
    )
    check_template(template, key)
    return check_name(template.format_map({k: str(v) for k, v in fields.items()}))
