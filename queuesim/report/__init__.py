"""Reports of a result folder: figures (PNG), a self-contained HTML page and Markdown.

``queuesim report DIR`` calls :func:`write_report`; :mod:`.charts` holds the
figure functions behind :meth:`ExperimentResult.plot`. matplotlib runs with
the Agg backend: nothing is ever shown on screen.
"""

from .build import DEFAULT_METRICS, load_waits, write_report
from .charts import KINDS, OKABE_ITO, plot, scenario_colors

__all__ = ["DEFAULT_METRICS", "KINDS", "OKABE_ITO", "load_waits", "plot", "scenario_colors", "write_report"]
