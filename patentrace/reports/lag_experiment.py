"""The lag experiment: one technology, several information lags (docs/theory/periods.md).

FGST's second route to competition is imperfect monitoring. To ask whether a
longer lag helps the firm behind, the technology per unit of time must stay fixed
while the lag changes: [`from_race`][patentrace.LaggedRace.from_race] builds each lagged
race from the same [`Race`][patentrace.Race] (Poisson stage completions, flow
costs over the period), by default with a continuous effort choice, so that no
effort grid shapes the answer. [`lag_experiment`][patentrace.lag_experiment] solves one race per lag and
collects, at a state, the follower's chances with an error estimate, and the
preemption region (docs/lagged.md, "Comparing lags: the recommended way").

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.05))
>>> result = lag_experiment(race, lags=[0.25, 1.0], efforts=[0.0, 0.2, 0.4, 0.6], state=(0, 1))
>>> result.follower
0
>>> result.follower_win_probability.shape
(2,)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.models import LaggedRace, Race
from patentrace.reports.leapfrog import leapfrog
from patentrace.results.continuous_lagged import ContinuousLaggedEquilibrium
from patentrace.results.equilibrium import LaggedEquilibrium
from patentrace.solvers import solve
from patentrace.solvers.periods_continuous import solve_continuous

__all__ = ["LagExperiment", "lag_experiment"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LagExperiment:
    """The follower's chances at one state, lag by lag, for a fixed technology.

    Attributes
    ----------
    race : Race
        The technology.
    state : (int, int)
        Where the follower stands.
    follower : int
        The firm with more stages left at ``state``.
    lags : ndarray
        The period lengths, in increasing order.
    follower_win_probability, leapfrog_probability, catch_up_probability, tie_probability : ndarray
        One entry per lag (docs/theory/leapfrog.md, ties counted apart).
    follower_advance_probability : ndarray
        Probability that the follower advances in the first period.
    preemption_states : ndarray of int
        Number of open states where the firm behind does not invest, per lag.
    epsilon_preemption : ndarray of bool
        Whether every one-stage lead is decisive, per lag.
    equilibria : list of LaggedEquilibrium
        The solved races.
    follower_win_error : ndarray or None
        With continuous effort, the error estimate of ``follower_win_probability``, per
        lag: its change when every state's equilibrium is taken at the far end of its
        final root bracket instead of the root estimate (docs/lagged.md, "The error of a
        continuous solve"). None with a menu, whose error is the menu's (refine it).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> experiment = pr.lag_experiment(race, [0.5, 2.0])
    >>> experiment.follower, experiment.lags, experiment.trend()
    (0, array([0.5, 2. ]), 'falls')
    """

    race: Race
    state: tuple[int, int]
    follower: int
    lags: FloatArray
    follower_win_probability: FloatArray
    leapfrog_probability: FloatArray
    catch_up_probability: FloatArray
    tie_probability: FloatArray
    follower_advance_probability: FloatArray
    preemption_states: NDArray[np.intp]
    epsilon_preemption: NDArray[np.bool_]
    equilibria: list[LaggedEquilibrium] = field(repr=False)
    follower_win_error: FloatArray | None = None

    def __str__(self) -> str:
        header = (f"{'lag':>8} {'advances':>9} {'wins':>9} {'leapfrogs':>10} {'catches up':>11} "
                  f"{'tie':>9} {'preempted':>10} {'eps-preemption':>15}")
        if self.follower_win_error is not None:
            header += f" {'win error':>10}"
        rows = [f"Follower: firm {self.follower} at state {self.state}", header]
        for k, lag in enumerate(self.lags):
            rows.append(
                f"{lag:8.3g} {self.follower_advance_probability[k]:9.4f} {self.follower_win_probability[k]:9.4f} "
                f"{self.leapfrog_probability[k]:10.4f} {self.catch_up_probability[k]:11.4f} "
                f"{self.tie_probability[k]:9.4f} {int(self.preemption_states[k]):10d} "
                f"{'yes' if self.epsilon_preemption[k] else 'no':>15}"
                + ("" if self.follower_win_error is None else f" {self.follower_win_error[k]:10.1e}")
            )
        return "\n".join(rows)

    def trend(self, name: str = "follower_win_probability") -> str:
        """How a measure moves as the lag grows: ``"rises"``, ``"falls"``, ``"flat"`` or ``"not monotone"``.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> experiment = pr.lag_experiment(race, [0.5, 2.0])
        >>> experiment.trend(), experiment.trend("tie_probability")
        ('falls', 'rises')
        """
        values = np.asarray(getattr(self, name), dtype=float)
        steps = np.diff(values)
        if np.all(np.abs(steps) <= 1e-12):
            return "flat"
        if np.all(steps >= -1e-12):
            return "rises"
        if np.all(steps <= 1e-12):
            return "falls"
        return "not monotone"


def lag_experiment(
    race: Race,
    lags: Sequence[float],
    efforts: Any = None,
    state: tuple[int, int] = (0, 1),
    **solve_options: Any,
) -> LagExperiment:
    """Solve ``race``'s technology at each lag and report the follower's chances at ``state``.

    Parameters
    ----------
    race : Race
        The technology per unit of time.
    lags : sequence of float
        Period lengths ``> 0``.
    efforts : None, sequence of float, or a pair
        None (default): continuous effort, every pure equilibrium of each state found
        and each lag's follower win probability given with an error estimate
        (docs/lagged.md). Otherwise the effort grid offered in every period (see
        ``LaggedRace.from_race``): the answer then depends on the grid.
    state : (int, int)
        A state where one firm is behind.
    **solve_options
        Passed to [`patentrace.solve`][patentrace.solve].

    Returns
    -------
    LagExperiment

    Raises
    ------
    ValueError
        If ``lags`` is empty or ``state`` has no follower.

    Examples
    --------
    With continuous effort (the default) the firm behind keeps investing at every lag:

    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> experiment = pr.lag_experiment(race, [0.5, 2.0], state=(0, 1))
    >>> experiment.follower_win_probability.round(4), bool(experiment.follower_win_error.max() < 1e-7)
    (array([0.1275, 0.0691]), True)

    A coarse effort grid of the same technology gets it wrong: the firm behind is forced
    to idle at both lags, and at the longer one even a finer grid has it idle.

    >>> experiment = pr.lag_experiment(race, [0.5, 2.0], efforts=[0.0, 0.5, 1.0], state=(0, 1))
    >>> experiment.follower_win_probability.round(4), experiment.preemption_states.tolist()
    (array([0., 0.]), [2, 2])
    >>> finer = pr.lag_experiment(race, [0.5, 2.0], efforts=[0.0, 0.25, 0.5, 1.0], state=(0, 1))
    >>> finer.follower_win_probability.round(4)
    array([0.1281, 0.    ])
    """
    order = np.sort(np.asarray(list(lags), dtype=float))
    if order.size == 0:
        raise ValueError("lags must hold at least one period length")
    models = [LaggedRace.from_race(race, float(lag), efforts) for lag in order]
    equilibria = [solve(model, **solve_options) for model in models]
    reports = [leapfrog(eq, state) for eq in equilibria]
    if reports[0].follower is None:
        raise ValueError(f"state {state} has no follower: both firms have the same number of stages left")
    follower = reports[0].follower
    error = None
    if efforts is None:
        selection = solve_options.get("selection", "fastest")
        error = np.array([_win_error(model, eq, report.follower_win_probability, state, selection)
                          for model, eq, report in zip(models, equilibria, reports, strict=True)], dtype=np.float64)
    i, j = reports[0].state
    return LagExperiment(
        race=race,
        state=(int(i), int(j)),
        follower=follower,
        lags=order,
        follower_win_probability=np.array([r.follower_win_probability for r in reports], dtype=float),
        leapfrog_probability=np.array([r.leapfrog_probability for r in reports], dtype=float),
        catch_up_probability=np.array([r.catch_up_probability for r in reports], dtype=float),
        tie_probability=np.array([r.tie_probability for r in reports]),
        follower_advance_probability=np.array([eq.advance_probability()[follower, i, j] for eq in equilibria]),
        preemption_states=np.array([int(r.preemption_region.sum()) for r in reports], dtype=np.intp),
        epsilon_preemption=np.array([r.epsilon_preemption for r in reports]),
        equilibria=equilibria,
        follower_win_error=error,
    )


def _win_error(model: LaggedRace, eq: LaggedEquilibrium, win: float | None, state: tuple[int, int],
               selection: str) -> float:
    """Error estimate of the follower's win probability for one lag (docs/lagged.md).

    Continuous effort: the change of the win probability when every state's equilibrium is
    taken at the far end of its root bracket, shrunk to 1e-12 of the effort range. A race
    solved on refined menus (an irregular technology): the last refinement's change of
    the win probabilities.
    """
    if not isinstance(eq, ContinuousLaggedEquilibrium):
        steps = eq.solver.options.get("menu_steps", [(0, float("inf"))])
        return float(steps[-1][1])
    far = leapfrog(solve_continuous(model, selection=selection, far_ends=True), state).follower_win_probability
    return abs(float(win or 0.0) - float(far or 0.0))
