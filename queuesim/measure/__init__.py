"""The measuring layer: the call log and what is measured from it.

:mod:`.calllog` (the engine's output, one row per call, and its codes),
:mod:`.tally` (running sums over chunks of calls), :mod:`.metrics` (the
per-replication metrics), :mod:`.costs` (what a day costs) and :mod:`.stats`
(confidence intervals across replications). Imports only :mod:`queuesim.model`
and numpy; never SimPy. Submodules are imported explicitly.
"""
