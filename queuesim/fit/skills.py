"""Skills and priorities from call records: agent groups, routing and priority classes.

Agent groups (``--groups auto``)
    For every named agent, the calls they answered are counted per call type (the
    config's types before any split by priority). Type ``t`` is one of the agent's
    **skills** when the agent answered at least :data:`MIN_SKILL` (a quarter) of the
    calls of type ``t`` they would have answered had calls reached agents regardless of
    type: ``n_agent(t) >= MIN_SKILL x n_agent x share(t)``, with ``share(t)`` the share of
    type ``t`` among all answered calls. Relative to the type's share, so a type with 1%
    of the calls can be a skill as well as one with 70%. Agents with the same set of
    skills form a group. A group that answered less than :data:`MIN_GROUP_SHARE` of the
    calls is merged, smallest first, into the group whose mix of types answered is
    closest (L1 distance between the shares); its agents take that group's skills. Every
    type then served by no group is added to the group that answered most of it.

Routing
    A call type is served by every group having it as a skill, the group that answered
    most of it first (its home group), the others as overflow groups with
    ``overflow_after: 0`` (they may answer it from the start).

Priority classes (``--priorities auto``)
    A class of a type that almost never waited (under :data:`UNRECORDED_QUEUED` of its
    calls queued) while every other class of the type almost always did (over
    ``1 - UNRECORDED_QUEUED``) is read as "priority not recorded for calls answered at
    once" (the Anonymous Bank's class 0 of identified customers): its calls are spread
    over the type's other classes in proportion to their calls, at random with a fixed
    seed. A (type, class) with less than :data:`MIN_CLASS_SHARE` of the calls joins the
    type's largest class. A type left with several classes is split into one call type
    per class, ``<type>-p<class>``, each with its own share, handle time and patience;
    the config's ``priority`` of every type is its class (higher is served first,
    strictly: the engine has no head-start credit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "AgentGroups", "MIN_CLASS_SHARE", "MIN_GROUP_SHARE", "MIN_SKILL", "UNRECORDED_QUEUED",
    "cluster_agents", "fold_unrecorded_priorities", "split_by_priority",
]

#: A type is an agent's skill when they answered at least this fraction of the calls of that type
#: that random assignment would have given them.
MIN_SKILL = 0.25
#: Longest call-type or group name in a config.
MAX_NAME = 64
#: Groups answering less than this share of the calls are merged into the closest group.
MIN_GROUP_SHARE = 0.05
#: (type, priority class) cells with less than this share of the calls join the type's largest class.
MIN_CLASS_SHARE = 0.005
#: A class with fewer calls queued than this share, in a type whose other classes queued more than
#: ``1 -`` this share, has its priority unrecorded for calls answered at once.
UNRECORDED_QUEUED = 0.1


@dataclass
class AgentGroups:
    """Agent groups fitted from who answered what."""

    names: list[str]                 # group names, largest first
    skills: list[list[str]]          # call types (before a priority split) each group serves
    agents: list[list[str]]          # agent names of each group
    routing: dict[str, list[str]]    # call type -> group names, home group first
    answered: pd.DataFrame           # calls answered per group (rows) and type (columns)

    def table(self) -> pd.DataFrame:
        total = float(self.answered.to_numpy().sum()) or 1.0
        return pd.DataFrame({
            "group": self.names,
            "serves": [" ".join(s) for s in self.skills],
            "agents": [len(a) for a in self.agents],
            "answered_share": [float(self.answered.loc[g].sum()) / total for g in self.names],
            "members": [" ".join(a) for a in self.agents],
        })


def fold_unrecorded_priorities(frame: pd.DataFrame, type_column: str, seed: int) -> tuple[pd.Series, list[str]]:
    """Priorities with the classes read as unrecorded spread over the type's other classes; notes."""
    prio = frame["priority"].copy()
    notes: list[str] = []
    rng = np.random.default_rng([int(seed), 19])
    queued = frame["wait"].to_numpy() > 0
    for t in sorted(frame[type_column].unique()):
        rows = (frame[type_column] == t).to_numpy()
        classes = pd.Series(queued[rows]).groupby(frame["priority"].to_numpy()[rows]).agg(["mean", "size"])
        if len(classes) < 2:
            continue
        for c, row in classes.iterrows():
            others = classes.drop(index=c)
            if row["mean"] < UNRECORDED_QUEUED and (others["mean"] > 1 - UNRECORDED_QUEUED).all():
                which = rows & (frame["priority"].to_numpy() == c)
                p = others["size"].to_numpy(float) / others["size"].sum()
                prio[which] = rng.choice(others.index.to_numpy(), size=int(which.sum()), p=p)
                notes.append(f"type {t}: priority class {c} ({int(row['size'])} calls, {row['mean']:.1%} queued) read as "
                             f"unrecorded for calls answered at once; spread over classes "
                             f"{', '.join(str(k) for k in others.index)} in proportion")
    return prio, notes


