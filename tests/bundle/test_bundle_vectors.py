"""The committed test vectors under jvm/src/test/resources/vectors are what the generator writes now."""

from __future__ import annotations

from pathlib import Path

from railyard_batch.bundle.vectors import generate_vectors

COMMITTED = Path(__file__).resolve().parents[2] / "jvm" / "src" / "test" / "resources" / "vectors"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_regenerating_vectors_gives_the_committed_files(tmp_path: Path) -> None:
    generate_vectors(tmp_path / "vectors")
    fresh = _files(tmp_path / "vectors")
    committed = _files(COMMITTED)
    assert sorted(fresh) == sorted(committed), (
        "case files differ; regenerate with python -m railyard_batch.bundle.vectors"
    )
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, (
        f"{len(changed)} vector files differ from the committed ones (first: {changed[:3]}); "
        "regenerate: python -m railyard_batch.bundle.vectors jvm/src/test/resources/vectors"
    )


def test_committed_libm_expf_vectors_match_this_libm() -> None:
    from railyard_batch.bundle.vectors import libm_expf_lines

    assert (COMMITTED.parent / "libm_expf.tsv").read_text() == libm_expf_lines()
