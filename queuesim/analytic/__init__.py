"""Queueing theory for contact centres: Erlang B, C, A and X, M/M/n/K, priority M/M/n, Little's law.

Pure functions of numbers (numpy/scipy only). Times are seconds, rates are per
second, offered loads are Erlangs (rate * handle time). Everything stays exact
and finite up to thousands of agents and thousands of Erlangs, except Erlang X
with redials, a documented fixed-point approximation (:mod:`.erlangx`).
"""

from .cobham import priority_mmn_waits
from .erlang import (
    ErlangAResult,
    ErlangCResult,
    erlang_a_agents,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_agents,
    erlang_c_metrics,
    erlang_c_service_level,
    halfin_whitt_beta,
    offered_load,
    square_root_staffing,
)
from .erlangx import ErlangXResult, erlang_x_agents, erlang_x_metrics
from .little import littles_law_L, littles_law_W
from .mmnk import MMNKResult, mmnk_metrics

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "ErlangXResult",
    "MMNKResult",
    "erlang_a_agents",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_agents",
    "erlang_c_metrics",
    "erlang_c_service_level",
    "erlang_x_agents",
    "erlang_x_metrics",
    "halfin_whitt_beta",
    "littles_law_L",
    "littles_law_W",
    "mmnk_metrics",
    "offered_load",
    "priority_mmn_waits",
    "square_root_staffing",
]
