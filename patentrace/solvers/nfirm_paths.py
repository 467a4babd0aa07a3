"""Every Markov perfect equilibrium of a race with ``n >= 3`` firms: all paths through the states' equilibria.

The n-firm counterpart of the two-firm sweep of ``patentrace.solvers.allpaths``
(docs/solver.md, "More than two firms"). The open states with the same total number of
completed stages are independent games given the next hyperplane (docs/theory/race.md (16)),
so the race is swept one hyperplane at a time, from the last to the first. A *partial
path* fixes one equilibrium at every state already swept. At each hyperplane:

1. every partial path's games are written down: at state ``s`` firm ``k`` sees
   ``A_k = V_k(s + e_k)`` and ``B_kl = V_k(s + e_l)`` under that path;
2. games that are the same (same state, same continuation values, to the last bit)
   are solved once, all of them in one vectorised call of
   ``patentrace.solvers.nfirm.find_equilibria``, which finds *every* equilibrium of
   each state's game;
3. each partial path splits into the product of its states' equilibria.

Every partial path extends to at least one full path (every state game has an
equilibrium), so the count of partial paths never exceeds the final count: the sweep
stops as soon as it passes ``max_equilibria`` and raises
[`TooManyEquilibriaError`][patentrace.TooManyEquilibriaError] with that count and the
states where paths branch.

Where the equilibrium selected by [`patentrace.solve`][patentrace.solve] has one
equilibrium at every state given its continuation, the race has exactly one Markov
perfect equilibrium (backward induction: the last hyperplane's games are the same on
every path, and each one has a single equilibrium, so the next hyperplane's are the same
too), and that solution is the one path, without the sweep. Every path returned passes
the checks of [`patentrace.solve`][patentrace.solve]: finite arrays and HJB residuals within
``1e-8`` of each state's value.

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> (eq,) = solve_all_nfirm(race)
>>> eq.solver.method, eq.effort[:, 0, 0, 0].round(10).tolist()
('all paths', [0.8094182111, 0.8094182111, 0.8094182111])
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.equations import hjb
from patentrace.equations.nfirm import StateGames, aggregate_rival
from patentrace.errors import TooManyEquilibriaError
from patentrace.models import Race
from patentrace.models.nfirm_lattice import Lattice
from patentrace.results.equilibrium import SolverInfo
from patentrace.results.nfirm import NFirmEquilibrium, expected_duration, win_probability
from patentrace.solvers.nfirm import find_equilibria, solve_nfirm

__all__ = ["solve_all_nfirm"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

TOLERANCE = 1e-8
"""HJB residual, relative to each state's value, that every path must meet: the default of ``patentrace.solve``."""


def solve_all_nfirm(race: Race, max_equilibria: int = 1000, compiled: bool = True) -> list[NFirmEquilibrium]:
    """Every Markov perfect equilibrium of a [`Race`][patentrace.Race] of ``n >= 3`` firms (docs/solver.md).

    Parameters
    ----------
    race : Race
        The race (any number of firms ``n >= 2``; [`patentrace.solve_all`][patentrace.solve_all]
        sends only races of three or more here).
    max_equilibria : int
        Most paths to return; past it, ``TooManyEquilibriaError`` is raised.
    compiled : bool
        As for ``patentrace.solvers.nfirm.solve_nfirm``: with power costs, states are first
        certified by the compiled interval contraction.

    Returns
    -------
    list of NFirmEquilibrium
        One per path, in enumeration order, each with ``solver.method == "all paths"``,
        ``solver.selection == "all"`` and ``multiplicity`` counting the equilibria of each
        state given that path's continuation. ``solver.options["enumerated"]`` is False where
        the race was shown to have one equilibrium without the sweep (see the module docstring).

    Raises
    ------
    TooManyEquilibriaError
        If there are more than ``max_equilibria`` paths; it carries the count of partial
        paths when the sweep stopped (a lower bound on the total) and the branching states.
    EquilibriumError
        If some state's equilibria cannot be certified, or a path fails the checks of
        [`patentrace.solve`][patentrace.solve].

    Examples
    --------
    The three equilibria of docs/solver.md, "Where multiplicity comes from", with an idle
    third firm (its participation cost exceeds every gain):

    >>> import patentrace as pr
    >>> costs = (pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27),
    ...          pr.costs.Quadratic(scale=1.0, linear=5.0))
    >>> race = pr.Race(stages=(1, 1, 1), prize=1.0, loser_prize=0.8, discount=0.002, cost=costs)
    >>> sorted(tuple(eq.effort[:, 0, 0, 0].round(4).tolist()) for eq in solve_all_nfirm(race))
    [(0.0, 0.0584, 0.0), (0.0155, 0.0178, 0.0), (0.0744, 0.0, 0.0)]
    """
    started = time.perf_counter()
    selected = solve_nfirm(race, compiled=compiled)
    if int(selected.multiplicity.max()) <= 1:
        paths = [dataclasses.replace(selected, solver=_info(max_equilibria, compiled, 1, False, started))]
    else:
        paths = _sweep(race, max_equilibria, compiled, started)
    for path in paths:
        path.certify(TOLERANCE)
    return paths


