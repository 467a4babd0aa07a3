"""FGST's deterministic race solved: ε-preemption, and the contested region under a lag (docs/theory/deterministic.md).

**Perfect monitoring (lag 0).** The leader ε-preempts: the follower never invests and
the leader runs the lone firm's path ([`patentrace.equations.lone_firm`][patentrace.equations.lone_firm]), for any
positive lead. With a breakthrough hazard the follower may invest (to raise its own
discovery hazard), and the race is solved by refined Markov chains
([`patentrace.solvers.perfect_monitoring`][patentrace.solvers.perfect_monitoring]).

**A lag.** The race in periods on an experience grid
([`DeterministicRace.lagged`][patentrace.DeterministicRace.lagged]: speed times
lag is a whole number of cells) is solved backwards, state by state
([`solve_grid`][patentrace.solvers.deterministic.solve_grid]). A state's period game has as many actions as speeds, and
in
the contested region its equilibria mix many of them (a period there is an
all-pay contest), so every equilibrium cannot be enumerated; instead strictly
dominated speeds are removed and one equilibrium is found by Lemke–Howson
([`patentrace.solvers.lemke`][patentrace.solvers.lemke]), with the value of standing still iterated to
its fixed point, and checked in the full game. Level states get a symmetric
equilibrium. A lead is **contested** where the follower invests with positive
probability; the **contested gap** at a leader position is the largest such lead.
[`solve_deterministic`][patentrace.solvers.deterministic.solve_deterministic] refines the grid until the gap stops
moving and
reports how it converged.

Examples
--------
>>> import patentrace as pr
>>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
>>> grid = solve_grid(race, 10)
>>> int(contested_gaps(grid)[5])      # leader at w = 0.5: leads up to 3 cells (0.3) are contested
3
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import finite_real, grid_sizes
from patentrace._version import __version__
from patentrace.equations.lone_firm import single_firm_path
from patentrace.equations.periods import PeriodGame, period_game, terminal_values
from patentrace.errors import EquilibriumError
from patentrace.models import DeterministicRace
from patentrace.models.lattice import Layout
from patentrace.results import chain
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium, GridRefinement, perfect_monitoring
from patentrace.results.equilibrium import LaggedEquilibrium, SolverInfo
from patentrace.solvers.lemke import lemke_howson, symmetric_lemke_howson
from patentrace.solvers.perfect_monitoring import solve_perfect_monitoring
from patentrace.solvers.stagegame import (
    StateEquilibria,
    _degenerate,
    _is_equilibrium,
    _ratio_values,
    _select,
    state_equilibria,
)

__all__ = ["contested_gaps", "solve_deterministic", "solve_grid"]

FloatArray = NDArray[np.float64]
logger = logging.getLogger(__name__)
IntArray = NDArray[np.intp]

_MARGIN = 1e-12  # of the prize: how much better an action must be to dominate another
_GAIN = 1e-9  # of the prize: the largest gain from a deviation an equilibrium may leave
_FIXED_POINT_ROUNDS = 60
_EXACT_PAIRS = 5000  # support pairs enumerated when the fixed-point iteration fails


def _undominated(game: PeriodGame, top: float) -> tuple[IntArray, IntArray]:
    """Actions that survive iterated elimination of strictly dominated actions, for every self-loop value.

    ``M_k(v_k)`` is linear in ``v_k`` and every equilibrium value lies in ``[0, top]``;
    an action beaten by another at both ends of that range, against every rival
    action still in play, is never played in an equilibrium.
    """
    keep = [np.arange(game.other.shape[1]), np.arange(game.other.shape[2])]
    ends = [[game.payoff(0, v) for v in (0.0, top)], [game.payoff(1, v).T for v in (0.0, top)]]
    changed = True
    while changed:
        changed = False
        for firm in (0, 1):
            own, rival = keep[firm], keep[1 - firm]
            beaten = np.zeros((own.size, own.size), dtype=bool)
            for k, payoff in enumerate(ends[firm]):
                rows = payoff[np.ix_(own, rival)]
                # beaten[a, b]: action b beats action a against every rival action
                better = np.all(rows[None, :, :] > rows[:, None, :] + _MARGIN * top, axis=2)
                beaten = better if k == 0 else beaten & better
            out = beaten.any(axis=1)
            if out.any():
                keep[firm] = own[~out]
                changed = True
    return keep[0], keep[1]


def _state_equilibrium(game: PeriodGame, top: float, level: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    """One equilibrium of a state's period game: mixed actions and values.

    Strictly dominated speeds are removed first; what remains is solved by
    Lemke–Howson on ``M(v)`` with the self-loop value ``v`` iterated to its fixed
    point ``v = sigma_0' K sigma_1 / (1 - beta q)``; at a level state (a symmetric
    game) the symmetric version finds a symmetric equilibrium. The answer is checked
    in the full game, and an [`EquilibriumError`][patentrace.EquilibriumError] raised if no
    label leads to one.

    The fixed point can elude the iteration (Lemke–Howson may end at different
    equilibria for different ``v`` and cycle between them). Then, if the undominated
    game is small enough, every equilibrium of it is enumerated exactly
    ([`state_equilibria`][patentrace.solvers.stagegame.state_equilibria], which handles the
    self-loop in closed form) and the one with the most expected progress is taken
    (a symmetric one at a level state).
    """
    rows, cols = _undominated(game, top)
    if level:  # the game is symmetric, and so is the elimination: keep the union for both
        rows = cols = np.union1d(rows, cols)
    small = PeriodGame(other=game.other[:, rows][:, :, cols], stay=(game.stay[0][rows], game.stay[1][cols]),
                       beta=game.beta, progress=(game.progress[0][rows], game.progress[1][cols]),
                       outcomes=game.outcomes)
    tol = _GAIN * top
    m1, m2 = rows.size, cols.size
    for dropped in range(m1 if level else m1 + m2):
        value = np.zeros(2)
        for _ in range(_FIXED_POINT_ROUNDS):
            found: tuple[FloatArray, FloatArray] | None = (np.ones(1), np.ones(1))
            if level and m1 > 1:
                shared = symmetric_lemke_howson(small.payoff(0, value[0]), dropped % m1)
                found = None if shared is None else (shared, shared)
            elif m1 * m2 > 1:
                found = lemke_howson(small.payoff(0, value[0]), small.payoff(1, value[1]), dropped)
            if found is None:
                break
            new = np.array(_ratio_values(small, *found))
            settled = bool(np.max(np.abs(new - value)) <= 1e-14 * top)
            value = new
            if settled or m1 * m2 == 1:
                sigma1, sigma2 = np.zeros(game.other.shape[1]), np.zeros(game.other.shape[2])
                sigma1[rows], sigma2[cols] = found
                if _is_equilibrium(game, sigma1, sigma2, tol):
                    return sigma1, sigma2, np.array(_ratio_values(game, sigma1, sigma2))
                break
    pairs = sum(math.comb(m1, k) * math.comb(m2, k) for k in range(1, min(m1, m2) + 1))
    if pairs <= _EXACT_PAIRS:
        every = state_equilibria(small, max_pairs=_EXACT_PAIRS)
        keep = np.ones(every.value.shape[0], dtype=bool)
        if level:
            keep = np.max(np.abs(every.strategy[0] - every.strategy[1]), axis=1) <= 1e-9
        if keep.any():
            candidates = StateEquilibria((every.strategy[0][keep], every.strategy[1][keep]), every.value[keep],
                                         every.degenerate, every.complete)
            k = _select(candidates, small, "fastest")
            sigma1, sigma2 = np.zeros(game.other.shape[1]), np.zeros(game.other.shape[2])
            sigma1[rows], sigma2[cols] = candidates.strategy[0][k], candidates.strategy[1][k]
            if _is_equilibrium(game, sigma1, sigma2, tol):
                return sigma1, sigma2, np.array(_ratio_values(game, sigma1, sigma2))
    raise EquilibriumError("no equilibrium found by Lemke-Howson", None,
                           {"speeds": game.other.shape[1:], "undominated": (m1, m2)})


def solve_grid(race: DeterministicRace, steps: int) -> LaggedEquilibrium:
    """An equilibrium of the deterministic race in periods on a grid of ``steps`` cells.

    The grid race is [`DeterministicRace.lagged`][patentrace.DeterministicRace.lagged].
    States are solved backwards by remaining distance; the model is symmetric, so
    only states with firm 0 ahead or level are solved and the rest mirrored; level
    states get a symmetric equilibrium, so the mirror image is exact. Each state's
    equilibrium comes from ``_state_equilibrium``: one equilibrium, verified;
    others may exist (``multiplicity`` is 1, a lower bound, and the solver options
    say ``complete: False``).

    Parameters
    ----------
    race : DeterministicRace
        The model; needs ``lag > 0``.
    steps : int
        Grid cells between experience 0 and 1.

    Returns
    -------
    LaggedEquilibrium
        Of ``race.lagged(steps)``; its solver options say ``complete: False``.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
    >>> grid = solve_grid(race, 10)
    >>> gain, residual = grid.verify()
    >>> gain < 1e-9 and residual < 1e-9
    True
    """
    started = time.perf_counter()
    lagged = race.lagged(steps)
    n = lagged.stages[0]
    menu = len(lagged.menus[0][0])
    top = race.prize
    value = terminal_values(lagged)
    strategy = (np.zeros((n + 1, n + 1, menu)), np.zeros((n + 1, n + 1, menu)))
    multiplicity = np.ones((n + 1, n + 1), dtype=np.intp)
    multiplicity[n, n] = 0
    degenerate = np.zeros((n + 1, n + 1), dtype=bool)
    for step in Layout.of([lagged.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            if j > i:
                continue
            game = period_game(lagged, value, i, j)
            try:
                sigma1, sigma2, pair = _state_equilibrium(game, top, level=i == j)
            except EquilibriumError as err:
                raise EquilibriumError(err.message, (i, j), err.details) from None
            value[:, i, j], value[:, j, i] = pair, pair[::-1]
            strategy[0][i, j], strategy[1][i, j] = sigma1, sigma2
            strategy[0][j, i], strategy[1][j, i] = sigma2, sigma1
            flat = _degenerate(game, sigma1[None], sigma2[None], pair[None], _GAIN * top)
            degenerate[i, j] = degenerate[j, i] = flat
    win, tie = chain.period_outcome_probabilities(lagged, strategy)
    return LaggedEquilibrium(
        model=lagged, strategy=strategy, value=value, win_probability=win, tie_probability=tie,
        expected_duration=chain.period_expected_duration(lagged, strategy),
        multiplicity=multiplicity, degenerate=degenerate,
        solver=SolverInfo(method="Lemke-Howson per state (deterministic race grid)", selection="first label",
                          options={"steps": n, "complete": False}, version=__version__,
                          seconds=time.perf_counter() - started),
    )


def contested_gaps(grid: LaggedEquilibrium) -> IntArray:
    """At each leader grid position ``a``: the largest lead ``a - b`` at which the follower invests.

    "Invests" is a positive probability of any positive speed; 0 where the follower
    idles at every lead (the lead is safe).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
    >>> contested_gaps(solve_grid(race, 10)).tolist()
    [0, 1, 1, 2, 2, 3, 2, 3, 2, 3, 0]
    """
    n = grid.model.stages[0]
    follower_moves = grid.strategy[1][:, :, 1:].sum(axis=2) > 1e-12  # firm 1 behind at [a, b], a > b
    lead = np.arange(n + 1)[:, None] - np.arange(n + 1)[None, :]
    contested = follower_moves & (lead > 0)
    contested[n, :] = False
    return np.asarray(np.max(np.where(contested, lead, 0), axis=1), dtype=np.intp)


_POSITIONS = np.arange(1, 10) / 10.0  # leader positions where the refinement compares the contested gap
_FIRST_MENU = 5  # speeds on the coarsest grid


def _grid_sizes(race: DeterministicRace, max_speeds: int) -> list[int]:
    """Grids to refine through: doubling from the first with at least 5 speeds, while the menu stays small."""
    def menu(steps: int) -> int:
        try:
            return len(race.lagged(steps).menus[0][0])
        except ValueError:  # too coarse for the cap: not even one cell a period
            return 0

    steps = 2
    while menu(steps) < _FIRST_MENU:
        steps *= 2
    sizes = []
    while menu(steps) <= max_speeds:
        sizes.append(steps)
        steps *= 2
    return sizes or [steps // 2]


def solve_deterministic(
    race: DeterministicRace,
    steps: Sequence[int] | None = None,
    gap_tolerance: float = 0.04,
    max_speeds: int = 33,
    chain_tolerance: float = 5e-3,
) -> DeterministicEquilibrium:
    """Solve FGST's deterministic race (docs/theory/deterministic.md), refining the grid until the gap settles.

    At lag 0 without breakthroughs: ε-preemption (exact). At lag 0 with a
    breakthrough: [`solve_perfect_monitoring`][patentrace.solvers.perfect_monitoring.solve_perfect_monitoring]
    (Markov chains refined until ``chain_tolerance``; ``steps`` are its grids).

    Parameters
    ----------
    race : DeterministicRace
        The model.
    steps : sequence of int, optional
        The grids to solve, coarsest first. By default: doubling from the first grid
        with at least 5 speeds, stopping once the gap changes by at most
        ``gap_tolerance`` or the speed menu would exceed ``max_speeds`` (lag 0 with a
        breakthrough: 100, 200, 400 cells, stopping once converged).
    gap_tolerance : float
        Largest change of the contested gap (experience units, at leader positions
        0.1, ..., 0.9) between two grids for the refinement to count as converged.
    max_speeds : int
        Largest speed menu solved by default (the time per grid grows roughly with
        the fourth power of the menu's size).
    chain_tolerance : float
        Lag 0 with a breakthrough: the largest change of values, speeds and win
        probabilities at the sample states between two grids for ``converged``.

    Returns
    -------
    DeterministicEquilibrium
        ``converged`` says whether the last refinement moved the gap by at most
        ``gap_tolerance``; ``refinement`` holds every grid's gaps and times.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.4, max_speed=1.0)
    >>> eq = solve_deterministic(race, steps=(5, 10))
    >>> [r.steps for r in eq.refinement], eq.contested_gap(0.5)
    ([5, 10], 0.3)
    """
    started = time.perf_counter()
    tolerance = finite_real("gap_tolerance", gap_tolerance)
    if tolerance < 0.0:
        raise ValueError(f"gap_tolerance must be >= 0, got {tolerance!r}")
    if isinstance(max_speeds, bool) or not isinstance(max_speeds, int) or max_speeds < _FIRST_MENU:
        raise ValueError(f"max_speeds must be an int >= {_FIRST_MENU}, got {max_speeds!r}")
    options: dict[str, Any] = {"gap_tolerance": tolerance, "complete": False}
    if race.lag == 0.0 and race.breakthrough is not None:
        return solve_perfect_monitoring(race, steps=steps, chain_tolerance=chain_tolerance)
    if race.lag == 0.0:
        info = SolverInfo(method="epsilon-preemption (perfect monitoring)", selection="none",
                          options={}, version=__version__, seconds=time.perf_counter() - started)
        return perfect_monitoring(race, info)
    if steps is None:
        sizes, automatic = _grid_sizes(race, max_speeds), True
    else:
        sizes, automatic = grid_sizes("steps", steps, 2), False
    refinement: list[GridRefinement] = []
    grid: LaggedEquilibrium | None = None
    gaps = np.zeros(0, dtype=np.intp)
    for size in sizes:
        began = time.perf_counter()
        grid = solve_grid(race, size)
        gaps = contested_gaps(grid)
        at = gaps[np.rint(_POSITIONS * size).astype(np.intp)] / size
        change = float(np.max(np.abs(at - refinement[-1].gap))) if refinement else math.inf
        refinement.append(GridRefinement(size, len(grid.model.menus[0][0]), time.perf_counter() - began, at, change))
        if automatic and change <= tolerance:
            break
    converged = refinement[-1].change <= tolerance
    if automatic and not converged:
        logger.warning("contested gap not converged: last change %.3g > %.3g on %d cells",
                       refinement[-1].change, tolerance, refinement[-1].steps)
    assert grid is not None
    options["steps"] = [r.steps for r in refinement]
    return DeterministicEquilibrium(
        model=race, path=single_firm_path(race), grid=grid, speeds=np.arange(len(grid.model.menus[0][0]))
        / (grid.model.stages[0] * race.lag), gaps=gaps, positions=_POSITIONS, refinement=tuple(refinement),
        converged=converged,
        solver=SolverInfo(method="Lemke-Howson per state on refined experience grids",
                          selection="symmetric at level states, first label elsewhere", options=options,
                          version=__version__, seconds=time.perf_counter() - started),
    )
