"""Every rendered object is checked against the Kubernetes schema before anything is sent.

Offline, with the OpenAPI-generated model classes of the ``kubernetes`` client (the same
schema as the API server it was generated from): the object is deserialized into its model
(``V1Job``, ``V1ConfigMap``), which rejects a missing required field or a value of the wrong
type, then serialized back; any difference from the input is a field the schema does not have
or a value it would coerce. Names and label values are checked as the API server checks them.
Cluster tests also submit through the server's own validation (``dryRun=All``).
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from railyard_batch.errors import ConfigError
from railyard_batch.execution.kubernetes._names import is_dns_label, is_label_value

_MODELS = {
    ("batch/v1", "Job"): "V1Job",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("batch/v1", "CronJob"): "V1CronJob",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
}
_api_client: Any = None


class ManifestError(ConfigError):
    """A rendered object does not match the Kubernetes schema (a template or value is wrong)."""


class _Response:
    """What ``ApiClient.deserialize`` reads in kubernetes < 35: a body in ``.data``."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.data = json.dumps(obj)


def _deserialize(client: Any, obj: dict[str, Any], model: str) -> Any:
    """``ApiClient.deserialize`` takes a response object up to kubernetes 34, text after."""
    if "content_type" in inspect.signature(client.deserialize).parameters:
        return client.deserialize(json.dumps(obj), model, "application/json")
    return client.deserialize(_Response(obj), model)


def _client() -> Any:
    global _api_client
    if _api_client is None:
        from kubernetes.client import ApiClient, Configuration

        config = Configuration()
        config.client_side_validation = True
        _api_client = ApiClient(config)
    return _api_client


def validate_object(obj: dict[str, Any]) -> None:
    """Raise :class:`ManifestError` naming the first field of ``obj`` the schema rejects."""
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    model = _MODELS.get((str(api_version), str(kind)))
    where = f"{kind} {obj.get('metadata', {}).get('name', '?')}"
    if model is None:
        raise ManifestError(
            f"The rendered object {where} must have apiVersion/kind among "
            f"{sorted(f'{a}/{k}' for a, k in _MODELS)}. Got {api_version}/{kind}."
        )
    client = _client()
    try:
        typed = _deserialize(client, obj, model)
    except (ValueError, TypeError) as exc:
        lines = [
            ln.strip() for ln in str(exc).splitlines() if not ln.strip().startswith("For further")
        ]
        raise ManifestError(
            f"The rendered {where} does not match the {model} schema: {' '.join(lines)}"
        ) from None
    back = client.sanitize_for_serialization(typed)
    problem = _difference(obj, back, "")
    if problem:
        raise ManifestError(f"The rendered {where} does not match the {model} schema: {problem}")
    _check_metadata(obj["metadata"], where)
    template = obj.get("spec", {}).get("template", {}).get("metadata")
    if template:
        _check_metadata(template, f"{where} (pod template)")


def _difference(given: Any, typed: Any, path: str) -> str | None:
    if isinstance(given, dict):
        if not isinstance(typed, dict):
            return f"{path or '.'} must not be a mapping"
        for key, value in given.items():
            here = f"{path}.{key}" if path else str(key)
            if key not in typed:
                if value is None or value == {} or value == []:
                    continue
                return f"{here} is not a field of the schema"
            problem = _difference(value, typed[key], here)
            if problem:
                return problem
        return None
    if isinstance(given, list):
        if not isinstance(typed, list) or len(typed) != len(given):
            return f"{path} must be a list"
        for i, (a, b) in enumerate(zip(given, typed, strict=True)):
            problem = _difference(a, b, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if type(given) is not type(typed) or given != typed:
        return f"{path} has the wrong type: got {given!r} ({type(given).__name__})"
    return None


def _check_metadata(meta: dict[str, Any], where: str) -> None:
    name = meta.get("name")
    if name is not None and not is_dns_label(str(name)):
        raise ManifestError(
            f"The name of {where} must be a DNS-1123 label (63 characters). Got {name!r}."
        )
    for key, value in (meta.get("labels") or {}).items():
        if not isinstance(value, str) or not is_label_value(value):
            raise ManifestError(
                f"The label {key!r} of {where} must be a label value (63 characters of "
                f"[A-Za-z0-9_.-]). Got {value!r}."
            )
    for key, value in (meta.get("annotations") or {}).items():
        if not isinstance(value, str):
            raise ManifestError(
                f"The annotation {key!r} of {where} must be a string. Got {value!r}."
            )
