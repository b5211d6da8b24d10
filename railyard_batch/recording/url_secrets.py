"""Passwords in URLs, as every message, log line and record shows them: ``user:***@``.

Used for any URL a user hands over (an fsspec artifact root, a ``store.url`` in an override);
:mod:`railyard_batch.recording.urls` also hides a run store password in its driver's messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _userinfo(url: str) -> tuple[str, str] | None:
    """``(user, password)`` of a URL that carries a password, else ``None``."""
    if "://" not in url:
        return None
    try:
        parts = urlsplit(url)
        secret = parts.password
    except ValueError:  # a malformed netloc (an unclosed IPv6 bracket): fsspec refuses it later
        return None
    if not secret:
        return None
    return parts.netloc.rpartition("@")[0].removesuffix(":" + secret), secret


def has_password(url: str) -> bool:
    return _userinfo(url) is not None


def redact_url(url: str, text: str | None = None) -> str:
    """``text`` (default: the URL itself) with the URL's ``user:password@`` as
    ``user:***@`` wherever it appears."""
    text = url if text is None else text
    found = _userinfo(url)
    if found is None:
        return text
    user, secret = found
    return text.replace(f"{user}:{secret}@", f"{user}:***@")


def redact_override(override: str) -> str:
    """A Hydra override as logs show it: a URL value's password as ``***``
    (``store.url=postgresql://u:***@db/runs``, ``store.artifact_root=s3://...``). A sweeper
    hands overrides over escaped (``ftp\\://u\\:pw@...``); a redacted one is shown plain."""
    key, sep, value = override.partition("=")
    plain = re.sub(r"\\(.)", r"\1", value).strip("'\"")  # as the shell had it quoted
    if not sep or "://" not in plain:
        return override
    shown = redact_url(plain)
    return override if shown == plain else f"{key}={shown}"


def passwords_in(values: Iterable[Any]) -> set[tuple[str, str]]:
    """The ``(user, password)`` pairs of the URLs among ``values`` (any leaves of a config)."""
    found = set()
    for value in values:
        if isinstance(value, str):
            pair = _userinfo(value)
            if pair is not None:
                found.add(pair)
    return found


def scrub(text: str, pairs: Iterable[tuple[str, str]]) -> str:
    """``text`` with each ``user:password@`` of ``pairs`` as ``user:***@``, also where it is
    written escaped as a Hydra sweeper hands overrides over (``user\\:password@``)."""
    for user, secret in pairs:
        escaped = re.sub(r"([\\()\[\]{}:=, \t])", r"\\\1", secret)
        for sep, hidden in ((":", secret), ("\\:", escaped)):
            text = text.replace(f"{user}{sep}{hidden}@", f"{user}{sep}***@")
    return text


def config_values(config: Any) -> list[Any]:
    """The leaves of a config (an OmegaConf node, unresolved: an ``${oc.env:...}`` stays a
    reference) and of overrides (``key=value`` strings: their values)."""
    from omegaconf import DictConfig, ListConfig, OmegaConf

    node = (
        OmegaConf.to_container(config, resolve=False)
        if isinstance(config, DictConfig | ListConfig)
        else config
    )
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in config_values(value)]
    if isinstance(node, list | tuple):
        return [leaf for value in node for leaf in config_values(value)]
    return [node]


def scrub_files(paths: Iterable[Path], values: Iterable[Any]) -> None:
    """Rewrite each of ``paths`` that shows a password of the URLs among ``values`` with it as
    ``***`` (:func:`scrub`). Hydra writes a job's config and overrides (``.hydra/*.yaml``) and
    a sweep's (``multirun.yaml``) as typed; a path not written is left alone."""
    pairs = passwords_in(values)
    if not pairs:
        return
    for path in paths:
        try:
            text = path.read_text()
        except OSError:
            continue
        scrubbed = scrub(text, pairs)
        if scrubbed != text:
            path.write_text(scrubbed)
