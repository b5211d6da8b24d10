"""Tokens and roles, for every operation of the service's own OpenAPI document: no token or
a wrong one is 401, a role below the operation's ``x-required-role`` is 403, and the role
itself gets past the check (whatever the operation then answers)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from railyard_batch.errors import ConfigError
from railyard_batch.service.tokens import ROLES, authenticate, create_token, digest
from tests.service.conftest import Service

WRONG = "ryb_" + "0" * 64


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def call(service: Service, method: str, path: str, authorization: str | None) -> httpx.Response:
    url = re.sub(r"\{[^}]+\}", "20990101-000000-abcdef", path)
    headers = {"Authorization": authorization} if authorization is not None else {}
    body = {"json": {}} if method == "POST" else {}
    return httpx.request(method, service.url + url, headers=headers, timeout=60, **body)


def test_every_operation_refuses_missing_and_wrong_tokens_and_lower_roles(
    service: Service,
) -> None:
    spec = httpx.get(f"{service.url}/openapi.json", timeout=30).json()
    ops = operations(spec)
    guarded = [(m, p, op) for m, p, op in ops if "x-required-role" in op]
    public = sorted(p for m, p, op in ops if "x-required-role" not in op)
    assert public == ["/healthz", "/readyz"]  # everything else needs a token
    assert len(guarded) >= 7, [p for _, p, _ in guarded]
    schemes = spec["components"]["securitySchemes"]
    assert [s["scheme"].lower() for s in schemes.values()] == ["bearer"]
    for method, path, op in guarded:
        required = op["x-required-role"]
        assert required in ROLES, (method, path, required)
        assert op.get("security"), f"{method} {path} does not declare its bearer token"
        for header in (
            None,
            f"Bearer {WRONG}",
            f"Bearer {service.tokens['promoter'][:-1]}",
            "Basic dXNlcjpwYXNz",
            service.tokens["promoter"],  # no scheme
        ):
            got = call(service, method, path, header)
            assert got.status_code == 401, (method, path, header, got.status_code, got.text)
            assert got.headers["www-authenticate"] == "Bearer"
        for role in ROLES:
            got = call(service, method, path, f"Bearer {service.tokens[role]}")
            if ROLES.index(role) < ROLES.index(required):
                assert got.status_code == 403, (method, path, role, got.text)
                assert required in got.json()["detail"]
            else:
                assert got.status_code not in (401, 403), (method, path, role, got.text)


def test_the_store_keeps_only_a_hash_of_each_token(service: Service) -> None:
    import sqlite3

    db = service.project.root / "runs" / "railyard.db"
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT name, role, secret_sha256 FROM service_tokens").fetchall()
    conn.close()
    assert sorted((n, r) for n, r, _ in rows) == [(f"{r}-bot", r) for r in sorted(ROLES)]
    stored = {h for _, _, h in rows}
    assert stored == {digest(t) for t in service.tokens.values()}
    raw = db.read_bytes() + (
        db.with_suffix(".db-wal").read_bytes() if db.with_suffix(".db-wal").exists() else b""
    )
    for token in service.tokens.values():
        assert token.encode() not in raw


def test_tokens_create_refuses_a_bad_role_or_a_taken_name_on_one_line(service: Service) -> None:
    bad = service.project.run("tokens", "create", "--role", "admin", "--name", "x")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "ConfigError: The '--role' parameter must be one of {'promoter', 'reader', 'trainer'}. "
        "Got 'admin'."
    ]
    taken = service.project.run("tokens", "create", "--role", "reader", "--name", "reader-bot")
    assert taken.returncode == 2
    assert len(taken.stderr.splitlines()) == 1 and "'reader-bot'" in taken.stderr
    bad_team = service.project.run(
        "tokens", "create", "--role", "reader", "--name", "y", "--team", "risk team"
    )
    assert bad_team.returncode == 2
    assert bad_team.stderr.splitlines() == [
        "ConfigError: The '--team' option must be 1-100 characters of letters, digits and "
        "'._@-', starting with a letter or digit. Got 'risk team'."
    ]


_LIKELY = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}\n?", fullmatch=True)


@given(name=st.text(max_size=120) | _LIKELY, team=st.none() | st.text(max_size=120) | _LIKELY)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_name_or_team_is_stored_verbatim_or_refused_on_one_line(
    tmp_path_factory: pytest.TempPathFactory, name: str, team: str | None
) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('tokens') / 'store.db'}"
    try:
        token = create_token(url, name=name, role="trainer", team=team)
    except ConfigError as error:
        assert "\n" not in str(error) and ("'--name'" in str(error) or "'--team'" in str(error))
        return
    for value in (name, team):  # accepted: printable, no spaces, nothing around it
        assert value is None or (value.isprintable() and value.isascii() and " " not in value)
    found = authenticate(url, token)
    assert found is not None and (found.name, found.role, found.team) == (name, "trainer", team)


def test_a_found_token_is_remembered_for_known_s_and_a_wrong_one_never(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from railyard_batch.service import tables, tokens

    url = f"sqlite:///{tmp_path / 'store.db'}"
    token = create_token(url, name="poller", role="reader")
    assert authenticate(url, token) is not None
    with tables.engine(url).begin() as conn:
        conn.execute(sa.delete(tables.tokens))
    found = authenticate(url, token)  # deleted, still within KNOWN_S of being found
    assert found is not None and found.name == "poller"
    monkeypatch.setattr(tokens, "KNOWN_S", 0.0)
    assert authenticate(url, token) is None  # past KNOWN_S the store is asked again
    assert authenticate(url, WRONG) is None
