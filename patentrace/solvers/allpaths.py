"""Every Markov perfect equilibrium of a race: all combinations of per-state equilibria.

Backward induction (docs/theory/race.md, periods.md) finds, at each state, every equilibrium of the
state's game *given* the continuation values. Where some state has several, each
choice changes the values that earlier states see, and so their games: the Markov
perfect equilibria of the race are the paths through these choices. This module
enumerates all of them.

The race is swept by the number of stages still to go, as in [`patentrace.solve`][patentrace.solve].
A *partial path* fixes one equilibrium at every state already swept. For the next
step, the state games of all partial paths are collected and deduplicated by
``(state, continuation values)`` — partial paths that agree on what a state sees
share its branch, and its game is solved once — and solved together in one
vectorised call (``patentrace.solvers.allroots.find_equilibria`` for a
[`Race`][patentrace.Race];
[`patentrace.solvers.stagegame.state_equilibria`][patentrace.solvers.stagegame.state_equilibria]
for a [`LaggedRace`][patentrace.LaggedRace]). Each partial path then splits into the
product of its states' equilibria. Every partial path extends to at least one full
path (every state game has an equilibrium), so the number of partial paths never
exceeds the final count: the search stops as soon as it passes ``max_equilibria``
and raises [`TooManyEquilibriaError`][patentrace.TooManyEquilibriaError] with the count so far and
the states that branch.

When every state has one equilibrium there is one path, swept exactly as
[`patentrace.solve`][patentrace.solve] sweeps it. A [`Race`][patentrace.Race] whose every state the
compiled sweep (``patentrace.solvers.compiled``) certifies unique has exactly one
equilibrium, and that one is returned without the all-roots sweep; a race on the hybrid
path (some state handed to the all-roots search) is always enumerated. A
[`Race`][patentrace.Race] of three or more firms goes to the same scheme over hyperplanes of
equal total stages in ``patentrace.solvers.nfirm_paths`` (docs/solver.md, "More than two firms").

Examples
--------
>>> import patentrace as pr
>>> eqs = solve_all(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> len(eqs), round(float(eqs[0].value[0, 0, 0]), 10)
(1, 0.1795728262)
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import count
from patentrace._version import __version__
from patentrace.equations.periods import period_game, terminal_values
from patentrace.errors import EquilibriumError, TooManyEquilibriaError
from patentrace.models import DeterministicRace, LaggedRace, Race, TugOfWar
from patentrace.models.lattice import Layout
from patentrace.results import chain
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium, SolverInfo
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.tug_equilibrium import TugEquilibrium
from patentrace.solvers.allroots import StateGames, find_equilibria
from patentrace.solvers.backward import (
    _breakthrough,
    _productivity,
    _terminal_values,
    _underflow,
    breakthrough_shift,
    solve_race,
)
from patentrace.solvers.nfirm_paths import solve_all_nfirm
from patentrace.solvers.stagegame import (
    MAX_PAIRS,
    SearchRecord,
    StateEquilibria,
    check_lagged,
    state_equilibria,
)
from patentrace.solvers.tug import solve_all_tug

__all__ = ["solve_all"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_LAGGED_TOLERANCE = 1e-8  # relative to the prize: the default tolerance of patentrace.solve


@overload
def solve_all(
    model: Race, *, max_equilibria: int = ..., grid: int = ..., max_pairs: int = ...
) -> list[Equilibrium] | list[NFirmEquilibrium]:
    ...


@overload
def solve_all(
    model: LaggedRace, *, max_equilibria: int = ..., grid: int = ..., max_pairs: int = ...
) -> list[LaggedEquilibrium]:
    ...


@overload
def solve_all(
    model: TugOfWar, *, max_equilibria: int = ..., grid: int = ..., max_pairs: int = ...
) -> list[TugEquilibrium]:
    ...


def solve_all(
    model: Race | LaggedRace | TugOfWar, *, max_equilibria: int = 1000, grid: int = 16, max_pairs: int = MAX_PAIRS
) -> list[Equilibrium] | list[NFirmEquilibrium] | list[LaggedEquilibrium] | list[TugEquilibrium]:
    """Every Markov perfect equilibrium of a race (docs/theory/race.md, periods.md, tug-of-war.md).

    Parameters
    ----------
    model : Race, LaggedRace or TugOfWar
        The race. A ``Race`` of three or more firms goes to the same sweep over the
        hyperplanes of equal total stages (``patentrace.solvers.nfirm_paths``; docs/solver.md,
        "More than two firms"), each state's equilibria from
        ``patentrace.solvers.nfirm.find_equilibria``; it returns
        [`NFirmEquilibrium`][patentrace.NFirmEquilibrium] paths, and ``grid`` does not apply.
        A ``TugOfWar`` (docs/theory/tug-of-war.md) goes to patentrace.solvers.tug's
        ``solve_all_tug`` with its defaults: the exact enumeration for quadratic costs
        and ``length <= 4``, Newton from many starts otherwise; what the list is known
        to contain is in ``solver.options["guarantee"]``.
    max_equilibria : int
        Most equilibria to return (``>= 1``). Past it,
        [`TooManyEquilibriaError`][patentrace.TooManyEquilibriaError] is raised.
    grid : int
        Two-firm ``Race``: cells the per-state root search starts from (as for [`patentrace.solve`][patentrace.solve]).
    max_pairs : int
        ``LaggedRace``: most support pairs enumerated per state (as for [`patentrace.solve`][patentrace.solve]);
        where it bites, ``solver.options["complete"]`` is False, an
        ``IncompleteEnumerationWarning`` names the states, and equilibria with large supports
        may be missing. Equilibria that differ only on payoff-identical duplicate actions are
        one (``solver.options["duplicate_actions"]``), and every path is checked at every
        state before it is returned.

    Returns
    -------
    list of Equilibrium, NFirmEquilibrium or LaggedEquilibrium
        One per path, each with ``solver.method == "all paths"`` and
        ``multiplicity`` counting the equilibria of each state given that path's
        continuation. Paths are in enumeration order (no selection rule applies).

    Raises
    ------
    TypeError
        If ``model`` is not a Race or LaggedRace.
    ValueError
        If ``max_equilibria``, ``grid`` or ``max_pairs`` is not a positive int (``grid >= 2``).
    TooManyEquilibriaError
        If there are more than ``max_equilibria`` paths; it carries the count found so far
        and the states where paths branch.
    EquilibriumError
        If some state's equilibria cannot be certified.

    Examples
    --------
    >>> import patentrace as pr
    >>> p, k = 0.5, 0.4   # docs/theory/periods.md (P5) binary oracle, L < k < H: three equilibria
    >>> work, shirk = pr.Action(k, {1: p, 0: 1 - p}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> sorted(round(float(eq.strategy[0][0, 0, 0]), 6) for eq in solve_all(race))
    [0.0, 0.635932, 1.0]

    Three firms (docs/solver.md, "Where multiplicity comes from", with a third firm that idles):

    >>> costs = (pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27),
    ...          pr.costs.Quadratic(scale=1.0, linear=5.0))
    >>> three = pr.Race(stages=(1, 1, 1), prize=1.0, loser_prize=0.8, discount=0.002, cost=costs)
    >>> [int(eq.multiplicity[0, 0, 0]) for eq in solve_all(three)]
    [3, 3, 3]
    """
    _positive_int("max_equilibria", max_equilibria, 1)
    _positive_int("grid", grid, 2)
    _positive_int("max_pairs", max_pairs, 1)
    if isinstance(model, LaggedRace):
        if model.continuous:  # every pure equilibrium path (docs/lagged.md)
            from patentrace.solvers.periods_continuous import solve_all_continuous

            return solve_all_continuous(model, max_equilibria)  # type: ignore[return-value]
        return _all_lagged(model, max_equilibria, max_pairs)
    if isinstance(model, TugOfWar):
        return solve_all_tug(model, max_equilibria=max_equilibria)
    if isinstance(model, DeterministicRace):
        raise TypeError(
            "solve_all does not enumerate a DeterministicRace's equilibria (its period games are too large); "
            "pass its grid race, model.lagged(steps), for every equilibrium on a coarse grid"
        )
    if not isinstance(model, Race):
        raise TypeError(f"model must be a patentrace.Race or LaggedRace, got {type(model).__name__}")
    if model.firms > 2:  # docs/solver.md, "More than two firms": the same sweep over hyperplanes
        return solve_all_nfirm(model, max_equilibria)
    certified = solve_race(model, grid=grid)
    if certified.solver.options.get("path") == "compiled":
        # the compiled sweep proved every state's equilibrium unique (no state was handed to the
        # all-roots search, which a "hybrid" path would record): the race has exactly one
        return [certified]
    return _all_race(model, max_equilibria, grid)


def _positive_int(name: str, value: Any, low: int) -> None:
    count(name, value, low)  # the same check as solve's: numpy ints pass, floats and bools do not


def _branching(count: IntArray, states: tuple[IntArray, IntArray]) -> list[tuple[int, int]]:
    """States ``(i, j)`` where some partial path has several equilibria, from counts of shape (paths, states)."""
    several = np.flatnonzero(np.any(count > 1, axis=0))
    return sorted({(int(states[0][s]), int(states[1][s])) for s in several})


def _all_race(race: Race, max_equilibria: int, grid: int) -> list[Equilibrium]:
    """All paths of a [`Race`][patentrace.Race]; partial paths are rows of flat arrays over the layout."""
    started = time.perf_counter()
    layout = Layout.of([race.stages])
    _, i, j = layout.states
    lam = _productivity(layout, [race])
    discount = np.full(layout.size, race.discount)
    jump = _breakthrough(layout, [race])
    rate, shift = breakthrough_shift(layout, [race], discount, jump)
    prize, loser = np.array([race.prize]), np.array([race.loser_prize])
    cost = (race.cost[0], race.cost[1])
    value = _terminal_values(layout, prize, loser)[None]  # (paths, 2, size)
    effort = np.zeros_like(value)
    corner = (i == race.stages[0]) & (j == race.stages[1])
    count = np.where(corner, 0, 1).astype(np.intp)[None]
    for step in layout.steps:
        paths, n = value.shape[0], step.here.size
        # What each (path, state) sees: A_0, A_1, B_0, B_1; identical rows share one game.
        seen = np.stack([
            value[:, 0, step.after_first], value[:, 1, step.after_second],
            value[:, 0, step.after_second], value[:, 1, step.after_first],
        ], axis=-1).reshape(paths * n, 4)
        where = np.tile(np.arange(n), paths)
        keys = np.column_stack([where.astype(float), seen])
        unique, game_of = np.unique(keys, axis=0, return_inverse=True)
        game_of = game_of.reshape(paths, n)
        at = unique[:, 0].astype(np.intp)
        here = step.here[at]
        games = StateGames(  # breakthroughs: discount R, values shifted by K (backward.breakthrough_shift)
            own_next=unique[:, 1:3].T - shift[:, here], rival_next=unique[:, 3:5].T - shift[:, here],
            productivity=lam[:, here], discount=rate[here], cost=cost,
            states=np.stack([step.i[at], step.j[at]]),
        )
        found = find_equilibria(games, grid)
        first = np.concatenate([[0], np.cumsum(found.count)[:-1]]).astype(np.intp)
        options = found.count[game_of]  # (paths, n)
        total = sum(math.prod(int(c) for c in row) for row in options)
        if total > max_equilibria:
            states = (layout.states[1][step.here], layout.states[2][step.here])
            swept = _branching(count, (i, j)) + _branching(options, states)
            raise TooManyEquilibriaError(max_equilibria, total, sorted(set(swept)))
        rows: list[int] = []
        picks: list[IntArray] = []
        for path in range(paths):
            for combo in itertools.product(*(range(int(c)) for c in options[path])):
                rows.append(path)
                picks.append(first[game_of[path]] + np.asarray(combo, dtype=np.intp))
        parent = np.asarray(rows, dtype=np.intp)
        chosen = np.stack(picks)  # (new paths, n): positions into found
        value, effort, count = value[parent], effort[parent], count[parent]
        value[:, :, step.here] = np.moveaxis(found.value[:, chosen] + shift[:, step.here][:, None, :], 0, 1)
        effort[:, :, step.here] = np.moveaxis(found.effort[:, chosen], 0, 1)
        count[:, step.here] = options[parent]
    info = SolverInfo(
        method="all paths", selection="all",
        options={"grid": grid, "max_equilibria": max_equilibria, "paths": int(value.shape[0])},
        version=__version__, seconds=time.perf_counter() - started,
    )
    out = []
    for path in range(value.shape[0]):
        hazard = lam * effort[path]
        underflow = _underflow(layout, value[path], effort[path], lam, rate, cost, np.full(layout.size, race.prize),
                               shift)
        out.append(Equilibrium(
            model=race,
            effort=layout.unflatten(effort[path], 0),
            hazard=layout.unflatten(hazard, 0),
            value=layout.unflatten(value[path], 0),
            win_probability=layout.unflatten(chain.win_probability_flat(layout, hazard, jump), 0),
            expected_duration=layout.unflatten(chain.expected_duration_flat(layout, hazard, jump), 0),
            multiplicity=layout.unflatten(count[path], 0),
            underflow=layout.unflatten(underflow, 0),
            solver=info,
        ))
    return out


@dataclass
class _LaggedPath:
    """One partial path of a LaggedRace: the arrays of ``LaggedEquilibrium`` filled so far."""

    value: FloatArray
    strategy: tuple[FloatArray, FloatArray]
    multiplicity: IntArray
    degenerate: NDArray[np.bool_]

    def copy(self) -> _LaggedPath:
        return _LaggedPath(self.value.copy(), (self.strategy[0].copy(), self.strategy[1].copy()),
                           self.multiplicity.copy(), self.degenerate.copy())


def _all_lagged(race: LaggedRace, max_equilibria: int, max_pairs: int) -> list[LaggedEquilibrium]:
    """All paths of a [`LaggedRace`][patentrace.LaggedRace], state by state; games are shared by what a state sees."""
    started = time.perf_counter()
    n1, n2 = race.stages
    sizes = (len(race.menus[0][0]), len(race.menus[1][0]))
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    paths = [_LaggedPath(
        value=terminal_values(race),
        strategy=(np.zeros((n1 + 1, n2 + 1, sizes[0])), np.zeros((n1 + 1, n2 + 1, sizes[1]))),
        multiplicity=multiplicity,
        degenerate=np.zeros((n1 + 1, n2 + 1), dtype=bool),
    )]
    record = SearchRecord()
    branching: set[tuple[int, int]] = set()
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            shared: dict[bytes, StateEquilibria] = {}
            grown: list[_LaggedPath] = []
            for position, path in enumerate(paths):
                ahead = np.ascontiguousarray(path.value[:, i:, j:]).tobytes()  # everything (i, j) can reach
                if ahead not in shared:
                    try:
                        shared[ahead] = state_equilibria(period_game(race, path.value, i, j), max_pairs)
                    except EquilibriumError as err:
                        raise EquilibriumError(str(err).split(" at ")[0], (i, j), err.details) from None
                found = shared[ahead]
                record.add((i, j), found)
                several = found.value.shape[0]
                if several > 1:
                    branching.add((i, j))
                for k in range(several):
                    new = path.copy()
                    new.strategy[0][i, j], new.strategy[1][i, j] = found.strategy[0][k], found.strategy[1][k]
                    new.value[:, i, j] = found.value[k]
                    new.multiplicity[i, j] = several
                    new.degenerate[i, j] = found.degenerate
                    grown.append(new)
                    if len(grown) > max_equilibria:
                        total = len(grown) + len(paths) - position - 1  # each later path adds at least one
                        raise TooManyEquilibriaError(max_equilibria, total, sorted(branching))
            paths = grown
    record.warn(max_pairs)
    info = SolverInfo(
        method="all paths", selection="all",
        options={"max_pairs": max_pairs, **record.options(), "max_equilibria": max_equilibria,
                 "paths": len(paths)},
        version=__version__, seconds=time.perf_counter() - started,
    )
    out = []
    for path in paths:
        strategy = path.strategy
        win, tie = chain.period_outcome_probabilities(race, strategy)
        out.append(LaggedEquilibrium(
            model=race, strategy=strategy, value=path.value, win_probability=win, tie_probability=tie,
            expected_duration=chain.period_expected_duration(race, strategy),
            multiplicity=path.multiplicity, degenerate=path.degenerate, solver=info,
        ))
        check_lagged(out[-1], _LAGGED_TOLERANCE)  # every path returned is an equilibrium at every state
    return out
