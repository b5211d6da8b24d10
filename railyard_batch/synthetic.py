"""A synthetic card-transactions dataset for the fraud example and the tests.

Deterministic from its seed: a few thousand merchants with heavy-tailed sizes, a timestamp,
amounts, categorical fields with missing values, and a fraud rate near 1.5% that depends on
the features (and on a per-merchant risk), so per-merchant and global models have something
real to learn. ``python -m railyard_batch.synthetic --help`` is the DVC stage's command.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

COUNTRIES = np.array(["US", "GB", "DE", "FR", "BR", "IN", "NG", "RU"])
COUNTRY_P = np.array([0.45, 0.12, 0.1, 0.09, 0.08, 0.08, 0.04, 0.04])
RISKY_COUNTRIES = {"NG", "RU", "BR"}
BRANDS = np.array(["visa", "mastercard", "amex", "discover"])
BRAND_P = np.array([0.55, 0.3, 0.1, 0.05])
CHANNELS = np.array(["pos", "web", "app", "moto"])
CHANNEL_P = np.array([0.45, 0.3, 0.2, 0.05])
START = np.datetime64("2025-01-01T00:00:00", "s")
SECONDS_PER_YEAR = 365 * 24 * 3600


def generate(
    rows: int, merchants: int, seed: int, fraud_rate: float = 0.015, size_sigma: float = 1.6
) -> pd.DataFrame:
    """Build the dataset in memory: one row per transaction, sorted by timestamp.
    ``size_sigma`` sets how heavy-tailed merchant sizes are (log-normal weights)."""
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(mean=0.0, sigma=size_sigma, size=merchants)
    merchant = rng.choice(merchants, size=rows, p=weights / weights.sum())
    merchant_risk = rng.normal(0.0, 0.7, size=merchants)

    offsets = np.sort(rng.integers(0, SECONDS_PER_YEAR, size=rows))
    timestamp = START + offsets.astype("timedelta64[s]")
    hour = ((offsets // 3600) % 24).astype(np.int16)
    amount = rng.lognormal(mean=3.5, sigma=1.0, size=rows).round(2)
    country = rng.choice(COUNTRIES, size=rows, p=COUNTRY_P).astype(object)
    brand = rng.choice(BRANDS, size=rows, p=BRAND_P).astype(object)
    channel = rng.choice(CHANNELS, size=rows, p=CHANNEL_P).astype(object)
    account_age_days = rng.exponential(400.0, size=rows).round()
    prev_txn_24h = rng.poisson(1.2, size=rows).astype(np.int16)

    score = (
        0.55 * (np.log(amount) - 3.5)
        + 0.9 * (hour < 6)
        + 1.1 * (channel == "moto")
        + 0.4 * (channel == "web")
        + 0.7 * np.isin(country, list(RISKY_COUNTRIES))
        + 0.35 * prev_txn_24h
        - 0.45 * np.log1p(account_age_days / 30.0)
        + merchant_risk[merchant]
    )
    intercept = _intercept_for_rate(score, fraud_rate)
    is_fraud = (rng.random(rows) < _sigmoid(intercept + score)).astype(np.int8)

    # Missing values are applied after the label: the label saw the true values.
    amount[rng.random(rows) < 0.03] = np.nan
    account_age_days[rng.random(rows) < 0.05] = np.nan
    country[rng.random(rows) < 0.02] = None
    brand[rng.random(rows) < 0.01] = None

    return pd.DataFrame(
        {
            "transaction_id": np.arange(rows, dtype=np.int64),
            "timestamp": timestamp,
            "merchant_id": np.char.add("m", np.char.zfill(merchant.astype(str), 5)).astype(object),
            "amount": amount,
            "hour": hour,
            "country": country,
            "card_brand": brand,
            "channel": channel,
            "account_age_days": account_age_days,
            "prev_txn_24h": prev_txn_24h,
            "is_fraud": is_fraud,
        }
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _intercept_for_rate(score: np.ndarray, rate: float) -> float:
    """Bisect the intercept so that the mean fraud probability equals ``rate``."""
    low, high = -30.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2.0
        if _sigmoid(mid + score).mean() > rate:
            high = mid
        else:
            low = mid
    return (low + high) / 2.0


def write(df: pd.DataFrame, out: Path) -> None:
    """Write parquet (or csv by suffix) through a temporary name, so a crash leaves no stub."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if out.suffix == ".csv":
        df.to_csv(tmp, index=False)
    else:
        table = pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(table, tmp, row_group_size=131_072, compression="zstd")
    tmp.replace(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--merchants", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fraud-rate", type=float, default=0.015)
    parser.add_argument(
        "--size-sigma", type=float, default=1.6, help="spread of merchant sizes (log-normal sigma)"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write(
        generate(args.rows, args.merchants, args.seed, args.fraud_rate, args.size_sigma), args.out
    )


if __name__ == "__main__":
    main()
