"""The deterministic race with breakthroughs at lag 0, by refined Markov chains (docs/theory/deterministic.md (D4)).

With ``lag = 0`` each firm sees the other's experience at every moment. Where firm 0
leads, the values solve a pair of coupled HJB equations in ``(w0, w1)``:

    r V0 = max_x {-c(x) + x dV0/dw0} + x1 dV0/dw1 + b(w0) (P - V0) + b(w1) (L - V0)

and symmetrically for firm 1; the first to reach ``w = 1`` wins ``P``, the other ``L``.
Their monotone upwind discretisation on ``n`` cells replaces ``x dV/dw`` by
``n x (V(i + 1) - V(i))``: a firm at cell ``i`` moves one cell on at rate ``n x``. That
is exactly the Poisson race of docs/theory/race.md, [`Race`][patentrace.Race] with ``n`` stages of
productivity ``n`` and breakthrough hazards ``b(i / n)``
([`DeterministicRace.poisson_race`][patentrace.DeterministicRace.poisson_race]), so
each grid is solved by [`patentrace.solve`][patentrace.solve] and its equilibrium verified by the
existing machinery.

[`solve_perfect_monitoring`][patentrace.solvers.perfect_monitoring.solve_perfect_monitoring] solves grids of increasing
size (100, 200, 400 cells
by default) and stops once the values, speeds and win probabilities at the sample
states ([`sample_states`][patentrace.solvers.perfect_monitoring.sample_states]) change by at most ``chain_tolerance``
from one grid to the
next. The error is first order in ``1 / n`` (measured: with ``b = 0`` the leader's
value at ``w = 0.5`` is 0.78913, 0.78901, 0.78895, 0.78892 on 100 to 800 cells against
0.78889 of (D3), docs/theory/deterministic.md), so the last change estimates the finest grid's error. Every grid is
recorded ([`ChainRefinement`][patentrace.ChainRefinement]) with Richardson's extrapolation
``2 f(n) - f(n / 2)`` at the sample states as a diagnostic; answers come from the
finest grid unextrapolated (extrapolation can leave ``[0, P]`` or make a speed
negative where a firm starts or stops investing).

Near the diagonal the chain has a contested band of a few cells, absent from the
limit ([`patentrace.models.experience_grid`][patentrace.models.experience_grid]): the refinement compares only sample
states
whose lead is at least [`BAND`][patentrace.models.experience_grid.BAND] cells on both grids,
and a speed cap is checked outside the band only.

Examples
--------
>>> import patentrace as pr
>>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
>>> eq = solve_perfect_monitoring(race, steps=[20, 40, 80])
>>> [r.steps for r in eq.chain_refinement], eq.follower_invests(0.5, 0.2)
([20, 40, 80], False)
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Sequence
from numbers import Integral

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import finite_real
from patentrace._version import __version__
from patentrace.equations.lone_firm import single_firm_path
from patentrace.models import DeterministicRace
from patentrace.models.experience_grid import BAND, read, speed_table
from patentrace.results.deterministic_equilibrium import SAMPLE_ROWS, ChainRefinement, DeterministicEquilibrium
from patentrace.results.equilibrium import Equilibrium, SolverInfo
from patentrace.solvers.backward import solve_race

__all__ = ["chain_gaps", "sample_states", "solve_perfect_monitoring"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
logger = logging.getLogger(__name__)

DEFAULT_STEPS = (100, 200, 400)
"""Grids solved by default: about 0.2 seconds in all with a growing hazard (0.02 s, 0.03 s, 0.12 s)."""
_MIN_STEPS = 2 * BAND


def sample_states() -> FloatArray:
    """The states at which successive grids are compared: shape ``(45, 2)``, firm 0 leading.

    The leader at ``a = 0.1, ..., 0.9`` and the follower at ``a - g`` for leads
    ``g = 0.1, 0.2, ..., a``.

    Examples
    --------
    >>> states = sample_states()
    >>> states.shape, states[:3].tolist()
    ((45, 2), [[0.1, 0.0], [0.2, 0.1], [0.2, 0.0]])
    """
    pairs = [(a / 10, (a - g) / 10) for a in range(1, 10) for g in range(1, a + 1)]
    return np.array(pairs, dtype=float)


def _sample(eq: Equilibrium, states: FloatArray) -> FloatArray:
    """The rows of ``SAMPLE_ROWS`` at ``states``, read from one chain."""
    tables = (eq.value[0], eq.value[1], speed_table(eq.effort[0]), speed_table(eq.effort[1]), eq.win_probability[0],
              eq.win_probability[1])
    return np.array([[read(table, w1, w2) for w1, w2 in states] for table in tables])


def _change(race: DeterministicRace, previous: FloatArray, current: FloatArray, compared: NDArray[np.bool_]) -> float:
    """Largest change at the compared states: values / prize, speeds / largest speed, probabilities."""
    if not compared.any():
        return math.inf
    diff = np.abs(current - previous)[:, compared]
    speed_scale = max(float(np.max(np.abs(current[2:4, compared]))), 1e-300)
    return float(max(np.max(diff[0:2]) / race.prize, np.max(diff[2:4]) / speed_scale, np.max(diff[4:6])))


def chain_gaps(eq: Equilibrium) -> IntArray:
    """At each leader cell ``a``: the largest lead ``d >= BAND`` cells at which the follower runs strictly faster.

    Firm 0 leads at ``(a, a - d)`` (the race is symmetric). 0 where the follower is
    slower (or as slow) at every lead of at least
    [`BAND`][patentrace.models.experience_grid.BAND] cells: the lead never shrinks there.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
    >>> int(chain_gaps(pr.solve(race, steps=[40]).chain).max())
    0
    """
    n = eq.model.stages[0]
    lead = np.arange(n + 1)[:, None] - np.arange(n + 1)[None, :]
    closing = (eq.effort[1] > eq.effort[0]) & (lead >= BAND)
    closing[n, :] = False
    return np.asarray(np.max(np.where(closing, lead, 0), axis=1), dtype=np.intp)


def _check_cap(race: DeterministicRace, eq: Equilibrium) -> None:
    """Refuse a race whose speed cap binds: the Poisson race has none (checked outside the contested band)."""
    if race.max_speed is None:
        return
    n = eq.model.stages[0]
    lead = np.abs(np.arange(n + 1)[:, None] - np.arange(n + 1)[None, :])
    effort = np.where(lead >= BAND, eq.effort, 0.0)
    firm, i, j = np.unravel_index(int(np.argmax(effort)), effort.shape)
    fastest = float(effort[firm, i, j])
    if fastest > race.max_speed:
        raise ValueError(
            f"max_speed={race.max_speed!r} binds: on the grid of {n} cells firm {firm}'s speed at (w1, w2) = "
            f"({i / n:.4g}, {j / n:.4g}) is {fastest:.6g}; the perfect-monitoring solver with breakthroughs "
            "has no speed cap (raise max_speed, set it to None, or use a lag > 0)"
        )


def _grid_sizes(steps: Sequence[int] | None) -> tuple[list[int], bool]:
    if steps is None:
        return list(DEFAULT_STEPS), True
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Sequence):
        raise ValueError(f"steps must be a non-empty increasing sequence of ints >= {_MIN_STEPS}, got {steps!r}")
    sizes = list(steps)
    if (not sizes or any(isinstance(s, bool) or not isinstance(s, Integral) or int(s) < _MIN_STEPS for s in sizes)
            or any(int(b) <= int(a) for a, b in itertools.pairwise(sizes))):
        raise ValueError(f"steps must be a non-empty increasing sequence of ints >= {_MIN_STEPS} "
                         f"(grid cells; the contested band is {BAND} cells), got {steps!r}")
    return [int(s) for s in sizes], False


def solve_perfect_monitoring(
    race: DeterministicRace, steps: Sequence[int] | None = None, chain_tolerance: float = 5e-3,
) -> DeterministicEquilibrium:
    """Solve the deterministic race with breakthroughs at lag 0 by refined Markov chains (docs/theory/deterministic.md).

    Parameters
    ----------
    race : DeterministicRace
        The model, with ``lag = 0`` and a ``breakthrough`` callable.
    steps : sequence of int, optional
        The grids to solve, coarsest first, each at least 20 cells. By default 100,
        200 and 400, stopping at the first grid whose change is at most ``chain_tolerance``.
        Given explicitly, every grid is solved.
    chain_tolerance : float
        Largest change between successive grids at the sample states for
        ``converged``: values relative to the prize, speeds relative to the largest
        sample speed, win probabilities as they are.

    Returns
    -------
    DeterministicEquilibrium
        With ``chain_refinement`` (every grid) and ``converged``.

    Raises
    ------
    ValueError
        If ``steps`` or ``chain_tolerance`` is bad, or if ``max_speed`` is set and some
        speed outside the contested band exceeds it (the message gives the grid, the
        state and the speed).

    Examples
    --------
    Constant discovery ``b = 0.1``: the follower idles and the leader runs the lone
    firm's path at discount ``rho = r + 2 b`` for the prize ``P (1 - b / rho)``, so at
    ``w = 0.5`` its speed is ``sqrt(2 rho P') - rho / 2 = 0.48246`` (``P = a = 1``, ``r = 0.1``):

    >>> import patentrace as pr
    >>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=lambda w: 0.1)
    >>> eq = solve_perfect_monitoring(race, steps=[40, 80])
    >>> x = eq.speed(0.5, 0.2)
    >>> bool(abs(x[0] - 0.48246) < 2e-3), bool(x[1] < 1e-12), eq.converged       # 0 to rounding
    (True, True, True)
    """
    started = time.perf_counter()
    if race.lag != 0.0 or race.breakthrough is None:
        raise ValueError(f"solve_perfect_monitoring needs lag = 0 and a breakthrough, got lag={race.lag!r}, "
                         f"breakthrough={race.breakthrough!r}")
    tol = finite_real("chain_tolerance", chain_tolerance)
    if tol < 0.0:
        raise ValueError(f"chain_tolerance must be >= 0, got {tol!r}")
    sizes, automatic = _grid_sizes(steps)
    states = sample_states()
    rows: list[ChainRefinement] = []
    for size in sizes:
        began = time.perf_counter()
        # A firm far behind without discovery has values below the float range within tens of
        # cells (its limit speed is 0): expected here, so counted in the record, not warned about.
        eq = solve_race(race.poisson_race(size), warn_underflow=False)
        seconds = time.perf_counter() - began
        _check_cap(race, eq)
        samples = _sample(eq, states)
        if rows:
            before = rows[-1]
            compared = (states[:, 0] - states[:, 1]) * before.steps >= BAND - 1e-9
            change = _change(race, before.samples, samples, compared)
            extrapolated = np.where(compared, 2.0 * samples - before.samples, samples)
        else:
            compared, change, extrapolated = np.zeros(len(states), dtype=bool), math.inf, samples
        rows.append(ChainRefinement(size, seconds, str(eq.solver.options.get("path", "")), samples, compared, change,
                                    extrapolated, int(eq.underflow.sum()), eq))
        logger.debug("perfect monitoring: %d cells in %.3f s, change %.3g", size, seconds, change)
        if automatic and change <= tol:
            break
    converged = rows[-1].change <= tol
    if automatic and not converged:
        logger.warning("perfect monitoring with breakthroughs not converged: last change %.3g > %.3g on %d cells",
                       rows[-1].change, tol, rows[-1].steps)
    finest = rows[-1].equilibrium
    several = np.argwhere(finest.multiplicity > 1)
    widest = int(np.max(np.abs(several[:, 0] - several[:, 1]))) if several.size else 0
    if widest >= BAND:
        logger.warning("perfect monitoring: the chain on %d cells has several equilibria at a lead of %d cells, "
                       "outside the contested band of %d: readings there depend on the selection rule %r",
                       finest.model.stages[0], widest, BAND, finest.solver.selection)
    options = {"chain_multiplicity": int(finest.multiplicity.max()), "chain_states_with_several": len(several),
               "chain_widest_lead_with_several": widest, "tolerance": tol, "steps": [r.steps for r in rows],
               "band": BAND, "sample_rows": list(SAMPLE_ROWS),
               "extrapolation": "Richardson at the sample states (diagnostic only)", "reading": "bilinear"}
    return DeterministicEquilibrium(
        model=race, path=single_firm_path(race), grid=None, speeds=np.zeros(0), gaps=chain_gaps(finest),
        positions=np.unique(states[:, 0]), refinement=(), converged=converged,
        solver=SolverInfo(method="Markov-chain approximation (Poisson race) on refined experience grids",
                          selection=finest.solver.selection, options=options, version=__version__,
                          seconds=time.perf_counter() - started),
        chain_refinement=tuple(rows), samples=states,
    )
