"""Fitting queuesim configs from call records (``queuesim fit``).

>>> from queuesim.fit import fit_records, write_config
>>> config, report = fit_records(["january.txt"], "anonymous-bank", days="sun-thu")  # doctest: +SKIP
>>> write_config(config, "fitted.yaml"); print(report.to_text())                    # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports
from .choices import FORMATS, HANDLE_CHOICES, PATIENCE_CHOICES, STAFFING_METHODS

if TYPE_CHECKING:  # pragma: no cover - for type checkers; at run time the names below are imported on first use
    from .core import FitError, FitReport, fit_records, observed_intervals, parse_days, reconstruct_staffing, write_config
    from .records import CSV_FIELDS, Records, RecordsError, parse_columns, read_records

__getattr__, __dir__ = lazy_exports(__name__, {
    **{name: (".core", name) for name in ("FitError", "FitReport", "fit_records", "observed_intervals", "parse_days",
                                           "reconstruct_staffing", "write_config")},
    **{name: (".records", name) for name in ("CSV_FIELDS", "Records", "RecordsError", "parse_columns", "read_records")},
}, globals())

__all__ = [
    "CSV_FIELDS", "FORMATS", "FitError", "FitReport", "HANDLE_CHOICES", "PATIENCE_CHOICES", "Records",
    "RecordsError", "STAFFING_METHODS", "fit_records", "observed_intervals", "parse_columns", "parse_days",
    "read_records", "reconstruct_staffing", "write_config",
]
