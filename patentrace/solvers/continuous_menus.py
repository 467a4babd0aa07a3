"""Continuous effort on finite menus: the realised menus, and the fallback for irregular technologies (docs/lagged.md).

A race in periods with continuous effort becomes a race on finite menus of actions in
two ways: on an even grid of each stage's efforts (``menu_race``, a second path to the
continuous answer and the fallback where pure equilibria need not exist,
``solve_irregular``), and on the efforts its continuous equilibrium plays
(``realised_menus``), whose jump chains the reports read.

Examples
--------
>>> import patentrace as pr
>>> race = pr.LaggedRace.from_race(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
>>> [len(menu) for menu in menu_race(race, 5).menus[0]]
[5, 5]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.models import Action, LaggedRace
from patentrace.models.effort import ContinuousEffort
from patentrace.results.equilibrium import LaggedEquilibrium, SolverInfo

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["IrregularTechnologyWarning", "menu_race", "realised_menus", "solve_irregular"]


class IrregularTechnologyWarning(UserWarning):
    """A technology outside the conditions under which every pure equilibrium is found (docs/lagged.md)."""


def menu_race(race: LaggedRace, points: int) -> LaggedRace:
    """The same technology on a finite menu: ``points`` efforts evenly spaced on ``[0, max_effort]``.

    Each effort ``x`` becomes an action costing ``c(x)`` that advances one stage with
    probability ``p(x)``: the race in periods of docs/theory/periods.md with a menu, solved
    by support enumeration. A second path to the continuous answer, and the fallback for
    irregular technologies.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> menu = menu_race(race, 3).menus[0][0]
    >>> [a.cost for a in menu][0], len(menu)
    (0.0, 3)
    """
    return _race_on_menus(race, lambda firm, stage, tech: np.linspace(0.0, tech.max_effort, points))


def solve_irregular(race: LaggedRace, selection: str = "fastest", points: tuple[int, ...] = (11, 21, 41),
                    tolerance: float = 1e-3, reason: str | None = None) -> LaggedEquilibrium:
    """A race whose technology is not regular, solved on menus refined until the win probabilities settle.

    The menus of ``menu_race`` with ``points[0], points[1], ...`` efforts are solved by
    support enumeration (mixed equilibria included) until the largest change of the win
    probabilities is below ``tolerance``; the finest menu solved is returned, and
    ``solver.options["menu_steps"]`` records every step ``(points, change)``. A warning
    names the firms and stages whose technology is irregular, or gives ``reason`` (a
    state where no pure equilibrium was found).

    Examples
    --------
    >>> import warnings, numpy as np
    >>> import patentrace as pr
    >>> linear = pr.ContinuousEffort(cost=lambda x: 0.1 * x, success=lambda x: 0.5 * x, max_effort=1.0)
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=linear)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     eq = pr.solve(race)
    >>> caught[0].category.__name__, eq.solver.options["menu_steps"][0][0]
    ('IrregularTechnologyWarning', 11)
    """
    from patentrace.solvers.stagegame import solve_lagged  # the menu solver

    bad = [(k, i) for k in (0, 1) for i, tech in enumerate(race.efforts[k]) if not tech.regular]
    why = reason or (f"the technology of (firm, stage) {bad} is not regular (cost convex and non-decreasing, c'/p' "
                     "strictly increasing), so not every equilibrium can be certified from first-order conditions")
    warnings.warn(f"continuous effort: {why}; solving on refined menus of {list(points)} efforts instead",
                  IrregularTechnologyWarning, stacklevel=3)
    steps: list[tuple[int, float]] = []
    previous: LaggedEquilibrium | None = None
    for count in points:
        eq = solve_lagged(menu_race(race, count), selection=selection)
        change = float("inf") if previous is None else float(np.max(np.abs(eq.win_probability
                                                                           - previous.win_probability)))
        steps.append((count, change))
        previous = eq
        if change < tolerance:
            break
    assert previous is not None
    # lists, not tuples: the record is JSON data, equal after a save and a load
    options = {**previous.solver.options, "menu_steps": [[n, change] for n, change in steps],
               "irregular": [[k, i] for k, i in bad]}
    return LaggedEquilibrium(
        model=previous.model, strategy=previous.strategy, value=previous.value,
        win_probability=previous.win_probability, tie_probability=previous.tie_probability,
        expected_duration=previous.expected_duration, multiplicity=previous.multiplicity,
        degenerate=previous.degenerate,
        solver=SolverInfo(method="refined menu (irregular continuous effort)", selection=selection,
                          options=options, version=__version__, seconds=previous.solver.seconds),
    )


def realised_menus(race: LaggedRace, effort: FloatArray) -> LaggedRace:
    """The race in periods whose menus hold each state's equilibrium efforts, as actions.

    Firm 0's menu at stage ``i`` lists its efforts at ``(i, 0), (i, 1), ...``; firm 1's at
    stage ``j`` its efforts at ``(0, j), (1, j), ...``. Playing action ``j`` (resp. ``i``) at
    ``(i, j)`` is the continuous equilibrium, so the jump chains and reports of menu
    races read it unchanged.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> menus = realised_menus(race, pr.solve(race).effort).menus
    >>> [len(m) for m in menus[0]], [len(m) for m in menus[1]]
    ([1, 1], [2])
    """
    n1, n2 = race.stages

    def realised(firm: int, stage: int, tech: ContinuousEffort) -> FloatArray:
        return effort[firm, stage, :n2] if firm == 0 else effort[firm, :n1, stage]

    return _race_on_menus(race, realised)


def _race_on_menus(race: LaggedRace, efforts_at: Callable[[int, int, ContinuousEffort], FloatArray]) -> LaggedRace:
    """The race in periods whose menu at firm ``k``'s stage ``i`` holds ``efforts_at(k, i, tech)`` as actions.

    Each effort ``x`` of the stage's technology ``tech`` becomes an action costing
    ``c(x)`` (at least 0) that advances one stage with probability ``p(x)`` (clipped to
    ``[0, 1]``); the rest of the race (prizes, lag, ties, breakthroughs) is kept.
    """
    menus = []
    for firm, count in enumerate(race.stages):
        stages = []
        for stage in range(count):
            tech = race.efforts[firm][stage]
            x = efforts_at(firm, stage, tech)
            p = np.clip(tech.probability(x), 0.0, 1.0)
            cost = np.maximum(tech.period_cost(x), 0.0)
            stages.append(tuple(Action(cost=float(c), progress={0: 1.0 - float(s), 1: float(s)})
                                for c, s in zip(cost, p, strict=True)))
        menus.append(tuple(stages))
    return LaggedRace(stages=race.stages, prize=race.prize, lag=race.lag, discount=race.discount,
                      actions=(menus[0], menus[1]), loser_prize=race.loser_prize, tie=race.tie,
                      breakthrough=race.breakthrough)