def split_by_priority(base: pd.Series, priority: pd.Series) -> tuple[pd.Series, dict[str, int], dict[str, str]]:
    """Config call type per call (``<type>-p<class>`` where a type keeps several classes).

    Returns (call type per row, priority of each call type, base type of each call type).
    """
    n = len(base)
    cell = pd.DataFrame({"base": base.to_numpy(), "prio": priority.to_numpy()})
    counts = cell.groupby(["base", "prio"]).size()
    prio = priority.to_numpy().copy()
    for b in counts.index.get_level_values(0).unique():
        c = counts.loc[b]
        biggest = int(c.idxmax())
        small = [int(k) for k, v in c.items() if v < MIN_CLASS_SHARE * n]
        rows = cell["base"].to_numpy() == b
        for k in small:
            prio[rows & (prio == k)] = biggest
    cell["prio"] = prio
    classes = cell.groupby("base")["prio"].unique()
    names = np.empty(n, dtype=object)
    level: dict[str, int] = {}
    base_of: dict[str, str] = {}
    for b, ks in classes.items():
        rows = cell["base"].to_numpy() == b
        if len(ks) == 1:
            names[rows] = b
            level[b], base_of[b] = int(ks[0]), b
            continue
        for k in sorted(int(x) for x in ks):
            suffix = f"-p{k}"
            name, extra = b[:MAX_NAME - len(suffix)] + suffix, 2
            while name in base_of or name in set(classes.index) - {b}:  # a clash with another type's name
                tail = f"{suffix}-{extra}"
                name, extra = b[:MAX_NAME - len(tail)] + tail, extra + 1
            names[rows & (prio == k)] = name
            level[name], base_of[name] = k, b
    return pd.Series(names, index=base.index, dtype=object), level, base_of


def cluster_agents(answered: pd.DataFrame, types: Sequence[str]) -> AgentGroups:
    """Agent groups from answered calls (columns ``server`` and ``base``, the call type)."""
    a = answered[answered["server"] != ""]
    counts = pd.crosstab(a["server"], a["base"]).reindex(columns=list(types), fill_value=0)
    counts = counts.sort_index()
    total = counts.sum(axis=0)
    share = total / max(float(total.sum()), 1.0)
    n_agent = counts.sum(axis=1).to_numpy(float)
    skill = counts.to_numpy(float) >= MIN_SKILL * np.outer(n_agent, share.to_numpy()) - 1e-12
    skill &= counts.to_numpy() > 0
    sets: dict[frozenset, list[str]] = {}
    for agent, row in zip(counts.index, skill):
        key = frozenset(t for t, s in zip(types, row) if s)
        sets.setdefault(key, []).append(str(agent))
    groups = [[set(k), sorted(v)] for k, v in sets.items()]

    def mix(members: list[str]) -> np.ndarray:
        v = counts.loc[members].sum(axis=0).to_numpy(float)
        return v / max(v.sum(), 1.0)

    def size(members: list[str]) -> float:
        return float(counts.loc[members].to_numpy().sum())

    grand = float(counts.to_numpy().sum()) or 1.0
    while len(groups) > 1:
        order = sorted(range(len(groups)), key=lambda i: (size(groups[i][1]), sorted(groups[i][0]), groups[i][1]))
        small = order[0]
        if size(groups[small][1]) >= MIN_GROUP_SHARE * grand:
            break
        m = mix(groups[small][1])
        others = [i for i in range(len(groups)) if i != small]
        target = min(others, key=lambda i: (float(np.abs(mix(groups[i][1]) - m).sum()), -size(groups[i][1]),
                                            sorted(groups[i][0])))
        # the tiny group's agents take the skills of the group they join: the few calls of other types they
        # answered are too few to route a type to the whole group (a type left unserved is added back below)
        groups[target][1] = sorted(groups[target][1] + groups[small][1])
        del groups[small]
    # every type served by someone
    for t in types:
        if not any(t in g[0] for g in groups):
            best = max(range(len(groups)), key=lambda i: (float(counts.loc[groups[i][1], t].sum()), -i))
            groups[best][0].add(t)
    groups.sort(key=lambda g: (-size(g[1]), sorted(g[0])))
    names = _group_names([[t for t in types if t in g[0]] for g in groups])
    skills = [[t for t in types if t in g[0]] for g in groups]
    answered_by = pd.DataFrame([counts.loc[g[1]].sum(axis=0) for g in groups], index=names)
    routing = {}
    for t in types:
        serving = [i for i in range(len(groups)) if t in groups[i][0]]
        serving.sort(key=lambda i: (-float(answered_by.iloc[i][t]), i))
        routing[t] = [names[i] for i in serving]
    return AgentGroups(names, skills, [g[1] for g in groups], routing, answered_by)


def _group_names(skills: list[list[str]]) -> list[str]:
    out: list[str] = []
    for s in skills:
        base = ("+".join(s) or "none")[:MAX_NAME - 4]
        name, k = base, 2
        while name in out:
            name, k = f"{base}-{k}", k + 1
        out.append(name)
    return out


def group_config(groups: AgentGroups, agents: dict[str, list[int]], interval: str, start: str,
                 call_types: list[dict[str, Any]], base_of: dict[str, str]) -> list[dict[str, Any]]:
    """The config's ``groups`` list; sets each call type's ``groups`` (routing) in place."""
    for ct in call_types:
        ct["groups"] = list(groups.routing[base_of[ct["name"]]])
    return [{"name": g, "staffing": {"interval": interval, "start": start, "agents": agents[g]}} for g in groups.names]
