"""``store.url``: which database the run store is, and how to name it without its password.

sqlite:///runs/railyard.db         embedded (the default), a path relative to the project
sqlite:////var/lib/railyard.db     embedded, an absolute path
postgresql://USER:PASSWORD@HOST:PORT/DB   a team's server (driven by psycopg 3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from railyard_batch.errors import ConfigError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgresql+psycopg://")


def is_sqlite(url: str) -> bool:
    return url.startswith(SQLITE_PREFIX)


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_PREFIXES)


def check_url(url: str) -> None:
    if not (is_sqlite(url) or is_postgres(url)):
        raise ConfigError(
            "The 'store.url' parameter must be a sqlite:///PATH or postgresql://USER@HOST/DB "
            f"URL. Got {redact(url)!r}."
        )


def sqlite_path(url: str) -> Path:
    """``sqlite:///runs/x.db`` → ``runs/x.db``; ``sqlite:////tmp/x.db`` → ``/tmp/x.db``."""
    if not is_sqlite(url):
        raise ConfigError(
            f"The 'store.url' parameter must be a sqlite:/// URL here. Got {redact(url)!r}."
        )
    return Path(url[len(SQLITE_PREFIX) :])


def sqlalchemy_url(url: str) -> str:
    """The URL SQLAlchemy opens: PostgreSQL through the psycopg 3 driver."""
    check_url(url)
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def store_exists(url: str) -> bool:
    """Whether there is a store to read: an SQLite file, or any PostgreSQL server (its
    database is created by the server's administrator, its tables by the run store)."""
    if is_sqlite(url):
        return sqlite_path(url).exists()
    check_url(url)
    return True


def password(url: str) -> str | None:
    if not is_postgres(url):
        return None
    from sqlalchemy.engine import make_url

    try:
        return make_url(sqlalchemy_url(url)).password
    except Exception:  # a malformed URL: nothing more to hide that we can find
        return None


def redact(url: str, text: str | None = None) -> str:
    """``text`` (default: the URL itself) with the URL's password replaced by ``***``."""
    text = url if text is None else text
    secret = None
    if url.startswith(POSTGRES_PREFIXES) and "@" in url:
        userinfo = url.split("://", 1)[1].rsplit("@", 1)[0]
        if ":" in userinfo:
            secret = userinfo.split(":", 1)[1]
    for hidden in {secret, password(url)} - {None, ""}:
        assert hidden is not None
        text = text.replace(hidden, "***")
    return text


def config_without_password(config: dict[str, Any]) -> dict[str, Any]:
    """A config as it is recorded or shared (the run store's records, run plans, the pods'
    ConfigMaps): ``store.url``'s password as ``***``. The password is needed only to open the
    store, never to read what ran."""
    store = config.get("store")
    if isinstance(store, dict) and isinstance(store.get("url"), str):
        return {**config, "store": {**store, "url": redact(store["url"])}}
    return config
