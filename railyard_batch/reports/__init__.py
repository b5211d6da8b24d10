"""The sweep report: one self-contained HTML page with the sweep's summary, metrics per
estimator, interactive plotly charts (metric distributions, ROC/PR/calibration curves, time
per member) and the failures with their reasons.

    railyard-batch report SWEEP -o report.html       (railyard_batch/reports/command.py)
    render_report(store, sweep_id) -> str             (what a service serves)
"""

from railyard_batch.reports.page import render_report

__all__ = ["render_report"]
