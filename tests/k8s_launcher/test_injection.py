"""Injection safety: a member id, a param value, an override or an annotation holding quotes,
newlines, ``{{``, ``: ``, ``$(...)`` or YAML anchors never changes a manifest's structure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from railyard_batch.execution.kubernetes import (
    KubernetesSettings,
    render_sweep,
    to_yaml,
    validate_object,
)
from tests.k8s_launcher.plans import make_plan

CLASSES = str(Path(__file__).resolve().parents[2] / "conf" / "kubernetes" / "instance_classes.yaml")
PAYLOADS = [
    "'",
    '"',
    "\n",
    "\r\n",
    "{{ name }}",
    "{{ image }}",
    "}}",
    ": ",
    "- ",
    "$(rm -rf /)",
    "`id`",
    "&anchor",
    "*anchor",
    "<<: *a",
    "!!python/object:os.system",
    "---",
    "...",
    "#",
    "\\",
    "\t",
    "%YAML 1.1",
    "{",
    "[",
    "null",
    "~",
    "true",
    "0x1F",
    "1e3",
    "\u2028",
    "\x85",
    "\ufeff",
]
hostile = st.lists(
    st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=8)), min_size=1, max_size=6
).map("".join)


def shape(node: Any) -> Any:
    """The structure of a manifest: its keys and list lengths, with every leaf as its type."""
    if isinstance(node, dict):
        return {k: shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [shape(v) for v in node]
    return type(node).__name__


def render(keys: list[str], override: str, experiment: str, note: str) -> list[dict[str, Any]]:
    plan = make_plan(keys=keys, overrides=[override, "x=1"], experiment=experiment, shards=2)
    plan.config["params"] = {"note": note}
    s = KubernetesSettings(
        instance_classes=CLASSES,
        pod_annotations={"team.example/note": note},
        pod_labels={"team.example/cost": "a"},
        queue=f"q{note}",
    )
    (run,) = render_sweep([plan], s, namespace="ns")
    return run.objects


BASELINE = None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keys=st.lists(hostile, min_size=2, max_size=4, unique=True),
    override=hostile,
    experiment=hostile,
    note=hostile,
)
def test_hostile_values_never_change_the_structure(
    keys: list[str], override: str, experiment: str, note: str
) -> None:
    global BASELINE
    if BASELINE is None:
        BASELINE = [shape(o) for o in render(["a", "b"], "o=1", "e", "n")]
    objects = render(["__global__", *keys], override, experiment, note)
    text = to_yaml(objects)
    parsed = list(yaml.safe_load_all(text))
    # What a cluster (or kubectl) reads back is exactly what was rendered ...
    assert parsed == objects
    # ... with the same keys and list lengths as for harmless values ...
    assert [shape(o) for o in parsed] == BASELINE
    # ... and every value where it was put.
    job = parsed[0]
    assert job["spec"]["template"]["metadata"]["annotations"]["team.example/note"] == note
    assert job["metadata"]["annotations"]["railyard.dev/experiment"] == experiment
    assert json.loads(job["metadata"]["annotations"]["railyard.dev/overrides"]) == [override, "x=1"]
    plan = json.loads(parsed[1]["data"]["plan.json"])
    assert [m["key"] for m in plan["members"]] == ["__global__", *keys]
    for obj in parsed:
        validate_object(obj)
