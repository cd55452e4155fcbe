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

__version__ = "0.1.0"

from . import analytic
from .calllog import CallLog
from .config import ConfigError, load_config
from .engine import AgentState, CentreControl
from .distributions import (
    Deterministic,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Uniform,
    Weibull,
)
from .experiment import Experiment, ExperimentResult, run
from .replication import ReplicationResult, simulate
from .rng import RandomStreams
from .scenario import Arrivals, Scenario

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
