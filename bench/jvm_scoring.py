"""Throughput of the JVM scorer vs onnxruntime-java on the fraud_v3 XGBoost pipeline.

    .venv/bin/python bench/jvm_scoring.py [--train 20000] [--rows 20000] [--batch 1000]
        [--rounds 5] [--warmup 1]

Trains the fraud_v3 XGBClassifier pipeline on synthetic rows, exports it as a bundle and
as ONNX, prints both routes' parity with Python, then runs
bench/jvm_scoring (Java) which prints rows/s of railyard-scorer and onnxruntime-java,
single thread, one row per call and batched, with their ratio: best of --rounds timed
rounds, after --warmup untimed ones per mode (the JIT compiles once-per-batch code late).
Needs java, mvn, skl2onnx, onnxmltools, onnxruntime.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from railyard_batch.bundle import export_bundle, parity_gate  # noqa: E402
from railyard_batch.bundle.jsonl import frame_to_jsonl  # noqa: E402
from railyard_batch.bundle.onnx_export import export_onnx, onnx_parity_gate  # noqa: E402
from railyard_batch.bundle.vector_cases import CASES, fit_case, holdout_frame  # noqa: E402


def _mvn(*args: str) -> None:
    subprocess.run(["mvn", "-q", "-B", *args], check=True, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=int, default=20000)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()

    case = next(c for c in CASES if c.name == "fraud_v3_xgb_classifier")
    pipe, inputs = fit_case(case, n_train=args.train, seed=21)
    holdout = holdout_frame(args.rows, 22, True)
    with tempfile.TemporaryDirectory(prefix="railyard-bench-") as tmp:
        work = Path(tmp)
        export_bundle(pipe, work / "bundle", model_name="fraud_v3_xgb", input_schema=inputs)
        onnx_path = export_onnx(pipe, work / "model.onnx", input_schema=inputs)
        print("parity vs Python:", parity_gate(pipe, work / "bundle", holdout).to_dict())
        print(
            "parity vs Python:",
            onnx_parity_gate(pipe, onnx_path, holdout, input_schema=inputs).to_dict(),
        )
        rows = work / "rows.jsonl"
        rows.write_text(frame_to_jsonl(holdout))
        _mvn("-f", "jvm/pom.xml", "install", "-DskipTests")
        cp_file = work / "cp.txt"
        _mvn(
            "-f",
            "bench/jvm_scoring/pom.xml",
            "package",
            "dependency:build-classpath",
            f"-Dmdep.outputFile={cp_file}",
        )
        classpath = f"{ROOT / 'bench/jvm_scoring/target/classes'}:{cp_file.read_text().strip()}"
        cmd = [
            "java",
            "-cp",
            classpath,
            "dev.railyard.bench.JvmScoringBench",
            str(work / "bundle"),
            str(onnx_path),
            str(rows),
        ]
        subprocess.run([*cmd, str(args.batch), str(args.rounds), str(args.warmup)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
