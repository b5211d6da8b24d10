"""The seam to the API server: connecting as kubectl does, and calling with bounded retries.

Kubeconfig, context and namespace resolve as for kubectl: the launcher's settings, else
``$KUBECONFIG`` / ``~/.kube/config`` and its current context (and that context's namespace),
else, inside a pod, the in-cluster service account. Calls are retried with exponential backoff
on connection errors, 5xx and 429; any other error (4xx) is raised at once with the server's
message.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from railyard_batch.errors import RailyardError

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
# Connect and read timeouts of every request, in seconds.
REQUEST_TIMEOUT = (5, 60)


class KubernetesError(RailyardError, RuntimeError):
    """The API server refused a request or could not be reached after retries."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        #: The HTTP status of a refused request; None when the server was not reached.
        self.status = status


class Api:
    """A connected client with the namespace to work in."""

    def __init__(
        self, client: Any, namespace: str, *, retry_for_s: float = 90.0, max_delay_s: float = 5.0
    ) -> None:
        self.client = client
        self.namespace = namespace
        # Transient failures are retried for this long (an API server restart takes ~30 s).
        self.retry_for_s = retry_for_s
        self.max_delay_s = max_delay_s

    # The generated API classes build hundreds of model classes when first imported (about
    # 0.5 s): only commands that need them pay for it; ``status`` reads with get_json alone.
    @cached_property
    def batch(self) -> Any:
        from kubernetes.client import BatchV1Api

        return BatchV1Api(self.client)

    @cached_property
    def core(self) -> Any:
        from kubernetes.client import CoreV1Api

        return CoreV1Api(self.client)

    def get_json(self, what: str, path: str, **query: str) -> dict[str, Any]:
        """GET ``path`` (e.g. ``/api/v1/namespaces/NS/pods``) with ``query`` (camelCase keys),
        retried like :meth:`call`; the JSON body, without the generated client's models."""
        return self.call(what, self._get, path, query)

    def _get(self, path: str, query: dict[str, str], _request_timeout: Any = None) -> Any:
        from kubernetes.client.exceptions import ApiException

        method, url, headers, body, post = self.client.param_serialize(
            method="GET",
            resource_path=path,
            query_params=list(query.items()),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = self.client.call_api(
            method, url, headers, body, post, _request_timeout=_request_timeout
        )
        data = response.read()
        if not 200 <= response.status < 300:
            raise ApiException.from_response(
                http_resp=response, body=data.decode("utf-8", "replace"), data=None
            )
        return json.loads(data)

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)``, retried on transient failures; ``what`` names it in errors."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        deadline = time.monotonic() + self.retry_for_s
        delay = 0.1
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except ApiException as exc:
                if exc.status not in RETRY_STATUSES or time.monotonic() > deadline:
                    raise api_error(what, exc) from None
            except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
                if time.monotonic() > deadline:
                    raise KubernetesError(
                        f"{what}: the API server could not be reached in {self.retry_for_s:.0f}s "
                        f"({attempt} attempts): {type(exc).__name__}: {exc}"
                    ) from None
            time.sleep(min(self.max_delay_s, delay) * (0.5 + random.random() / 2))
            delay *= 2

    def json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Like :meth:`call`, returning the raw JSON body (no model classes: faster)."""
        response = self.call(what, fn, *args, _preload_content=False, **kwargs)
        body: dict[str, Any] = json.loads(response.data)
        return body


def api_error(what: str, exc: Any) -> KubernetesError:
    """A KubernetesError carrying the server's own message for a refused request."""
    message = exc.reason
    with contextlib.suppress(TypeError, ValueError, AttributeError):
        message = json.loads(exc.body).get("message", message)
    return KubernetesError(
        f"{what} was refused by the API server (HTTP {exc.status}): {message}", exc.status
    )


def connect(*, kubeconfig: str | None, context: str | None, namespace: str | None) -> Api:
    """Connect as kubectl would; see the module docstring for the order of sources."""
    from kubernetes import config

    in_cluster = (
        kubeconfig is None
        and "KUBERNETES_SERVICE_HOST" in os.environ
        and not (os.environ.get("KUBECONFIG") or Path("~/.kube/config").expanduser().exists())
    )
    try:
        if in_cluster:
            from kubernetes import client as k8s

            configuration = k8s.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            api_client = k8s.ApiClient(configuration)
            default_ns = _SA_NAMESPACE.read_text().strip() if _SA_NAMESPACE.exists() else "default"
        else:
            api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
            _, active = config.list_kube_config_contexts(config_file=kubeconfig)
            if context:
                contexts, _ = config.list_kube_config_contexts(config_file=kubeconfig)
                active = next((c for c in contexts if c["name"] == context), active)
            default_ns = (active or {}).get("context", {}).get("namespace") or "default"
    except (config.ConfigException, OSError) as exc:
        raise KubernetesError(
            f"No usable Kubernetes configuration (kubeconfig={kubeconfig or '$KUBECONFIG or ~/.kube/config'}, "
            f"context={context or 'current'}): {exc}"
        ) from None
    return Api(api_client, namespace or default_ns)


def default_namespace(*, kubeconfig: str | None, context: str | None, namespace: str | None) -> str:
    """The namespace a dry run renders into, without connecting to any server."""
    if namespace:
        return namespace
    try:
        from kubernetes import config

        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
        if context:
            active = next((c for c in contexts if c["name"] == context), active)
        return str((active or {}).get("context", {}).get("namespace") or "default")
    except Exception:  # no kubeconfig at all: a dry run still works
        return "default"
