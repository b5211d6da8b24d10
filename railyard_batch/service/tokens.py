"""Bearer tokens: ``railyard-batch tokens create --role ROLE --name NAME [--team TEAM]``
prints one once.

A token is ``ryb_`` and 32 random bytes in hex; the store keeps only the sha256 of it, so a
copy of the database holds no usable token. A request's token is hashed and looked up by its
hash, and the stored hash compared with :func:`hmac.compare_digest`. A token found is
remembered by the process for ``KNOWN_S`` seconds (a service polled 50 times a second reads
its tokens once per token, not once per request), so a token deleted from the store works up
to that long after; a token not found is looked up again on each request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from railyard_batch.errors import ConfigError, one_of
from railyard_batch.recording.store import now
from railyard_batch.service import tables

# Each role may do what the roles before it may.
ROLES = ("reader", "trainer", "promoter")
PREFIX = "ryb_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
KNOWN_S = 5.0
_known: dict[tuple[str, str], tuple[float, Principal]] = {}
_known_lock = threading.Lock()


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: the token's name (the actor of its changes), role and team
    (what its trainings are counted under in ``/metrics``)."""

    name: str
    role: str
    team: str | None = None

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create_token(store_url: str, *, name: str, role: str, team: str | None = None) -> str:
    """Store a new token for ``name`` with ``role`` (and ``team``); returns the token (shown
    once)."""
    if role not in ROLES:
        raise one_of("--role", ROLES, role)
    for option, value in (("--name", name), ("--team", team)):
        if value is not None and not _NAME.fullmatch(value):
            raise ConfigError(
                f"The {option!r} option must be 1-100 characters of letters, digits and "
                f"'._@-', starting with a letter or digit. Got {value!r}."
            )
    token = PREFIX + secrets.token_hex(32)
    try:
        with tables.engine(store_url).begin() as conn:
            conn.execute(
                tables.tokens.insert().values(
                    name=name,
                    role=role,
                    team=team,
                    secret_sha256=digest(token),
                    created_at=now(),
                )
            )
    except sa.exc.IntegrityError:
        raise ConfigError(
            f"The '--name' option must name no existing token: {name!r} has one already."
        ) from None
    return token


def authenticate(store_url: str, token: str) -> Principal | None:
    """The principal of ``token``, or None when no stored token matches it."""
    wanted = digest(token)
    clock = time.monotonic()
    with _known_lock:
        hit = _known.get((store_url, wanted))
    if hit is not None and clock - hit[0] < KNOWN_S:
        return hit[1]
    with tables.engine(store_url).connect() as conn:
        row = conn.execute(
            sa.select(
                tables.tokens.c.name,
                tables.tokens.c.role,
                tables.tokens.c.team,
                tables.tokens.c.secret_sha256,
            ).where(tables.tokens.c.secret_sha256 == wanted)
        ).first()
    if row is None or not hmac.compare_digest(str(row.secret_sha256), wanted):
        return None
    found = Principal(name=str(row.name), role=str(row.role), team=row.team)
    with _known_lock:
        if len(_known) >= 4096:
            _known.clear()
        _known[(store_url, wanted)] = (clock, found)
    return found
