"""Running sweeps on Kubernetes: one Indexed Job per run (Hydra job), rendered from the
templates in ``k8s_templates/``, validated, submitted idempotently and followed into the run
store. ``hydra/launcher=kubernetes`` uses :class:`KubernetesBackend`.

Names are imported on first use, so that ``railyard-batch status`` does not pay for pandas
and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from railyard_batch.execution.kubernetes._api import Api, KubernetesError, connect
    from railyard_batch.execution.kubernetes._backend import KubernetesBackend
    from railyard_batch.execution.kubernetes._render import RunManifests, render_sweep
    from railyard_batch.execution.kubernetes._schema import ManifestError, validate_object
    from railyard_batch.execution.kubernetes._settings import KubernetesSettings
    from railyard_batch.execution.kubernetes._template import to_yaml

_WHERE = {
    "Api": "_api",
    "KubernetesBackend": "_backend",
    "KubernetesError": "_api",
    "KubernetesSettings": "_settings",
    "ManifestError": "_schema",
    "RunManifests": "_render",
    "connect": "_api",
    "render_sweep": "_render",
    "to_yaml": "_template",
    "validate_object": "_schema",
}
__all__ = [
    "Api",
    "KubernetesBackend",
    "KubernetesError",
    "KubernetesSettings",
    "ManifestError",
    "RunManifests",
    "connect",
    "render_sweep",
    "to_yaml",
    "validate_object",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
