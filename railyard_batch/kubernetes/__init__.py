"""Running sweeps on Kubernetes: one Indexed Job per run (Hydra job), rendered from the
templates in ``k8s_templates/``, validated, submitted idempotently and followed into the run
store. ``hydra/launcher=kubernetes`` uses :class:`KubernetesBackend`."""

from railyard_batch.kubernetes._api import Api, KubernetesError, connect
from railyard_batch.kubernetes._backend import KubernetesBackend
from railyard_batch.kubernetes._render import RunManifests, render_sweep
from railyard_batch.kubernetes._schema import ManifestError, validate_object
from railyard_batch.kubernetes._settings import KubernetesSettings
from railyard_batch.kubernetes._template import to_yaml

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
