"""Shared test vectors: Python writes bundles, inputs and its own outputs; the JVM tests reproduce them.

Layout, one directory per case (see ``vector_cases.CASES``)::

    <out>/<case>/bundle/          the exported bundle
    <out>/<case>/input.jsonl      holdout rows (null = missing)
    <out>/<case>/expected.jsonl   {"label": ..., "scores_bits": ["<16 hex digits>", ...]} per row,
                                  or {"refused": "ValueError: ..."} where scikit-learn raises
    <out>/<case>/case.json        {"exact": bool, "tolerance": float}

Regenerate (the committed copy lives in jvm/src/test/resources/vectors)::

    python -m railyard_batch.bundle.vectors jvm/src/test/resources/vectors

It also writes ``libm_expf.tsv`` and ``libm_exp.tsv`` beside the cases: glibc expf and exp
values the JVM's float32 exp (the XGBoost sigmoid) and float64 exp (scipy's expit, as in
HistGradientBoosting) must reproduce bit for bit.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .composite import composite_outcomes, write_composite
from .export import export_bundle
from .jsonl import frame_to_jsonl
from .python_scores import python_outcomes
from .seal import canonical_json
from .vector_cases import (
    CASES,
    COMPOSITE_CASES,
    COMPOSITE_ROUTE_BY,
    Case,
    CompositeCase,
    case_holdout,
    fit_case,
    fit_composite_members,
    holdout_frame,
)

HOLDOUT_ROWS = 150
HOLDOUT_SEED = 7
# escapes, non-ASCII, a surrogate pair and DEL: the JVM's canonical JSON of the sealed
# manifest must give Python's bytes for them
RUN_ID = 'vectors "q" \\ \t \u00e9 \u2028 \U0001f600 \x7f'


def bits(value: float) -> str:
    """The IEEE-754 bit pattern of a float64 as 16 hex digits."""
    return f"{np.float64(value).view(np.uint64):016x}"


def from_bits(hex_digits: str) -> float:
    return float(np.uint64(int(hex_digits, 16)).view(np.float64))


def expected_lines(
    labels: list[Any] | None, scores: np.ndarray, refused: list[str | None] | None = None
) -> str:
    """One line per row: label and score bits, or ``{"refused": message}`` where Python raised."""
    lines = []
    for i in range(scores.shape[0]):
        if refused is not None and refused[i] is not None:
            lines.append(json.dumps({"refused": refused[i]}))
            continue
        row = {
            "label": None if labels is None else labels[i],
            "scores_bits": [bits(s) for s in scores[i]],
        }
        lines.append(json.dumps(row))
    return "\n".join(lines) + "\n"


def write_case(case: Case, out: Path) -> None:
    pipeline, inputs = fit_case(case)
    holdout = case_holdout(case, HOLDOUT_ROWS, HOLDOUT_SEED)
    labels, scores, refused = python_outcomes(pipeline, holdout)
    directory = out / case.name
    export_bundle(
        pipeline, directory / "bundle", model_name=case.name, input_schema=inputs, run_id=RUN_ID
    )
    (directory / "input.jsonl").write_text(frame_to_jsonl(holdout))
    (directory / "expected.jsonl").write_text(expected_lines(labels, scores, refused))
    (directory / "case.json").write_bytes(
        canonical_json({"exact": case.exact, "tolerance": case.tolerance}, indent=2)
    )


def write_composite_cases(cases: list[CompositeCase], out: Path) -> None:
    """Composition cases: ``bundle/`` is a composition bundle (``bundle/composite.py``) of a
    global model and three merchants' models, the expected rows what Python composes."""
    if not cases:
        return
    fallback, members, inputs = fit_composite_members()
    holdout = holdout_frame(HOLDOUT_ROWS, HOLDOUT_SEED, unseen=True)
    scratch = out / ".composite-members"
    member_dirs = {}
    for name, pipeline in [("global", fallback), *members.items()]:
        member_dirs[name] = export_bundle(
            pipeline,
            scratch / name,
            model_name=f"composite.{name}",
            input_schema=inputs,
            run_id=RUN_ID,
        ).path
    for case in cases:
        directory = out / case.name
        directory.mkdir()
        path, _ = write_composite(
            directory,
            dir_name="bundle",
            model_name=case.name,
            run_id=RUN_ID,
            kind=case.kind,
            member_weight=case.member_weight,
            route_by=COMPOSITE_ROUTE_BY,
            route_by_type="string",
            fallback=member_dirs["global"],
            routes=[(m, member_dirs[m]) for m in members],
            stack=case.stack,
        )
        path.rename(directory / "bundle")
        labels, scores, refused = composite_outcomes(
            fallback,
            members,
            holdout,
            route_by=COMPOSITE_ROUTE_BY,
            kind=case.kind,
            member_weight=case.member_weight,
            stack=case.stack,
        )
        (directory / "input.jsonl").write_text(frame_to_jsonl(holdout))
        (directory / "expected.jsonl").write_text(expected_lines(labels, scores, refused))
        # a stack goes through numpy's log and exp (its own SIMD code, not glibc's, which
        # Float64Exp reproduces): Java's may differ in the last bit
        exact = case.stack is None
        (directory / "case.json").write_bytes(
            canonical_json({"exact": exact, "tolerance": 0.0 if exact else 1e-12}, indent=2)
        )
    shutil.rmtree(scratch)


