"""Templates under ``k8s_templates/`` (or the user's directory): YAML with placeholders,
filled by structured substitution.

A template is parsed first; only then are placeholders replaced, in the parsed tree:

* a scalar that is exactly ``"{{ name }}"`` becomes the value (a string, number, list or
  mapping); a value of None removes the key, so optional fields vanish;
* ``{{ name }}`` inside a longer string is replaced by the value as text.

Values are inserted as Python objects and never rescanned, and the result is serialized by a
YAML dumper, so no value (quotes, newlines, ``{{``, ``: ``, ``$(...)``, anchors) can change
a manifest's structure.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from railyard_batch.errors import ConfigError

# The reviewed templates of the repository's k8s_templates/, shipped inside the package (in the
# source tree, railyard_batch/k8s_templates is a link to them), so an installed image finds them.
DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "k8s_templates"
_WHOLE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
_INNER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_DROP = object()


@lru_cache(maxsize=32)
def _parsed(path: str, mtime: float) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(f"The Kubernetes template {path} is not valid YAML: {exc}") from None


def load_template(template_dir: str | Path | None, name: str) -> Any:
    """The parsed template ``name`` (``job.yaml``, ``configmap.yaml``) of ``template_dir``."""
    path = Path(template_dir) if template_dir else DEFAULT_TEMPLATE_DIR
    file = path / name
    if not file.is_file():
        raise ConfigError(
            f"The 'hydra.launcher.templates' directory must hold {name}. Got {str(path)!r}, "
            f"where {file} does not exist."
        )
    return _parsed(str(file.absolute()), file.stat().st_mtime)


def fill(template: Any, values: dict[str, Any], *, source: str = "template") -> Any:
    """A copy of ``template`` with every placeholder replaced from ``values``."""
    result = _fill(template, values, source)
    return None if result is _DROP else result


def _fill(node: Any, values: dict[str, Any], source: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, child in node.items():
            filled = _fill(child, values, source)
            if filled is not _DROP:
                out[key] = filled
        return out
    if isinstance(node, list):
        return [f for f in (_fill(child, values, source) for child in node) if f is not _DROP]
    if isinstance(node, str):
        whole = _WHOLE.match(node)
        if whole:
            value = _lookup(values, whole.group(1), source)
            return _DROP if value is None else copy.deepcopy(value)
        if "{{" in node:
            return _INNER.sub(lambda m: str(_lookup(values, m.group(1), source)), node)
    return node


def _lookup(values: dict[str, Any], name: str, source: str) -> Any:
    if name not in values:
        raise ConfigError(
            f"The Kubernetes template {source} uses the placeholder {{{{ {name} }}}}, which "
            f"must be one of {sorted(values)}. Got {name!r}."
        )
    return values[name]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe dumper that never writes anchors or aliases (each object is written in full)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(objects: list[dict[str, Any]]) -> str:
    """Multi-document YAML (``---`` between objects), as ``kubectl apply -f`` reads it."""
    return yaml.dump_all(
        objects, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=False
    )
