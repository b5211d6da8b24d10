"""The dataset a run plan recorded, read back: found by its md5 (DVC cache, remote), verified,
only the columns the run needs. Shared by the worker and by everything that rebuilds a
member's rows later (export, shadow, compose, reproduce); it imports no scikit-learn."""

from __future__ import annotations

from typing import Any

import pandas as pd

from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.planning.data import read_table
from railyard_batch.planning.dvc_objects import resolve
from railyard_batch.planning.plan import RunPlan


def read_plan_data(
    plan: RunPlan, vc: ValidatedConfig, values: list[Any] | None = None, *, use_threads: bool = True
) -> pd.DataFrame:
    """The columns the run needs from the dataset it recorded (found by md5, verified); only
    the rows of the fan-out ``values`` when given (pushed down to the reader). ``use_threads``:
    see :func:`railyard_batch.planning.data.read_table`."""
    data = plan.data
    path = resolve(
        data["path"],
        data["md5"],
        cache=data.get("cache") or None,
        remote=data.get("remote") or None,
    )
    by = vc.typed.fanout.by
    if by is None or values is None:
        return read_table(str(path), data["format"], vc.needed_columns(), use_threads=use_threads)
    return read_table(
        str(path),
        data["format"],
        vc.needed_columns(),
        filter_column=by,
        filter_values=values,
        use_threads=use_threads,
    )
