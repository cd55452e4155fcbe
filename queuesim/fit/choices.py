"""The choices of ``queuesim fit`` (light: the command line builds its options from them without pandas)."""

from __future__ import annotations

__all__ = ["FORMATS", "GROUPS_CHOICES", "HANDLE_CHOICES", "PATIENCE_CHOICES", "PRIORITIES_CHOICES", "STAFFING_METHODS"]

#: Record formats ``fit`` reads.
FORMATS = ("anonymous-bank", "csv")
#: Patience models ``fit`` can fit.
PATIENCE_CHOICES = ("exponential", "weibull", "empirical")
#: Handle-time models ``fit`` can fit.
HANDLE_CHOICES = ("lognormal", "empirical")
#: How staffing per interval is reconstructed (see :func:`queuesim.fit.reconstruct_staffing`). The default,
#: ``work-conserving``, reproduces the Anonymous Bank data best (docs, "Fitting from call records").
STAFFING_METHODS = ("work-conserving", "busy-while-waiting", "distinct")
#: Agent groups: ``auto`` fits groups (skills) from who answered which types, where the records name
#: agents; ``none`` writes one pool of agents.
GROUPS_CHOICES = ("auto", "none")
#: Priorities: ``auto`` splits call types by the records' priority classes (strict priority by class);
#: ``none`` serves every call first come, first served.
PRIORITIES_CHOICES = ("auto", "none")
