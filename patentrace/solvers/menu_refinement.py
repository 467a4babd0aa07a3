"""Finite effort menus refined until the answer of a race in periods settles (docs/lagged.md).

A [`LaggedRace`][patentrace.LaggedRace] built by
[`LaggedRace.from_race`][patentrace.LaggedRace.from_race] carries its technology and
its effort grids, so its menus can be doubled and solved again
([`patentrace.solvers.stagegame.solve_lagged`][patentrace.solvers.stagegame.solve_lagged])
until the values and win probabilities stop moving; every step is recorded.
``pr.solve(lagged, refine=True)`` calls ``refine_lagged``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from patentrace.errors import RefinementWarning, user_stacklevel
from patentrace.models import LaggedRace
from patentrace.results.equilibrium import LaggedEquilibrium
from patentrace.solvers.stagegame import MAX_PAIRS, solve_lagged

__all__ = ["refine_lagged"]


def refine_lagged(
    race: LaggedRace, selection: str = "fastest", max_pairs: int = MAX_PAIRS, tolerance: float = 1e-3,
    max_refinements: int = 3,
) -> LaggedEquilibrium:
    """Solve a lagged race on finer and finer effort menus until the answer settles.

    The race must come from [`LaggedRace.from_race`][patentrace.LaggedRace.from_race]
    (it carries its ``technology`` and ``effort_grid``). Each refinement doubles every firm's
    effort grid, inserting the midpoint of each pair of neighbouring efforts, and solves
    again (the finite menus of the race in periods, docs/lagged.md). It stops once the
    values and the win probabilities at every state have moved by at most ``tolerance``
    (relative to the prize) in each of two successive doublings (one is not enough: an
    equilibrium at an effort that both grids offer does not move at all) and against the
    grids where one firm's efforts are replaced by the midpoints of its finest grid (the
    same resolution, no interior effort in common, where such an equilibrium has to
    move). The error estimate is the larger of the last two changes and the *sum* of the
    two firms' midpoint changes. Why a sum: to first order, at one state, rounding firm
    ``k``'s effort by ``e_k`` (``|e_k| <= h/2`` on a grid of spacing ``h``) moves the answer
    by ``S_k e_k``, and moving firm ``k`` alone to its midpoints changes ``e_k`` by exactly
    ``h/2``, so that change is ``|S_k| h/2 >= |S_k e_k|``; moving both firms at once can
    cancel (two similar firms rounded the same way), which is why each is moved alone.
    Over many states the contributions can still partly cancel: the estimate is not a
    bound. After ``max_refinements`` doublings
    without settling, the finest answer is returned with a
    ``RefinementWarning``.

    Parameters
    ----------
    race : LaggedRace
        Built by ``LaggedRace.from_race``.
    selection, max_pairs
        As for ``solve_lagged``.
    tolerance : float
        Largest change, over all states, of values and win probabilities (over the prize).
    max_refinements : int
        Most doublings.

    Returns
    -------
    LaggedEquilibrium
        On the finest grid solved. ``solver.options["refinement"]`` records every step
        (efforts per firm, the change from the previous grid, whether its search was
        complete, seconds, and ``"shifted_change"``, the sum of the firms' midpoint changes,
        where the midpoint grids were solved); ``"error_estimate"`` is the larger of the last
        two changes and the shifted change,
        ``"converged"`` whether it is within ``tolerance``.

    Raises
    ------
    ValueError
        If the race has no technology to refine (a menu of actions given by hand).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> lagged = pr.LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 0.3, 1.0])
    >>> eq = refine_lagged(lagged, tolerance=0.06, max_refinements=5)
    >>> [step["efforts"][0] for step in eq.solver.options["refinement"]], eq.solver.options["converged"]
    ([3, 5, 9, 17], True)
    >>> options = eq.solver.options
    >>> [round(step["change"], 4) for step in options["refinement"][1:]], round(options["error_estimate"], 4)
    ([0.0962, 0.0587, 0.0], 0.0587)
    """
    if race.technology is None or race.effort_grid is None:
        raise ValueError("refine=True needs a LaggedRace built by LaggedRace.from_race (its technology and effort "
                         "grids); a menu of actions given by hand is the model itself and is solved as given")
    started = time.perf_counter()
    steps: list[dict[str, Any]] = []
    previous: LaggedEquilibrium | None = None
    current = race
    changes: list[float] = []
    shifted: dict[int, float] = {}  # step -> sum over firms of its change against the firm's midpoint grid

    def shift_change(eq: LaggedEquilibrium) -> float:
        # A pure equilibrium at an effort both grids offer changes by 0 under doubling, however far that
        # effort is from the model's; on the grid of the midpoints (the same resolution, no interior
        # effort in common) it has to move. Each firm is moved alone (see the docstring).
        moved = sum(_change(eq, solve_lagged(_shifted(eq.model, firm), selection=selection, max_pairs=max_pairs))
                    for firm in (0, 1))
        shifted[len(steps) - 1] = moved
        steps[-1]["shifted_change"] = moved
        return moved

    for _ in range(max_refinements + 1):
        eq = solve_lagged(current, selection=selection, max_pairs=max_pairs)
        if previous is not None:
            changes.append(_change(previous, eq))
        steps.append({"efforts": [len(g) for g in current.effort_grid or ((), ())],
                      "change": changes[-1] if previous is not None else None,
                      "complete": bool(eq.solver.options["complete"]), "seconds": eq.solver.seconds})
        if len(changes) >= 2 and max(changes[-2:]) <= tolerance and shift_change(eq) <= tolerance:
            break
        previous, current = eq, _doubled(current)
    last = len(steps) - 1
    moved = shifted[last] if last in shifted else shift_change(eq)
    change = max([*changes[-2:], moved]) if changes else math.inf
    converged = len(changes) >= 2 and change <= tolerance
    if not converged:
        warnings.warn(
            f"the effort menus did not settle after {len(steps) - 1} doubling(s): the last changed the values or win "
            f"probabilities by {change:.3g} > refine_tolerance={tolerance:g} (efforts per firm "
            f"{steps[-1]['efforts']}); raise max_refinements or refine_tolerance",
            RefinementWarning, stacklevel=user_stacklevel())
    options = {**eq.solver.options, "refine_tolerance": tolerance, "max_refinements": max_refinements,
               "refinement": steps, "error_estimate": change if math.isfinite(change) else None,
               "converged": converged}
    solver = replace(eq.solver, options=options, seconds=time.perf_counter() - started)
    return replace(eq, solver=solver)


def _change(coarse: LaggedEquilibrium, fine: LaggedEquilibrium) -> float:
    """Largest change of a value or a win probability at any state, relative to the prize."""
    value = float(np.max(np.abs(fine.value - coarse.value))) / fine.model.prize
    win = float(np.max(np.abs(fine.win_probability - coarse.win_probability)))
    return max(value, win)


def _doubled(race: LaggedRace) -> LaggedRace:
    """The same race with each firm's effort grid doubled: the midpoint of each pair of neighbours inserted."""
    assert race.technology is not None and race.effort_grid is not None
    grids = []
    for grid in race.effort_grid:
        points = np.sort(np.asarray(grid, dtype=float))
        grids.append(np.unique(np.concatenate([points, 0.5 * (points[:-1] + points[1:])])).tolist())
    return LaggedRace.from_race(race.technology, race.lag, efforts=(grids[0], grids[1]), tie=race.tie)


def _shifted(race: LaggedRace, firm: int) -> LaggedRace:
    """The same race with ``firm``'s effort grid on its midpoints, its two ends kept (the same resolution)."""
    assert race.technology is not None and race.effort_grid is not None
    grids = []
    for k, grid in enumerate(race.effort_grid):
        points = np.sort(np.asarray(grid, dtype=float))
        if k == firm:
            points = np.unique(np.concatenate([points[:1], 0.5 * (points[:-1] + points[1:]), points[-1:]]))
        grids.append(points.tolist())
    return LaggedRace.from_race(race.technology, race.lag, efforts=(grids[0], grids[1]), tie=race.tie)
