"""A remote artifact root that refuses (issue 16): a real HTTP server in the test process, written
through fsspec's HTTP filesystem (a PUT per object), refusing some writes the way object stores
and WebDAV servers do (403 Forbidden, 507 Insufficient Storage). Each refusal ends the sweep
with exit 2 and one ``StorageError`` line naming the object and the server's answer; no member
is recorded as succeeded without its model on the server; the sweep is closed. And a root that
carries a password is refused before anything runs, without printing the password."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.errors import ConfigError, StorageError
from railyard_batch.recording.artifacts import ArtifactStore, check_artifact_root
from railyard_batch.recording.url_secrets import (
    config_values,
    passwords_in,
    redact_override,
    redact_url,
    scrub,
)
from tests.conftest import Project, assert_one_line
from tests.k8s_launcher.plans import make_plan
from tests.test_storage_faults import SWEEP, _assert_one_line, _store_state


@dataclass
class Objects:
    """What the server holds, and which PUTs it refuses: all (``forbid``) or large ones."""

    forbid: bool = False
    max_bytes: int | None = None
    held: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(objects: Objects) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if objects.forbid:
                return self._answer(403)
            if objects.max_bytes is not None and len(body) > objects.max_bytes:
                return self._answer(507)
            with objects.lock:
                objects.held[self.path] = body
            self._answer(201)

        def do_GET(self) -> None:
            with objects.lock:
                body = objects.held.get(self.path)
            if body is None:
                return self._answer(404)
            self._answer(200, body)

        def do_HEAD(self) -> None:
            with objects.lock:
                body = objects.held.get(self.path)
            self._answer(404 if body is None else 200, b"", len(body or b""))

        def _answer(self, code: int, body: bytes = b"", size: int | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body) if size is None else size))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Objects]]:
    objects = Objects()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(objects))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/artifacts", objects
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_objects_round_trip_through_a_remote_root(server: tuple[str, Objects]) -> None:
    root, objects = server
    store = ArtifactStore(root)
    uri = store.put("s/r/model.pkl", b"model bytes")
    assert uri == f"{root}/s/r/model.pkl" and store.exists("s/r/model.pkl")
    assert store.get(uri) == b"model bytes"
    assert objects.held == {"/artifacts/s/r/model.pkl": b"model bytes"}


def test_a_root_that_forbids_writes_is_one_line_and_records_nothing_as_succeeded(
    project: Project, server: tuple[str, Objects]
) -> None:
    root, objects = server
    objects.forbid = True
    result = project.run(*SWEEP, f"store.artifact_root={root}")
    assert result.returncode == 2, result.stderr
    _assert_one_line(result.stderr, root, "403", "Forbidden")
    assert not objects.held
    if (project.root / "runs" / "railyard.db").exists():
        sweeps, members = _store_state(project)
        assert all(s["state"] != "running" for s in sweeps)
        assert not [m for m in members if m["state"] == "succeeded"]


def test_a_remote_out_of_space_fails_the_members_and_closes_the_sweep(
    project: Project, server: tuple[str, Objects]
) -> None:
    """Plans fit under the server's limit, a forest's pickle does not: 507 for every model."""
    root, objects = server
    objects.max_bytes = 64 * 1024
    result = project.run(*SWEEP, f"store.artifact_root={root}")
    assert result.returncode == 2, result.stderr
    _assert_one_line(result.stderr, root, "507", "Insufficient Storage")
    sweeps, members = _store_state(project)
    assert [s["state"] for s in sweeps] == ["failed"] and sweeps[0]["finished_at"]
    assert members and {m["state"] for m in members} <= {"failed", "succeeded"}
    assert any("507" in (m["reason"] or "") for m in members)
    for m in members:  # nothing recorded as succeeded whose model the server does not hold
        if m["state"] == "succeeded":
            assert m["artifact_uri"].removeprefix(root.rsplit("/", 1)[0]) in objects.held


def test_a_root_with_a_password_is_refused_before_anything_runs(project: Project) -> None:
    result = project.run(*SWEEP, "store.artifact_root=ftp://ry:s3cr3t-pw@127.0.0.1:1/artifacts")
    assert_one_line(result, "'store.artifact_root'", "must not carry a password", "ry:***@")
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert not (project.root / "runs" / "railyard.db").exists()
    assert _files_showing(project.root, "s3cr3t-pw") == []


def _files_showing(root: Path, secret: str) -> list[Path]:
    """The files under ``root`` that hold ``secret`` (Hydra's job files, logs, plans...)."""
    assert list(root.glob("multirun/**/.hydra/*.yaml")), "expected Hydra's job files"
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_the_launcher_logs_store_urls_without_their_passwords(project: Project) -> None:
    result = project.run(*SWEEP, "store.url=postgresql://ry:s3cr3t-pw@127.0.0.1:1/runs")
    assert result.returncode == 2, result.stderr
    assert "s3cr3t-pw" not in result.stderr + result.stdout, result.stdout
    assert "store.url=postgresql://ry:***@127.0.0.1:1/runs" in result.stdout, result.stdout
    assert _files_showing(project.root, "s3cr3t-pw") == []
    overrides = list(project.root.glob("multirun/**/.hydra/overrides.yaml"))
    assert overrides and all(r"ry\:***@127.0.0.1" in p.read_text() for p in overrides)


_SECRET = st.text(
    alphabet=st.characters(codec="ascii", exclude_characters="/?#[]\\", min_codepoint=33),
    min_size=1,
    max_size=24,
)


@settings(max_examples=300, deadline=None)
@given(secret=_SECRET, user=st.sampled_from(["ry", "svc-train", "a.b"]))
def test_no_message_about_a_root_shows_its_password(secret: str, user: str) -> None:
    root = f"ftp://{user}:{secret}@files.example:21/artifacts"
    with pytest.raises(ConfigError) as refused:
        check_artifact_root(root)
    message = str(refused.value)
    assert f"{user}:{secret}@" not in message and "must not carry a password" in message
    assert f"'ftp://{user}:***@files.example:21/artifacts'" in message
    failure = redact_url(root, f"cannot write {root}/m.pkl: refused by {root}")
    assert failure == f"cannot write ftp://{user}:***@files.example:21/artifacts/m.pkl: " + (
        f"refused by ftp://{user}:***@files.example:21/artifacts"
    )


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans()))
def test_any_artifact_root_value_is_accepted_or_one_config_error(value: object) -> None:
    try:
        assert check_artifact_root(value) == value
    except ConfigError as error:
        assert "\n" not in str(error) and "'store.artifact_root'" in str(error)


