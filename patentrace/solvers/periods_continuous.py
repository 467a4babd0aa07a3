"""Every pure equilibrium of a race in periods with continuous effort, state by state (docs/lagged.md).

At a state, with the values of later states known, firm ``k``'s best response to the
rival's effort is the unique root of the period first-order condition with the
self-loop value eliminated
([`periods_continuous`][patentrace.equations.periods_continuous] in equations). A pure
equilibrium is a pair of mutual best responses, so with ``y`` firm 0's effort

    phi(y) = T(y) - y,   T(y) = BR_0(p_1(BR_1(p_0(y)))),

on ``[0, X_0]`` (``X_0`` the largest effort). Best responses are continuous in the
rival's effort (the right side of the condition is continuous and the left side
strictly increasing), so ``phi`` is continuous with ``phi(0) >= 0 >= phi(X_0)``: every
state of a regular race has a pure equilibrium. The search evaluates ``phi`` on a grid
finer near 0, brackets every sign change, and refines every cell where a root could
hide between grid points (docs/lagged.md, "How every equilibrium is found";
[`patentrace.solvers.continuous_roots`][patentrace.solvers.continuous_roots]). Irregular
technologies fall back to refined menus
([`patentrace.solvers.continuous_menus`][patentrace.solvers.continuous_menus]).

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> eq = solve_continuous(pr.LaggedRace.from_race(race, lag=0.25))
>>> eq.effort.shape, int(eq.multiplicity[0, 0])
((2, 3, 3), 1)
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.equations.periods_continuous import (
    state_terms,
    terminal_values,
    value_of,
)
from patentrace.errors import EquilibriumError
from patentrace.models import LaggedRace
from patentrace.models.lattice import Layout
from patentrace.results import chain
from patentrace.results.continuous_lagged import ContinuousLaggedEquilibrium, state_check
from patentrace.results.equilibrium import LaggedEquilibrium, SolverInfo
from patentrace.solvers.continuous_menus import IrregularTechnologyWarning, menu_race, realised_menus, solve_irregular
from patentrace.solvers.continuous_roots import (
    DEPTH,
    GAIN,
    GRID,
    SPLIT,
    StateSolutions,
    diagonal_solutions,
    state_solutions,
)
from patentrace.solvers.selection import SELECTION_RULES

__all__ = ["IrregularTechnologyWarning", "StateSolutions", "diagonal_solutions", "menu_race", "realised_menus",
           "solve_all_continuous", "solve_continuous", "solve_irregular", "state_solutions"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_GAIN = GAIN  # largest deviation gain, relative to the prize, of an equilibrium returned


def _select(found: StateSolutions, race: LaggedRace, i: int, j: int, rule: str) -> int:
    """The chosen equilibrium: most / least expected progress in a period, or the largest joint value."""
    tech = race.efforts[0][i], race.efforts[1][j]
    progress = tech[0].probability(found.effort[:, 0]) + tech[1].probability(found.effort[:, 1])
    score = {"fastest": progress, "slowest": -progress, "richest": found.value.sum(axis=1)}[rule]
    return int(np.argmax(score))


def solve_continuous(
    race: LaggedRace, selection: str = "fastest", far_ends: bool = False
) -> ContinuousLaggedEquilibrium | LaggedEquilibrium:
    """The stationary pure equilibrium of a race in periods with continuous effort, by backward induction.

    Every state's pure equilibria are found (``state_solutions``), one is chosen by
    ``selection``, and each chosen equilibrium is checked before it is used: no firm may
    gain more than ``1e-10`` of the prize by any effort, searched on a grid of 4001
    efforts and refined by a bounded local optimiser
    ([`patentrace.results.continuous_lagged.state_check`][patentrace.results.continuous_lagged.state_check]).

    Parameters
    ----------
    race : LaggedRace
        A race with continuous effort (``race.continuous``).
    selection : {"fastest", "slowest", "richest"}
        Rule for states with several equilibria.
    far_ends : bool
        Use, at every state, firm 0's effort at the far end of its final root bracket
        instead of the root estimate (with firm 1's best response to it): a second
        solution as good as the first, whose distance from it is the error estimate
        of [`patentrace.lag_experiment`][patentrace.lag_experiment].

    Returns
    -------
    ContinuousLaggedEquilibrium
        Or, when some firm's technology is not regular
        (``ContinuousEffort.regular``), the ``LaggedEquilibrium`` of a refined menu
        (``solve_irregular``), with a warning.

    Raises
    ------
    EquilibriumError
        If a state's chosen equilibrium fails the check, naming the state and the gain.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = solve_continuous(pr.LaggedRace.from_race(race, lag=0.01))
    >>> bool(abs(eq.effort[0, 0, 0] - pr.solve(race).effort[0, 0, 0]) < 0.01)    # close to continuous time
    True
    """
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}")
    if not race.continuous:
        raise TypeError("solve_continuous needs a LaggedRace with continuous effort; menus go to solve_lagged")
    if not all(tech.regular for firm in race.efforts for tech in firm):
        return solve_irregular(race, selection)
    started = time.perf_counter()
    n1, n2 = race.stages
    value = terminal_values(race)
    effort = np.zeros((2, n1 + 1, n2 + 1))
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    unresolved = np.zeros((n1 + 1, n2 + 1), dtype=np.intp)
    worst = 0.0
    for step in Layout.of([race.stages]).steps:
        states = list(zip(step.i.tolist(), step.j.tolist(), strict=True))
        for (i, j), found in zip(states, diagonal_solutions(race, value, states, tight=far_ends), strict=True):
            if found.effort.shape[0] == 0:  # impossible for a regular technology: phi(0) >= 0 >= phi(X)
                return solve_irregular(race, selection, reason=f"no pure equilibrium was found at state {(i, j)}")
            chosen = _select(found, race, i, j, selection)
            pair = found.far[chosen] if far_ends else found.effort[chosen]
            terms = state_terms(race, value, i, j)
            q = terms[0].effort.probability(pair[0]), terms[1].effort.probability(pair[1])
            v = (float(value_of(terms[0], pair[0], q[1])), float(value_of(terms[1], pair[1], q[0])))
            gain, residual = state_check(terms, (float(pair[0]), float(pair[1])), v)
            if not (gain <= _GAIN * race.prize and residual <= _GAIN * race.prize):
                raise EquilibriumError("a period equilibrium failed its check", (i, j),
                                       {"effort": pair.tolist(), "value": list(v), "deviation_gain": gain,
                                        "residual": residual})
            worst = max(worst, gain / race.prize)
            effort[:, i, j] = pair
            value[:, i, j] = v
            multiplicity[i, j] = found.effort.shape[0]
            unresolved[i, j] = found.unresolved
    if np.any(unresolved > 0):
        doubtful = [tuple(int(v) for v in s) for s in np.argwhere(unresolved > 0)]
        warnings.warn(f"continuous lagged race: at states {doubtful} the search could not exclude an equilibrium in "
                      "some cells (best responses nearly touching); multiplicity may be undercounted there",
                      stacklevel=2)
    return _assemble(race, effort, value, multiplicity, unresolved, selection, far_ends, worst,
                     time.perf_counter() - started)


def solve_all_continuous(race: LaggedRace, max_equilibria: int = 1000) -> list[ContinuousLaggedEquilibrium]:
    """Every pure equilibrium path of a race in periods with continuous effort (docs/lagged.md).

    Backward induction over the states, each path splitting where its state has several
    equilibria; states that see the same continuation share their search. Every
    equilibrium of every path is checked (4001 efforts and a local optimiser) before it is
    kept. An irregular technology is enumerated on its 21-point menu instead, with a warning.

    Parameters
    ----------
    race : LaggedRace
        A race with continuous effort.
    max_equilibria : int
        Most paths; beyond it ``TooManyEquilibriaError`` names the branching states.

    Returns
    -------
    list of ContinuousLaggedEquilibrium

    Examples
    --------
    Three equilibria at a one-stage race with a loser prize and a participation cost
    (docs/solver.md, "Where multiplicity comes from"):

    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, loser_prize=0.8, discount=0.002,
    ...                cost=(pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27)))
    >>> paths = pr.solve_all(pr.LaggedRace.from_race(race, 0.1))
    >>> sorted(round(float(eq.effort[0, 0, 0]), 4) for eq in paths)
    [0.0, 0.0153, 0.0722]
    """
    from patentrace.errors import TooManyEquilibriaError

    if not all(tech.regular for firm in race.efforts for tech in firm):
        from patentrace.solvers.allpaths import solve_all

        warnings.warn("continuous effort with an irregular technology: enumerating the equilibria of its 21-point "
                      "menu instead", IrregularTechnologyWarning, stacklevel=3)
        return solve_all(menu_race(race, 21), max_equilibria=max_equilibria)  # type: ignore[return-value]
    started = time.perf_counter()
    n1, n2 = race.stages
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    paths = [(terminal_values(race), np.zeros((2, n1 + 1, n2 + 1)), multiplicity)]
    unresolved = np.zeros((n1 + 1, n2 + 1), dtype=np.intp)
    branching: set[tuple[int, int]] = set()
    worst = 0.0
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            shared: dict[bytes, tuple[StateSolutions, list[tuple[float, float]]]] = {}
            grown = []
            for position, (value, effort, counts) in enumerate(paths):
                ahead = np.ascontiguousarray(value[:, i:, j:]).tobytes()
                if ahead not in shared:
                    found = state_solutions(race, value, i, j)
                    terms = state_terms(race, value, i, j)
                    gains = [state_check(terms, (float(x[0]), float(x[1])), (float(v[0]), float(v[1])))
                             for x, v in zip(found.effort, found.value, strict=True)]
                    for (gain, residual), x in zip(gains, found.effort, strict=True):
                        if not (gain <= _GAIN * race.prize and residual <= _GAIN * race.prize):
                            raise EquilibriumError("a period equilibrium failed its check", (i, j),
                                                   {"effort": x.tolist(), "deviation_gain": gain,
                                                    "residual": residual})
                    shared[ahead] = (found, gains)
                found, gains = shared[ahead]
                unresolved[i, j] = max(unresolved[i, j], found.unresolved)
                several = found.effort.shape[0]
                if several > 1:
                    branching.add((i, j))
                for k in range(several):
                    new_value, new_effort, new_counts = value.copy(), effort.copy(), counts.copy()
                    new_effort[:, i, j], new_value[:, i, j] = found.effort[k], found.value[k]
                    new_counts[i, j] = several
                    worst = max(worst, gains[k][0] / race.prize)
                    grown.append((new_value, new_effort, new_counts))
                    if len(grown) > max_equilibria:
                        total = len(grown) + len(paths) - position - 1
                        raise TooManyEquilibriaError(max_equilibria, total, sorted(branching))
            paths = grown
    seconds = time.perf_counter() - started
    return [_assemble(race, effort, value, counts, unresolved, "all", False, worst, seconds)
            for value, effort, counts in paths]


def _assemble(
    race: LaggedRace, effort: FloatArray, value: FloatArray, multiplicity: NDArray[np.intp],
    unresolved: NDArray[np.intp], selection: str, far_ends: bool, worst: float, seconds: float,
) -> ContinuousLaggedEquilibrium:
    n1, n2 = race.stages
    menus = realised_menus(race, effort)
    strategy = (np.zeros((n1 + 1, n2 + 1, n2)), np.zeros((n1 + 1, n2 + 1, n1)))
    for i in range(n1):
        for j in range(n2):
            strategy[0][i, j, j] = 1.0
            strategy[1][i, j, i] = 1.0
    win, tie = chain.period_outcome_probabilities(menus, strategy)
    return ContinuousLaggedEquilibrium(
        model=menus, strategy=strategy, value=value, win_probability=win, tie_probability=tie,
        expected_duration=chain.period_expected_duration(menus, strategy),
        multiplicity=multiplicity, degenerate=np.zeros(race.shape, dtype=bool),
        solver=SolverInfo(
            method="continuous effort", selection=selection,
            options={"grid": GRID, "split": SPLIT, "depth": DEPTH, "far_ends": far_ends, "complete": bool(
                np.all(unresolved == 0)), "max_deviation_gain": worst},
            version=__version__, seconds=seconds,
        ),
        continuous=race, effort=effort, unresolved=unresolved,
    )
