"""A composition of a run's members as one bundle (``railyard_batch.bundle.composite``), and
its parity gate on the rows the composition was evaluated on.

Each member's bundle is the one its training exported (``export.bundle=true``), checked
against the content hash the member recorded; a member trained without one is exported now.
The bundle directory is named by its content hash and never rewritten, so a registered
version keeps pointing at the bytes it was registered with.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from railyard_batch.bundle.composite import route_type, write_composite
from railyard_batch.bundle.errors import BundleError
from railyard_batch.bundle.export import export_bundle
from railyard_batch.bundle.parity import DEFAULT_TOLERANCE, ParityResult, jvm_gate
from railyard_batch.bundle.seal import verify_bundle
from railyard_batch.compositions.evaluate import Scored
from railyard_batch.compositions.spec import Composition
from railyard_batch.recording.records import MemberRecord


@dataclass(frozen=True)
class CompositionBundle:
    path: Path
    content_hash: str
    members: int  # distinct member bundles in it
    routes: int


def _member_bundle(holdouts: Any, member: MemberRecord, scratch: Path) -> Path:
    """The member's single-model bundle: the recorded one, or one exported into ``scratch``."""
    export = member.export or {}
    recorded = export.get("bundle_path")
    if recorded and Path(recorded, "manifest.json").is_file():
        manifest = verify_bundle(recorded)
        if manifest["content_hash"] != export.get("content_hash"):
            raise BundleError(
                f"The bundle {recorded} of member {member.id!r} has content hash"
                f" {manifest['content_hash']}, but the member recorded"
                f" {export.get('content_hash')}: it changed after export."
            )
        return Path(recorded)
    rows, _ = holdouts.rows(member.id)
    out = Path(tempfile.mkdtemp(dir=scratch)) / "bundle"
    return export_bundle(
        holdouts.pipeline(member.id),
        out,
        model_name=member.id.replace("/", "."),
        input_schema=rows,
        run_id=member.run_id,
    ).path


def write_bundle(
    holdouts: Any, spec: Composition, scored: Scored, model_name: str, into: Path
) -> CompositionBundle:
    """Write the composition's bundle under ``into`` (``<name>-<12 hex>/``; kept if there)."""
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".members-", dir=into) as tmp:
        scratch = Path(tmp)
        fallback = _member_bundle(holdouts, scored.global_member, scratch)
        routes = [
            (value, _member_bundle(holdouts, member, scratch))
            for value, member in scored.routed.items()
        ]
        path, manifest = write_composite(
            into,
            dir_name=spec.name,
            model_name=model_name,
            run_id=scored.global_member.run_id,
            kind=spec.kind,
            member_weight=scored.member_weight,
            route_by=scored.by,
            route_by_type=route_type(scored.frame[scored.by]),
            fallback=fallback,
            routes=routes,
            stack=scored.stack,
        )
    return CompositionBundle(path, manifest["content_hash"], len(manifest["members"]), len(routes))


def parity_gate(
    scored: Scored, bundle_dir: Path, *, tolerance: float = DEFAULT_TOLERANCE
) -> ParityResult:
    """Score the composition's rows through the JVM scorer and compare with the scores its
    metrics were computed from: every row, the label (the class of the first maximal score)
    and each score."""
    labels = [scored.classes[i] for i in np.argmax(scored.proba, axis=1)]
    return jvm_gate(
        "jvm-composition", bundle_dir, scored.frame, labels, scored.proba, tolerance=tolerance
    )
