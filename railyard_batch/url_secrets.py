"""Passwords in URLs, as every message, log line and record shows them: ``user:***@``.

Used for any URL a user hands over (an fsspec artifact root, a ``store.url`` in an override);
:mod:`railyard_batch.store_url` also hides a run store password in its driver's messages.
"""

from __future__ import annotations

import re
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
