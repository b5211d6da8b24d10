"""List, then watch: a local copy of one kind of the sweep's objects, kept current by the API
server's watch stream instead of listing again.

One :class:`Informer` per kind (Jobs, pods) lists the objects matching the sweep's label once,
then follows a watch from that list's ``resourceVersion`` in a background thread: ADDED and
MODIFIED events replace an object, DELETED removes it, BOOKMARK moves the resume point. Every
change sets a shared :class:`threading.Event`, so the watcher wakes when something happened
and costs the server nothing while nothing does.

The watch is resumed where it stopped when its connection ends (the server closes watches
after ``timeoutSeconds``; an API server restart drops them). When the server no longer has
history that old (``410 Gone``, "too old resource version"), the informer lists again. A list
that fails after :class:`~railyard_batch.execution.kubernetes._api.Api`'s retries is kept as the
informer's error, and the watcher raises it; so is a watch the server refuses (403: an
account allowed to list but not to watch).
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from railyard_batch.execution.kubernetes._api import Api, KubernetesError, api_error

# The server ends each watch after about this long; the informer resumes it at once.
WATCH_TIMEOUT_S = 60


class Gone(Exception):
    """The watch's resourceVersion is older than the server's history: list again."""


class Informer:
    """A local copy of the objects ``list_fn`` lists in ``api.namespace`` with ``selector``."""

    def __init__(
        self,
        api: Api,
        list_fn: Callable[..., Any],
        what: str,
        selector: str,
        changed: threading.Event,
    ) -> None:
        self.api = api
        self.list_fn = list_fn
        self.what = what
        self.selector = selector
        self.changed = changed
        self.error: KubernetesError | None = None
        #: How many times the informer listed (the first, then one after each 410 Gone or
        #: dropped connection).
        self.lists = 0
        self._objects: dict[str, dict[str, Any]] = {}
        self._version = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: Any = None

    # -- the caller's side -------------------------------------------------------------------
    def start(self) -> Informer:
        """List now (errors are raised here), then watch in a daemon thread."""
        self._list()
        self._thread = threading.Thread(
            target=self._run, name=f"railyard-informer-{self.what}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ends the watch thread now (its open stream is shut, not left to time out)."""
        self._stop.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()

    def snapshot(self) -> list[dict[str, Any]]:
        """The objects as last seen (the objects are shared: do not change them)."""
        with self._lock:
            return list(self._objects.values())

    # -- the thread's side -------------------------------------------------------------------
    def _list(self) -> None:
        body = self.api.json(
            f"listing {self.what}", self.list_fn, self.api.namespace, label_selector=self.selector
        )
        with self._lock:
            self._objects = {o["metadata"]["name"]: o for o in body.get("items") or []}
            self._version = str(body.get("metadata", {}).get("resourceVersion") or "")
            self.lists += 1
        self.changed.set()

    def _run(self) -> None:
        from kubernetes.client.exceptions import ApiException

        delay = 0.1
        while not self._stop.is_set():
            try:
                for event in self._events():
                    self._apply(event)
                    delay = 0.1
                continue  # the server ended the watch (timeoutSeconds): resume it
            except Gone:
                pass
            except Exception as exc:  # a dropped connection (API server restart), a 5xx, ...
                status = (exc.status or 0) if isinstance(exc, ApiException) else 0
                if 400 <= status < 500 and status not in (410, 429):
                    # Refused (403: the account may list but not watch): say so, as a list would.
                    self.error = api_error(f"watching {self.what}", exc)
                    self.changed.set()
                    return
                time.sleep(min(5.0, delay) * (0.5 + random.random() / 2))  # back off, relist
                delay *= 2
            if self._stop.is_set():
                return
            try:
                self._list()
            except KubernetesError as exc:  # unreachable for longer than Api's retries
                self.error = exc
                self.changed.set()
                return

    def _events(self) -> Iterator[dict[str, Any]]:
        response = self.list_fn(
            self.api.namespace,
            label_selector=self.selector,
            watch=True,
            resource_version=self._version,
            allow_watch_bookmarks=True,
            timeout_seconds=WATCH_TIMEOUT_S,
            _preload_content=False,
            _request_timeout=(5, WATCH_TIMEOUT_S + 30),
        )
        self._response = response
        try:
            if self._stop.is_set():  # stopped while connecting
                return
            pending = b""
            for chunk in response.stream(None, decode_content=True):
                if self._stop.is_set():
                    return
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
        finally:
            self._response = None
            response.release_conn()

    def _apply(self, event: dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone(obj.get("message"))
            raise KubernetesError(f"watching {self.what}: {obj.get('message', obj)}")
        meta = obj.get("metadata", {})
        with self._lock:
            if meta.get("resourceVersion"):
                self._version = str(meta["resourceVersion"])
            if kind == "BOOKMARK":
                return
            if kind == "DELETED":
                self._objects.pop(meta.get("name", ""), None)
            elif kind in ("ADDED", "MODIFIED"):
                self._objects[meta["name"]] = obj
        self.changed.set()
