"""A file's md5 is remembered by its stat (as DVC's state does) so that planning and every
worker do not hash the dataset again; any change to the file is hashed again, a file still
being written is not remembered, and a cache that cannot be written costs only the time."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from railyard_batch.planning import data
from railyard_batch.planning.data import file_md5, md5_cache_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "md5"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def test_a_settled_file_is_hashed_once_and_remembered(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "SETTLED_S", 0.0)
    f = tmp_path / "d.parquet"
    f.write_bytes(os.urandom(3 << 20))
    assert file_md5(f) == _md5(f)
    (entry,) = cache.iterdir()
    assert entry.read_text() == _md5(f) and md5_cache_dir() == cache
    # what is remembered is what is returned: a wrong entry would be believed, so the key
    # must change with every change to the file (next test)
    entry.write_text("0" * 32)
    assert file_md5(f) == "0" * 32


def test_any_change_is_hashed_again_even_with_the_same_size_and_mtime(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "SETTLED_S", 0.0)
    f = tmp_path / "d.csv"
    f.write_bytes(b"a,b\n1,2\n")
    first = file_md5(f)
    st = os.stat(f)
    f.write_bytes(b"a,b\n1,3\n")  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime set back; ctime moves on
    assert file_md5(f) == _md5(f) != first
    assert len(list(cache.iterdir())) == 2


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path, cache: Path) -> None:
    f = tmp_path / "fresh.parquet"
    f.write_bytes(b"x" * 1000)
    assert file_md5(f) == _md5(f)
    assert not cache.exists() or not list(cache.iterdir())


@pytest.mark.parametrize("bad", ["", "not an md5", "g" * 32, "0" * 31])
def test_an_unreadable_entry_is_hashed_again(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setattr(data, "SETTLED_S", 0.0)
    f = tmp_path / "d.parquet"
    f.write_bytes(b"y" * 100)
    file_md5(f)
    (entry,) = cache.iterdir()
    entry.write_text(bad)
    assert file_md5(f) == _md5(f)
    assert entry.read_text() == _md5(f)


def test_a_cache_that_cannot_be_written_still_gives_the_md5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "SETTLED_S", 0.0)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(data.CACHE_ENV, str(blocker))  # md5/ would be under a file
    f = tmp_path / "d.parquet"
    f.write_bytes(b"z" * 100)
    assert file_md5(f) == file_md5(f) == _md5(f)