def _info(max_equilibria: int, compiled: bool, paths: int, enumerated: bool, started: float) -> SolverInfo:
    """The solver record every path carries."""
    return SolverInfo(method="all paths", selection="all",
                      options={"path": "nfirm", "compiled": compiled, "max_equilibria": max_equilibria,
                               "paths": paths, "enumerated": enumerated},
                      version=__version__, seconds=time.perf_counter() - started)


def _per_state(race: Race, lattice: Lattice, curve: str) -> FloatArray:
    """Each firm's productivity (``curve="productivity"``) or breakthrough hazard at every flat state, 0 once done."""
    grids = np.indices(lattice.shape).reshape(lattice.firms, -1)
    out = np.zeros((lattice.firms, lattice.size))
    for k in range(lattice.firms):
        per_stage = race.productivity_array(k) if curve == "productivity" else race.breakthrough_array(k)
        out[k] = np.append(per_stage, 0.0)[grids[k]]
    return out


@dataclasses.dataclass(frozen=True)
class _Games:
    """The distinct games of one hyperplane over all partial paths, and their equilibria with values."""

    state: IntArray  # (G,) flat state of each game
    count: IntArray  # (G,) equilibria per game
    first: IntArray  # (G,) position of each game's first equilibrium in effort / value
    effort: FloatArray  # (n, E), equilibria grouped by game
    value: FloatArray  # (n, E)


def _solve_games(race: Race, lattice: Lattice, lam: FloatArray, jump: FloatArray, state: IntArray,
                 after: FloatArray, compiled: bool) -> _Games:
    """Every equilibrium of the games at flat states ``state`` with ``after[k, l, g] = V_k(s_g + e_l)``.

    Breakthroughs enter as in ``patentrace.solvers.nfirm``: the game is solved at the effective
    discount ``R`` on values shifted by ``K_k`` (docs/theory/race.md (18)), and each firm's value
    is the flow value (17) of its effort at the unshifted continuation values.
    """
    firms = race.firms
    own = np.stack([after[k, k] for k in range(firms)])
    b = jump[:, state]
    total_jump = b.sum(axis=0)
    rate = race.discount + total_jump
    shift = (b * race.prize + (total_jump - b) * race.loser_prize) / rate
    games = StateGames(own - shift, after - shift[:, None, :], lam[:, state], rate, race.cost)
    found = find_equilibria(games, lattice.coordinates(state), compiled)
    order = np.argsort(found.owner, kind="stable")
    owner, effort = found.owner[order], found.effort[:, order]
    hazard = lam[:, state[owner]] * effort
    rival_total, rival_mean = aggregate_rival(hazard, after[:, :, owner])
    value = np.stack([
        hjb.FirmProblem(race.cost[k], lam[k, state[owner]], own[k, owner], rival_mean[k], rival_total[k],
                        race.discount, own_breakthrough=b[k, owner], rival_breakthrough=total_jump[owner] - b[k, owner],
                        prize=race.prize, loser_prize=race.loser_prize).flow_value(effort[k])
        for k in range(firms)])
    first = np.concatenate([[0], np.cumsum(found.count)[:-1]]).astype(np.intp)
    return _Games(state=state, count=np.asarray(found.count, dtype=np.intp), first=first, effort=effort,
                  value=np.asarray(value, dtype=float))


