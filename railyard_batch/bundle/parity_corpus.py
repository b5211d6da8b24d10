"""A parity corpus that is not the project's own data (issue 17).

``railyard_batch.synthetic`` and ``vector_cases.fraud_frame`` make card transactions
(amount, hour, merchant/country/brand/channel, a fraud label). This generator makes
something else, so parity is not tuned to fraud_v3: subscription accounts with other
column names, other dtypes and other kinds and rates of missing values, each column
missing its own way:

| column | dtype | missing |
|---|---|---|
| ``usage_gb`` | float64, heavy-tailed (Student t, scaled), negatives | NaN 12% |
| ``latency_ms`` | ``Float64`` (nullable) | ``pd.NA`` 6% |
| ``logins_30d`` | ``Int64`` (nullable) | ``pd.NA`` 4% |
| ``is_annual`` | bool | none |
| ``plan`` | object, 9 categories (skewed) | ``None`` 7% |
| ``region`` | ``category`` dtype, 14 categories | NaN 3% |
| ``os`` | object, 5 categories | ``None`` and NaN, 5% each |

Targets: ``churned`` (binary), ``segment`` (3 classes), ``spend`` (regression). Seeds are
the caller's; the tests use seeds the fraud cases do not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC = ["usage_gb", "latency_ms", "logins_30d", "is_annual"]
CATEGORICAL = ["plan", "region", "os"]
TARGETS = {"label": "churned", "multiclass": "segment", "regression": "spend"}
PLANS = [f"plan-{c}" for c in "abcdefghi"]
PLAN_P = np.array([0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.02])
REGIONS = [f"r{i:02d}" for i in range(14)]
OSES = ["android", "ios", "windows", "macos", "linux"]


def corpus_frame(n: int, seed: int, *, unseen: bool = False) -> pd.DataFrame:
    """``n`` accounts (inputs and targets); ``unseen`` adds categories no training frame has."""
    rng = np.random.default_rng(seed)
    usage = np.round(rng.standard_t(3, n) * 40 + 60, 3)
    usage[rng.random(n) < 0.12] = np.nan
    latency = pd.array(np.round(rng.gamma(2.0, 35.0, n), 1), dtype="Float64")
    latency[rng.random(n) < 0.06] = pd.NA
    logins = pd.array(rng.poisson(9, n), dtype="Int64")
    logins[rng.random(n) < 0.04] = pd.NA
    plans = rng.choice(PLANS + (["plan-zz"] if unseen else []), n, p=_p(PLAN_P, unseen))
    regions = rng.choice(REGIONS, n).astype(object)
    oses = rng.choice(OSES + (["beos"] if unseen else []), n).astype(object)
    frame = pd.DataFrame(
        {
            "usage_gb": usage,
            "latency_ms": latency,
            "logins_30d": logins,
            "is_annual": rng.random(n) < 0.35,
            "plan": pd.Series(plans, dtype=object),
            "region": pd.Series(regions, dtype=object),
            "os": pd.Series(oses, dtype=object),
        }
    )
    frame.loc[rng.random(n) < 0.07, "plan"] = None
    frame.loc[rng.random(n) < 0.03, "region"] = np.nan
    frame["region"] = frame["region"].astype("category")
    roll = rng.random(n)
    frame.loc[roll < 0.05, "os"] = None
    frame.loc[(roll >= 0.05) & (roll < 0.10), "os"] = np.nan
    u = np.nan_to_num(usage, nan=50.0)
    lat = latency.to_numpy(dtype=np.float64, na_value=70.0)
    logit = (
        -0.01 * u + 0.008 * lat - 0.6 * frame["is_annual"].to_numpy() + 0.5 * (plans == "plan-a")
    )
    frame["churned"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    frame["segment"] = np.where(u > 90, "heavy", np.where(u > 30, "regular", "light"))
    frame["spend"] = 0.4 * u + 0.05 * lat + 12 * frame["is_annual"] + rng.normal(0, 3, n)
    return frame


def corpus_inputs(n: int, seed: int, *, unseen: bool = True) -> pd.DataFrame:
    """Holdout inputs: random accounts plus edge rows (every column missing, extremes)."""
    frame = corpus_frame(n, seed, unseen=unseen).drop(columns=list(TARGETS.values()))
    edges = pd.DataFrame(
        {
            "usage_gb": [np.nan, -1e300, 1e300, 0.0, -0.0, 5e-324, np.inf],
            "latency_ms": pd.array([pd.NA, 0.0, 1e30, pd.NA, 1.0, 2.0, 3.0], dtype="Float64"),
            "logins_30d": pd.array([pd.NA, 0, 2**40, pd.NA, 1, 2, 3], dtype="Int64"),
            "is_annual": [False, True, False, True, False, True, False],
            "plan": pd.Series(
                [None, "plan-a", "plan-b", np.nan, "PLAN-A", "", "plan-c"], dtype=object
            ),
            "region": pd.Categorical([np.nan, "r00", "r13", "r01", "r02", "r03", "r04"]),
            "os": pd.Series(
                [None, np.nan, "ios", "android", "iOS", "linux", "macos"], dtype=object
            ),
        }
    )
    out = pd.concat([frame, edges], ignore_index=True)
    out["region"] = out["region"].astype(object).astype("category")
    return out


def _p(p: np.ndarray, unseen: bool) -> np.ndarray:
    if not unseen:
        return p
    q = np.append(p, 0.02)
    return q / q.sum()
