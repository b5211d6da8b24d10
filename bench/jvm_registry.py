"""What the JVM registry costs: LiveModel vs Bundle scoring, while flipping, and swap latency.

    .venv/bin/python bench/jvm_registry.py [--case fraud_v3_xgb_classifier] [--rounds 5]

Builds jvm/ and runs bench/jvm_registry/RegistryBench.java (java source-file mode) on a
committed test-vector bundle, copied into a temporary artifact root with a registry pointer.
It prints rows/s of ``LiveModel.score`` against ``Bundle.score`` on the same bundle in the same
run (steady, and while a thread flips the pointer), ``ModelRegistry.resolve`` against
``Bundle.load``, and the delay from a pointer write to the swap. Needs java and mvn.
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", default="fraud_v3_xgb_classifier")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flip-ms", type=int, default=50)
    args = parser.parse_args()
    case = ROOT / "jvm/src/test/resources/vectors" / args.case
    if not (case / "bundle").is_dir():
        raise SystemExit(f"no test-vector case {args.case!r} under {case.parent}")
    with tempfile.TemporaryDirectory(prefix="railyard-bench-") as tmp:
        classpath = jvm_classpath(Path(tmp))
        cmd = [
            "java",
            "-cp",
            classpath,
            str(ROOT / "bench/jvm_registry/RegistryBench.java"),
            str(case),
            str(args.rounds),
            str(args.flip_ms),
        ]
        subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
