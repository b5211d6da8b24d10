"""The launcher's Hydra config (light, read at every start) and the backend's settings list
the same keys with the same defaults: one cannot drift from the other."""

from __future__ import annotations

import dataclasses

from hydra_plugins.railyard_launcher.kubernetes_launcher import KubernetesLauncherConf
from railyard_batch.execution.kubernetes import KubernetesSettings


def _defaults(cls: type) -> dict[str, object]:
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def test_every_setting_is_a_launcher_key_with_the_same_default() -> None:
    conf = _defaults(KubernetesLauncherConf)
    conf.pop("_target_")
    conf.pop("workers")  # the launcher's own: shards per run, not a Kubernetes setting
    assert conf == _defaults(KubernetesSettings)
