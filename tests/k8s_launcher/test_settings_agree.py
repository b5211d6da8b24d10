"""The launcher's Hydra config is made from the backend's settings (``launcher_conf``): every
setting is a ``hydra.launcher`` key with its type and default, as OmegaConf reads them, and
the composed defaults make the default settings."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import ValidationError

from hydra_plugins.railyard_launcher.kubernetes_launcher import KubernetesLauncherConf
from railyard_batch.execution.kubernetes import KubernetesSettings


def test_every_setting_is_a_launcher_key_with_its_type_and_default() -> None:
    conf = OmegaConf.structured(KubernetesLauncherConf)
    hints = typing.get_type_hints(KubernetesSettings)
    assert list(conf) == [
        "_target_",
        "workers",
        *(f.name for f in dataclasses.fields(KubernetesSettings)),
    ]
    for name, hint in hints.items():
        node = conf._get_node(name)
        assert node is not None
        optional = type(None) in typing.get_args(hint)
        assert node._metadata.optional is optional, name
        if not optional and typing.get_origin(hint) is None:
            assert node._metadata.ref_type is hint, name
    settings = dict(OmegaConf.to_container(conf))  # type: ignore[arg-type]
    settings.pop("_target_")
    settings.pop("workers")  # the launcher's own: shards per run, not a Kubernetes setting
    assert KubernetesSettings.from_mapping(settings) == KubernetesSettings()


@pytest.mark.parametrize(
    ("key", "value"),
    [("parallelism", "many"), ("poll_seconds", "soon"), ("dry_run", "perhaps"), ("image", None)],
)
def test_a_value_of_the_wrong_type_is_refused_by_the_launcher_config(
    key: str, value: object
) -> None:
    conf = OmegaConf.structured(KubernetesLauncherConf)
    with pytest.raises(ValidationError):
        conf[key] = value
