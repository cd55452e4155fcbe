"""queuesim: simulate telephone contact centres.

Public API::

    import queuesim as qs
    exp = qs.load_config("configs/erlang-a.yaml")    # validated Experiment
    one = qs.simulate(exp, seed=1)                   # one replication: .summary, .calls
    res = qs.run(exp, replications=20)               # all replications: .summary(), .table()
    qs.simulate(exp, seed=1, processes=[my_process]) # your own SimPy process inside the centre

Times are seconds and rates are per second inside the package; configs and
constructors accept units ("4min", "95/min").
"""

from __future__ import annotations

__version__ = "0.2.0"

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers; at run time the names below are imported on first use
    from . import analytic
    from .measure.calllog import CallLog
    from .model.config import load_config
    from .errors import ConfigError
    from .model.distributions import Deterministic, Empirical, Exponential, Gamma, Lognormal, Uniform, Weibull
    from .engine import AgentState, CentreControl
    from .experiment import Experiment, ExperimentResult, run
    from .experiment.replication import ReplicationResult, simulate
    from .rng import RandomStreams
    from .model.scenario import Arrivals, Scenario

__getattr__, __dir__ = lazy_exports(__name__, {
    "analytic": (".analytic", ""),
    "CallLog": (".measure.calllog", "CallLog"),
    "ConfigError": (".errors", "ConfigError"),
    "load_config": (".model.config", "load_config"),
    **{name: (".model.distributions", name) for name in ("Deterministic", "Empirical", "Exponential", "Gamma", "Lognormal",
                                                    "Uniform", "Weibull")},
    "AgentState": (".engine", "AgentState"),
    "CentreControl": (".engine", "CentreControl"),
    "Experiment": (".experiment", "Experiment"),
    "ExperimentResult": (".experiment", "ExperimentResult"),
    "run": (".experiment", "run"),
    "ReplicationResult": (".experiment.replication", "ReplicationResult"),
    "simulate": (".experiment.replication", "simulate"),
    "RandomStreams": (".rng", "RandomStreams"),
    "Arrivals": (".model.scenario", "Arrivals"),
    "Scenario": (".model.scenario", "Scenario"),
}, globals())

__all__ = [
    "AgentState",
    "Arrivals",
    "CallLog",
    "CentreControl",
    "ConfigError",
    "Deterministic",
    "Empirical",
    "Experiment",
    "ExperimentResult",
    "Exponential",
    "Gamma",
    "Lognormal",
    "RandomStreams",
    "ReplicationResult",
    "Scenario",
    "Uniform",
    "Weibull",
    "__version__",
    "analytic",
    "load_config",
    "run",
    "simulate",
]