def test_a_refusal_names_the_object_without_the_password(server: tuple[str, Objects]) -> None:
    """The write path's own message is redacted too, for a root that reaches it without the
    config check (the service's settings, a caller of the library): a real refusal by the
    server, answering a PUT that carried the credentials."""
    root, objects = server
    objects.forbid = True
    with_password = root.replace("http://", "http://u:hidden-pw@")
    with pytest.raises(StorageError) as failed:
        ArtifactStore(with_password).put("m.pkl", b"x")
    assert "hidden-pw" not in str(failed.value), failed.value
    assert "u:***@" in str(failed.value) and "403" in str(failed.value)


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(["store.url", "store.artifact_root", "+x", "a"]),
    value=st.text(max_size=60),
    secret=_SECRET,
    quote=st.sampled_from(["", "'", '"']),
)
def test_logged_overrides_never_show_a_password(
    key: str, value: str, secret: str, quote: str
) -> None:
    """Any override: one without a URL password is shown as it is; one with a password
    (plain, quoted for the shell, or escaped as a sweeper hands it over) never shows it."""
    assert redact_override(f"{key}={value}") == f"{key}={value}" or "://" in value
    url = f"postgresql://ry:{secret}@db.example:5432/runs"
    for override in (f"{key}={quote}{url}{quote}", f"{key}={url.replace(':', chr(92) + ':')}"):
        shown = redact_override(override)
        assert (
            f"ry:{secret}@" not in shown
            and shown == f"{key}=postgresql://ry:***@db.example:5432/runs"
        )


@settings(max_examples=300, deadline=None)
@given(
    secret=_SECRET,
    user=st.sampled_from(["ry", "svc-train"]),
    around=st.text(st.characters(exclude_characters="@"), max_size=30),
)
def test_job_files_are_scrubbed_of_any_password(secret: str, user: str, around: str) -> None:
    """Hydra's job files hold a password as typed, or escaped as a sweeper hands it over;
    scrubbed, neither form is left and the rest of the text is unchanged."""
    url = f"postgresql://{user}:{secret}@db:5432/runs"
    escaped = re.sub(r"([\\()\[\]{}:=, \t])", r"\\\1", url)
    pairs = passwords_in(config_values({"store": {"url": url}, "n": 3, "xs": [None, around]}))
    assert pairs == {(user, secret)}
    text = f"{around}\n- store.url={url}\n- store.url={escaped}\nurl: '{url}'\n"
    scrubbed = scrub(text, pairs)
    assert f"{user}:{secret}@" not in scrubbed.replace("\\", "")
    assert scrubbed.startswith(around) and scrubbed.count(":***@") == 3


def test_a_worker_cannot_record_with_a_plan_whose_password_is_hidden(
    project: Project, tmp_path: Path
) -> None:
    plan = make_plan(
        store_url="postgresql://ry:s3cr3t-pw@127.0.0.1:1/runs", artifact_root=str(tmp_path)
    )
    uri = plan.save()
    result = project.run("worker", "--plan", uri, "--shard", "0")
    assert_one_line(result, "'worker' command", "--store URL", "ry:***@")
    assert "s3cr3t-pw" not in Path(uri).read_text()


def test_a_run_on_a_remote_root_reproduces_exports_and_composes(
    project: Project, server: tuple[str, Objects]
) -> None:
    """reproduce and export find the run's plan and model under a URL root, and compose writes
    its result there (joined as URLs: pathlib turns http://host/x into http:/host/x)."""
    root, objects = server
    trained = project.run(
        "estimator=logistic_regression",
        "fanout.by=merchant_id",
        "fanout.min_rows=300",
        "execution.workers=1",
        "execution.progress=false",
        f"store.artifact_root={root}",
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    shown = json.loads(project.run("runs", "show", "--json").stdout)
    assert shown["runs"][0]["artifact_uri"].startswith(root)
    assert any(path.endswith("/plan.json") for path in objects.held)
    again = project.run("reproduce", shown["runs"][0]["id"], "--json")
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["matches"] is True
    member = next(m for m in shown["members"] if m["member_key"] != "__global__")
    exported = project.run("export", member["id"], str(project.root / "bundle"), "--no-onnx")
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert json.loads(exported.stdout)["exportable"] is True
    composed = project.run("compose", shown["sweep"]["id"], "--composition", "routed", "--json")
    assert composed.returncode == 0, composed.stderr[-2000:]
    (result,) = json.loads(composed.stdout)
    host = root.rsplit("/", 1)[0]
    assert result["file"].startswith(root) and result["file"].removeprefix(host) in objects.held
    assert result["page"].removeprefix(host) in objects.held