def _branching(lattice: Lattice, count: IntArray, states: IntArray) -> list[tuple[int, ...]]:
    """The states (flat ``states``, tuples out) where some partial path has several equilibria; ``count`` (paths, m)."""
    several = states[np.any(count > 1, axis=0)]
    return [tuple(int(v) for v in column) for column in lattice.coordinates(several).T]


def _choices(options: IntArray, first: IntArray) -> IntArray:
    """Every combination of one equilibrium per state for one partial path: rows of positions into the games' list.

    ``options[s]`` equilibria at state ``s``, the first at position ``first[s]``; the rows
    count the branching states in mixed radix.
    """
    total = math.prod(int(c) for c in options)
    picks = np.tile(first, (total, 1))
    index, radix = np.arange(total), 1
    for s in np.flatnonzero(options > 1):
        picks[:, s] += (index // radix) % options[s]
        radix *= int(options[s])
    return np.asarray(picks, dtype=np.intp)


def _sweep(race: Race, max_equilibria: int, compiled: bool, started: float) -> list[NFirmEquilibrium]:
    """All paths, hyperplane by hyperplane; partial paths are rows of flat arrays over the lattice."""
    lattice = Lattice(tuple(race.stages))
    firms = lattice.firms
    lam, jump = _per_state(race, lattice, "productivity"), _per_state(race, lattice, "breakthrough")
    terminal, _ = lattice.terminal(race.prize, race.loser_prize)
    value = terminal[None]  # (paths, n, size)
    effort = np.zeros_like(value)
    count = np.where(lattice.finished > 1, 0, 1).astype(np.intp)[None]
    branching: list[tuple[int, ...]] = []
    for here in lattice.hyperplanes:
        paths, m = value.shape[0], here.size
        # [p, k, l, s] = V_k(s + e_l) on path p; identical (state, continuation) rows are one game
        after = np.stack([value[:, :, here + stride] for stride in lattice.strides], axis=2)
        seen = np.moveaxis(after, 3, 1).reshape(paths * m, firms * firms)
        keys = np.column_stack([np.tile(here, paths).astype(float), seen])
        unique, game_of = np.unique(keys, axis=0, return_inverse=True)
        game_of = np.asarray(game_of, dtype=np.intp).reshape(paths, m)
        state = unique[:, 0].astype(np.intp)
        games = _solve_games(race, lattice, lam, jump, state, unique[:, 1:].reshape(-1, firms, firms).transpose(
            1, 2, 0), compiled)
        options = games.count[game_of]  # (paths, m)
        branching += _branching(lattice, options, here)
        total = sum(math.prod(int(c) for c in row) for row in options)
        if total > max_equilibria:
            raise TooManyEquilibriaError(max_equilibria, total, sorted(set(branching)))
        parent = np.concatenate([np.full(math.prod(int(c) for c in row), p, dtype=np.intp)
                                 for p, row in enumerate(options)])
        chosen = np.concatenate([_choices(options[p], games.first[game_of[p]]) for p in range(paths)])
        value, effort, count = value[parent], effort[parent], count[parent]
        value[:, :, here] = np.moveaxis(games.value[:, chosen], 0, 1)
        effort[:, :, here] = np.moveaxis(games.effort[:, chosen], 0, 1)
        count[:, here] = options[parent]
    info = _info(max_equilibria, compiled, int(value.shape[0]), True, started)
    shape = (firms, *lattice.shape)
    out = []
    for path in range(value.shape[0]):
        hazard = lam * effort[path]
        out.append(NFirmEquilibrium(
            model=race, solver=info, effort=effort[path].reshape(shape), hazard=hazard.reshape(shape),
            value=value[path].reshape(shape), win_probability=win_probability(lattice, hazard, jump).reshape(shape),
            expected_duration=expected_duration(lattice, hazard, jump).reshape(lattice.shape),
            multiplicity=count[path].reshape(lattice.shape)))
    return out
