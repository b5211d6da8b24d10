"""What routing costs on the JVM (issue 13): a routed composition of N member bundles against
the single member a row routes to, and the time to load it.

    .venv/bin/python bench/compose_jvm.py [--members 1000] [--rounds 5]

Fits the fraud_v3 logistic-regression pipeline and the XGBoost one of the shared test
vectors, exports the first as N distinct member bundles (one per merchant, distinct content
hashes) and the second as the fallback, writes the composition bundle
(railyard_batch/bundle/composite.py), and runs bench/compose_jvm/CompositeBench.java (java
source-file mode) which prints ns/row of CompositeBundle.score against Bundle.score of a
member on the same rows, in the same run, and the load times. Needs java and mvn.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import jvm_classpath  # noqa: E402
from railyard_batch.bundle.composite import write_composite  # noqa: E402
from railyard_batch.bundle.export import export_bundle  # noqa: E402
from railyard_batch.bundle.jsonl import frame_to_jsonl  # noqa: E402
from railyard_batch.bundle.vector_cases import CASES, fit_case, holdout_frame  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    member_case = next(c for c in CASES if c.name == "fraud_v3_logistic_regression")
    fallback_case = next(c for c in CASES if c.name == "fraud_v3_xgb_classifier")
    member_pipe, inputs = fit_case(member_case)
    fallback_pipe, _ = fit_case(fallback_case)
    values = [f"m{i:05d}" for i in range(args.members)]
    rows = holdout_frame(2000, 5, True)
    rows = rows[rows["merchant_id"].notna()].head(1000)
    with tempfile.TemporaryDirectory(prefix="railyard-bench-") as tmp:
        work = Path(tmp)
        fallback = export_bundle(
            fallback_pipe, work / "fallback", model_name="global", input_schema=inputs
        ).path
        members = []
        for value in values:  # distinct model names: distinct bundles, none deduplicated
            bundle = export_bundle(
                member_pipe, work / "members" / value, model_name=value, input_schema=inputs
            )
            members.append((value, bundle.path))
        composite, _ = write_composite(
            work,
            dir_name="routed",
            model_name="bench/routed",
            run_id=None,
            kind="route",
            member_weight=1.0,
            route_by="merchant_id",
            route_by_type="string",
            fallback=fallback,
            routes=members,
        )
        (work / "one.jsonl").write_text(frame_to_jsonl(rows.assign(merchant_id=values[0])))
        spread = [values[i % len(values)] for i in range(len(rows))]
        (work / "spread.jsonl").write_text(frame_to_jsonl(rows.assign(merchant_id=spread)))
        classpath = jvm_classpath(work)
        subprocess.run(
            [
                "java",
                "-cp",
                classpath,
                str(ROOT / "bench/compose_jvm/CompositeBench.java"),
                str(composite),
                str(members[0][1]),
                str(work / "one.jsonl"),
                str(work / "spread.jsonl"),
                str(args.rounds),
            ],
            check=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