def generate_vectors(
    out_dir: str | Path,
    cases: list[Case] | None = None,
    composite_cases: list[CompositeCase] | None = None,
) -> list[str]:
    """(Re)write every case under ``out_dir`` (the composition cases too, unless ``cases``
    picks some); returns the case names."""
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    selected = CASES if cases is None else cases
    for case in selected:
        write_case(case, out)
    composites = (
        (COMPOSITE_CASES if cases is None else []) if composite_cases is None else composite_cases
    )
    write_composite_cases(composites, out)
    return [c.name for c in selected] + [c.name for c in composites]


def _libm(name: str, c_type: Any) -> Any:
    """The C library's one-argument function ``name`` taking and giving ``c_type``."""
    import ctypes
    import ctypes.util

    function = getattr(ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6"), name)
    function.restype = c_type
    function.argtypes = [c_type]
    return function


def libm_expf_lines(n: int = 20000, seed: int = 0) -> str:
    """``x<TAB>expf(x)`` as float32 bit patterns, from the C library XGBoost calls (Linux glibc).

    Includes inputs where glibc's expf is not the correctly rounded float, so a Java
    expf that is merely accurate fails the JVM test that reads these lines.
    """
    import ctypes

    expf = _libm("expf", ctypes.c_float)
    rng = np.random.default_rng(seed)
    xs = np.concatenate(
        [
            rng.normal(0, 3, n // 2),
            rng.uniform(-104, 89, n // 2),
            [32.564632, 0.0, -0.0, 88.7, 88.72284, -103.97, -104.0, 1e-30, -87.3],
        ]
    ).astype(np.float32)
    lines = []
    for x in xs:
        y = np.float32(expf(float(x)))
        lines.append(f"{x.view(np.uint32):08x}\t{y.view(np.uint32):08x}")
    return "\n".join(lines) + "\n"


# Inputs where glibc's exp (its FMA build) is not what a near variant gives: a k = x·128/ln2
# rounded without a fused multiply-add, the polynomial or the last step unfused, the
# large-|x| path fused; each misses libm on these (found on 7.3 million inputs).
HARD_EXP_INPUTS = [
    "-0x1.1fe0cb666a809p7",
    "0x1.69703796065abp7",
    "0x1.a77a4c69422c8p8",
    "-0x1.cdb160b6af2ap8",
    "0x1.b82e52ccd50b7p6",
    "-0x1.a8dd309931d02p8",
    "-0x1.210e5045249a1p8",
    "0x1.c7f80af7b2ac8p4",
    "0x1.33350f75d128p5",
    "-0x1.e3052438fec7cp3",
    "-0x1.3235f9041ecp5",
    "0x1.0191bd1d34becp-1",
    "-0x1.c8cc38211346ep-1",
    "0x1.cab99449fb6c8p8",
    "0x1.7c389dae729bp8",
    "0x1.3f7fd7826168cp5",
    "-0x1.f6ff6c92d69f6p4",
    "-0x1.f5b6497ad96ecp4",
    "0x1.7cfbc32763538p3",
    "0x1.14327c570448ap4",
    "-0x1.c7fd90946725cp4",
    "-0x1.df1b38a79d466p4",
    "0x1.6dd71c9228978p4",
    "-0x1.37ffb7b485034p9",
    "-0x1.4cf3db3b1cb0bp9",
    "-0x1.4e805d2cd356cp9",
    "-0x1.269f97e12f458p9",
    "-0x1.407cb51bb53c3p9",
    "-0x1.5dcc381fd4af4p9",
    "-0x1.0004b685ff45p9",
    "-0x1.1216b656ddfb9p9",
]


def libm_exp_lines(n: int = 20000, seed: int = 0) -> str:
    """``x<TAB>exp(x)`` as float64 bit patterns, from the C library scipy's expit calls (glibc).

    Logit-sized inputs, the whole range, overflow and subnormal results, both sides of
    |x| = 512 (where glibc rescales), ties of x·128/ln2, random bit patterns and
    :data:`HARD_EXP_INPUTS`: a Java exp that is merely accurate (Math.exp misses about 1
    in 500) or that fuses other operations than glibc fails the JVM test reading them.
    """
    import ctypes

    exp = _libm("exp", ctypes.c_double)
    rng = np.random.default_rng(seed)
    ties = (rng.integers(-5000, 5000, n // 8) + 0.5) * (np.log(2) / 128)
    patterns = rng.integers(0, 2**64, n // 16, dtype=np.uint64).view(np.float64)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.0**-54, -(2.0**-54)]
    special += [709.782712893384, 709.7827128933841, -708.3964185322641, -708.39641853226]
    special += [-745.1332191019411, -745.1332191019412, 512.0, -512.0, 1024.0, -1024.0]
    special += [1.7976931348623157e308, -1.7976931348623157e308]
    xs = np.concatenate(
        [
            rng.normal(0, 4, n // 4),
            rng.uniform(-40, 40, n // 4),
            rng.uniform(-745.2, 709.8, n // 8),
            rng.uniform(700, 709.8, n // 16),
            rng.uniform(-745.2, -708.3, n // 16),  # subnormal results
            rng.uniform(-530, -500, n // 32),
            rng.uniform(500, 530, n // 32),
            ties,
            patterns[~np.isnan(patterns)],  # NaN payloads are the platform's, not exp's
            special,
            [float.fromhex(h) for h in HARD_EXP_INPUTS],
        ]
    )
    return "".join(f"{bits(x)}\t{bits(exp(x))}\n" for x in xs.tolist())


def python_repr_lines(n: int = 5000, seed: int = 0) -> str:
    """``<16 hex digits of a float64><TAB>json.dumps(value)``: the float text the seal hashes."""
    rng = np.random.default_rng(seed)
    bits_ = rng.integers(0, 2**63, n, dtype=np.int64).view(np.float64)
    decimals = 10.0 ** rng.uniform(-8, 20, n) * rng.choice([-1.0, 1.0], n)
    fixed = [0.0, -0.0, 1.0, 0.1, 1e-4, 9.999e-5, 1e-5, 1e15, 1e16, 123456789012345678.0]
    fixed += [5e-324, 1.7976931348623157e308, 2.0**-1074, 0.3, 2.5, 1e22, 1e23]
    values = [float(v) for v in np.concatenate([bits_, decimals, fixed]) if np.isfinite(v)]
    return "\n".join(f"{bits(v)}\t{json.dumps(v)}" for v in values) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m railyard_batch.bundle.vectors OUT_DIR", file=sys.stderr)
        return 2
    names = generate_vectors(argv[0])
    (Path(argv[0]).parent / "libm_expf.tsv").write_text(libm_expf_lines())
    (Path(argv[0]).parent / "libm_exp.tsv").write_text(libm_exp_lines())
    (Path(argv[0]).parent / "python_float_repr.tsv").write_text(python_repr_lines())
    print(
        f"wrote {len(names)} cases to {argv[0]}; libm_expf.tsv, libm_exp.tsv and "
        "python_float_repr.tsv beside it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
