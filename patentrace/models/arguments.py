"""Names for the flexible arguments of the model constructors (docs/theory/race.md, periods.md).

A model accepts short forms and normalises them at construction: after
``Race(stages=2, ...)``, ``race.stages`` is ``(2, 2)``, and a single cost becomes a pair.
The names below say what each constructor argument accepts. For a type checker they are
``Any``, because the same attribute holds the normalised form after construction (a
precise union would make every read of ``race.stages[0]`` a type error); the accepted
forms are checked at run time, and bad input raises ValueError or TypeError naming the
argument.

Examples
--------
>>> import patentrace as pr
>>> pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()).stages
(2, 2)
"""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["ActionMenus", "CostPair", "StagePair", "StageRates"]

StagePair: TypeAlias = Any
"""Stages per firm: an ``int >= 1`` for both firms, or a pair ``(N_0, N_1)``; stored as the pair."""

CostPair: TypeAlias = Any
"""A [`Cost`][patentrace.models.costs.Cost] for both firms, or a pair ``(cost_0, cost_1)``; stored as the pair."""

StageRates: TypeAlias = Any
"""A rate per stage: None (the default everywhere), one sequence for both firms, or a pair of sequences
(one per firm, of lengths ``N_0`` and ``N_1``); stored as a pair of tuples of floats."""

ActionMenus: TypeAlias = Any
"""The actions of a race in periods: one menu (a sequence of [`Action`][patentrace.Action]) for both firms,
a pair of menus, or a pair of per-stage menus; stored as per-stage menus for each firm."""
