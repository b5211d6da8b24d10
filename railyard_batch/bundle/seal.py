"""The seal over a bundle: every byte that affects a score is covered by its content hash.

The manifest's ``sealed`` maps each of its other fields (all but ``content_hash`` and
``sealed`` itself) to the sha256 of that field's canonical JSON (:func:`canonical_json`,
compact); the step documents are covered through the ``documents`` field, which holds
their sha256. ``content_hash`` is the sha256 over ``name \\0 digest \\n`` for the sealed
fields sorted by name. A reader recomputes each digest, so a change names the field
(or the document) that no longer matches: :func:`verify_bundle` here, ``Bundle.load`` in
the JVM (docs/bundle-format.md, "Sealing").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import BundleError, BundleIntegrityError

FORMAT_NAME = "railyard-bundle"
# 2: None and NaN kept apart in string columns (manifest input_schema.missing, issue 17)
# 3: the manifest is sealed (``sealed``; content_hash covers every manifest field, issue 17)
FORMAT_VERSION = 3
UNSEALED = ("content_hash", "sealed")

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "BundleIntegrityError",
    "canonical_json",
    "seal",
    "verify_bundle",
]


def canonical_json(doc: Any, indent: int | None = None) -> bytes:
    """Sorted keys, ASCII, no NaN: the same document always gives the same bytes."""
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(
        doc,
        sort_keys=True,
        ensure_ascii=True,
        allow_nan=False,
        indent=indent,
        separators=separators,
    )
    return (text + "\n").encode("ascii")


def field_digest(value: Any) -> str:
    """sha256 hex of a manifest field's compact canonical JSON (no trailing newline)."""
    return hashlib.sha256(canonical_json(value)[:-1]).hexdigest()


def combined_hash(digests: Mapping[str, str]) -> str:
    """``"sha256:"`` + sha256 over ``name \\0 digest \\n`` for the entries sorted by name."""
    h = hashlib.sha256()
    for name in sorted(digests):
        h.update(f"{name}\0{digests[name]}\n".encode())
    return "sha256:" + h.hexdigest()


def seal(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """``manifest`` with ``sealed`` and ``content_hash`` added (both computed, never given)."""
    fields = {k: v for k, v in manifest.items() if k not in UNSEALED}
    sealed = {k: field_digest(v) for k, v in sorted(fields.items())}
    return {**fields, "sealed": sealed, "content_hash": combined_hash(sealed)}


def verify_bundle(bundle_dir: str | Path) -> dict[str, Any]:
    """Read a bundle's manifest and check it against its seal; returns the manifest.

    Raises :class:`BundleIntegrityError` naming the field or document that does not
    match, or the other :class:`BundleError` for a bundle this version cannot read.
    """
    root = Path(bundle_dir)
    try:
        manifest = json.loads((root / "manifest.json").read_bytes())
    except (OSError, ValueError) as err:
        raise BundleError(f"Cannot read {root / 'manifest.json'}: {err}") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BundleError(f"{root} is not a railyard bundle (manifest 'format').")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(
            f"Bundle format_version {manifest.get('format_version')!r} is not supported "
            f"(this reader reads {FORMAT_VERSION}). Re-export the model with the current "
            "railyard_batch."
        )
    sealed = manifest.get("sealed")
    if not isinstance(sealed, dict) or not all(isinstance(v, str) for v in sealed.values()):
        raise BundleIntegrityError("The manifest has no valid 'sealed' field.")
    fields = {k: v for k, v in manifest.items() if k not in UNSEALED}
    unsealed = sorted(set(fields) - set(sealed))
    if unsealed:
        raise BundleIntegrityError(f"Manifest field(s) {unsealed} are not sealed.")
    absent = sorted(set(sealed) - set(fields))
    if absent:
        raise BundleIntegrityError(f"Sealed manifest field(s) {absent} are missing.")
    for name in sorted(fields):
        if field_digest(fields[name]) != sealed[name]:
            raise BundleIntegrityError(
                f"Manifest field '{name}' does not match its sha256 in 'sealed'."
            )
    if combined_hash(sealed) != manifest.get("content_hash"):
        raise BundleIntegrityError("The bundle's content_hash does not match its 'sealed' digests.")
    documents = fields.get("documents")
    if not isinstance(documents, dict):
        raise BundleIntegrityError("Manifest field 'documents' must map file names to sha256.")
    for name, digest in sorted(documents.items()):
        path = root / name
        if not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
            raise BundleIntegrityError(f"Document {name} is missing from the bundle.")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise BundleIntegrityError(
                f"Document {name} does not match its sha256 in the manifest."
            )
    return manifest
