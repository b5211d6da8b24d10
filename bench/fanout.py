"""Fan-out: N per-merchant LogisticRegression models on the 1M-row dataset, recorded with
artifacts and metrics, against a hand-written single-process loop (pandas groupby +
scikit-learn fit + predict, nothing written) over the same data, in the same run.

    .venv/bin/python -m bench.fanout [--members 1000] [--data data/transactions.parquet]

Target (issue 2): railyard wall time <= 1.0x the loop's.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from bench._common import REPO, members_by_state, run_cli, scratch_project

NUMERIC = ["amount", "hour", "account_age_days", "prev_txn_24h"]
CATEGORICAL = ["country", "card_brand", "channel"]


def hand_written_loop(data: Path, members: int) -> tuple[float, int]:
    """What a data scientist would write: one process, groupby, fit, predict."""
    start = time.perf_counter()
    df = pd.read_parquet(
        data, columns=[*NUMERIC, *CATEGORICAL, "merchant_id", "timestamp", "is_fraud"]
    )
    top = df["merchant_id"].value_counts().index[:members]
    fitted = 0
    for _, group in df[df["merchant_id"].isin(top)].groupby("merchant_id", sort=False):
        group = group.sort_values("timestamp")
        cut = int(len(group) * 0.8)
        train, holdout = group.iloc[:cut], group.iloc[cut:]
        if train["is_fraud"].nunique() < 2:
            continue
        model = Pipeline(
            [
                (
                    "preprocess",
                    ColumnTransformer(
                        [
                            (
                                "num",
                                Pipeline(
                                    [
                                        ("impute", SimpleImputer(strategy="median")),
                                        ("scale", StandardScaler()),
                                    ]
                                ),
                                NUMERIC,
                            ),
                            (
                                "cat",
                                Pipeline(
                                    [
                                        (
                                            "impute",
                                            SimpleImputer(
                                                strategy="constant", fill_value="missing"
                                            ),
                                        ),
                                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                                    ]
                                ),
                                CATEGORICAL,
                            ),
                        ]
                    ),
                ),
                ("model", LogisticRegression(C=1.0, max_iter=500)),
            ]
        )
        model.fit(train[NUMERIC + CATEGORICAL], train["is_fraud"])
        model.predict_proba(holdout[NUMERIC + CATEGORICAL])
        fitted += 1
    return time.perf_counter() - start, fitted


def railyard(data: Path, members: int) -> tuple[float, dict[str, int]]:
    root = scratch_project(data)
    elapsed = run_cli(
        root,
        "estimator=logistic_regression",
        "fanout.by=merchant_id",
        "fanout.min_rows=1",
        f"fanout.max_members={members}",
        "fanout.include_global=false",
        "split.strategy=time",
        "split.time_column=timestamp",
        "execution.progress=false",
    )
    return elapsed, members_by_state(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "transactions.parquet")
    args = parser.parse_args()
    loop_s, fitted = hand_written_loop(args.data, args.members)
    ours_s, states = railyard(args.data, args.members)
    print(f"hand-written loop : {loop_s:8.2f} s  ({fitted} models fitted, nothing written)")
    print(f"railyard-batch    : {ours_s:8.2f} s  (members {states}; CLI start included)")
    print(f"ratio railyard/loop: {ours_s / loop_s:.2f}x  (target <= 1.0x)")
    print(
        f"per member: loop {1000 * loop_s / max(fitted, 1):.1f} ms, "
        f"railyard {1000 * ours_s / max(sum(states.values()), 1):.1f} ms"
    )


if __name__ == "__main__":
    main()
