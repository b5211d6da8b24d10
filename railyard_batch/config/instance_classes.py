"""Instance classes (``resources.instance_class``): the one place that says which exist and
where their pods may run. They are the keys of the instance-class file
(``conf/kubernetes/instance_classes.yaml``, or ``hydra.launcher.instance_classes=PATH``), each
with the ``nodeSelector``, ``tolerations`` and ``affinity`` merged into a pod spec as written.

The config check (:mod:`railyard_batch.config.validate`) and the Kubernetes renderer read the
same file with :func:`load` and apply the same rule with :func:`placement`, so a class added to
the file is accepted everywhere at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from railyard_batch.errors import ConfigError, one_of

CLASS_KEYS = frozenset({"nodeSelector", "tolerations", "affinity"})
GPU_CLASS = "gpu"


def default_path() -> Path:
    """The project's file: ``conf/kubernetes/instance_classes.yaml`` (``$RAILYARD_CONF_DIR``)."""
    return (
        Path(os.environ.get("RAILYARD_CONF_DIR", "conf")) / "kubernetes" / "instance_classes.yaml"
    )


def path_in_use() -> Path:
    """The file the launcher of this Hydra run reads: its ``instance_classes`` setting when it
    has one (the Kubernetes launcher), else the project's."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        setting = HydraConfig.get().launcher.get("instance_classes")
        if setting:
            return Path(str(setting))
    return default_path()


def load(path: Path) -> dict[str, dict[str, Any]]:
    """``{class: {nodeSelector, tolerations, affinity}}`` from the instance-class file."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(
            f"The 'hydra.launcher.instance_classes' file must exist. Got {str(path)!r}: {exc}"
        ) from None
    except yaml.YAMLError as exc:
        why = " ".join(str(exc).split())
        raise ConfigError(f"The instance-class file {path} must be YAML. Got: {why}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"The instance-class file {path} must hold a mapping. Got {raw!r}.")
    classes: dict[str, dict[str, Any]] = {}
    for name, entry in raw.items():
        entry = entry or {}
        if not isinstance(entry, dict) or set(entry) - CLASS_KEYS:
            raise ConfigError(
                f"Instance class {name!r} in {path} may only set {sorted(CLASS_KEYS)}. "
                f"Got {entry!r}."
            )
        classes[str(name)] = entry
    return classes


def placement(instance_class: str, gpu: int, classes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The placement of ``resources.instance_class`` among ``classes``, for ``resources.gpu``
    GPUs; a class that is not there, or a GPU request outside the ``gpu`` class (when the file
    has one: its pods would miss the GPU nodes' selector and tolerations), is a ConfigError
    naming the key."""
    name = str(instance_class)
    if name not in classes:
        raise one_of("resources.instance_class", classes, name)
    if gpu and GPU_CLASS in classes and name != GPU_CLASS:
        raise ConfigError(
            f"The 'resources.instance_class' parameter must be '{GPU_CLASS}' when resources.gpu "
            f"is {gpu}, so pods get the GPU nodes' selector and tolerations. Got {name!r}."
        )
    return classes[name]
