"""Fitting queuesim configs from call records (``queuesim fit``).

>>> from queuesim.fit import fit_records, write_config
>>> config, report = fit_records(["january.txt"], "anonymous-bank", days="sun-thu")  # doctest: +SKIP
>>> write_config(config, "fitted.yaml"); print(report.to_text())                    # doctest: +SKIP
"""

from .core import (
    FitError, FitReport, HANDLE_CHOICES, PATIENCE_CHOICES, STAFFING_METHODS, fit_records, observed_intervals,
    parse_days, reconstruct_staffing, write_config,
)
from .records import CSV_FIELDS, FORMATS, Records, RecordsError, parse_columns, read_records

__all__ = [
    "CSV_FIELDS", "FORMATS", "FitError", "FitReport", "HANDLE_CHOICES", "PATIENCE_CHOICES", "Records",
    "RecordsError", "STAFFING_METHODS", "fit_records", "observed_intervals", "parse_columns", "parse_days",
    "read_records", "reconstruct_staffing", "write_config",
]
