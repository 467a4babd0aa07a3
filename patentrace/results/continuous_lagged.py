"""The equilibrium of a race in periods with continuous effort, and its check (docs/lagged.md).

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=0.5))
>>> type(eq).__name__, eq.verify().max_deviation_gain < 1e-10
('ContinuousLaggedEquilibrium', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from patentrace.equations.periods_continuous import FirmTerms, deviation_payoff, state_terms
from patentrace.models import LaggedRace
from patentrace.models.lattice import open_states
from patentrace.results.equilibrium import PER_FIRM, PER_STATE, ArraySpec, LaggedEquilibrium, Verification

__all__ = ["ContinuousLaggedEquilibrium", "best_deviation", "state_check"]

FloatArray = NDArray[np.float64]

CHECK_GRID = 4001  # efforts on which every deviation is searched


def best_deviation(terms: FirmTerms, q: float, value: float) -> tuple[float, float]:
    """The best effort against rival success probability ``q`` with own value ``value``, and its payoff.

    The period payoff ``U(x)``
    ([`deviation_payoff`][patentrace.equations.periods_continuous.deviation_payoff])
    is evaluated on 4001 efforts spanning ``[0, max_effort]``; the best of them and its
    neighbours bound a bounded scalar search (``scipy.optimize.minimize_scalar``, method
    ``"bounded"``, ``xatol`` 1e-12 of the range). The larger of the two is returned.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods_continuous import terminal_values
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)[0]
    >>> x, payoff = best_deviation(terms, q=0.0, value=0.0)      # alone, with nothing to lose
    >>> x > 0 and payoff > 0
    True
    """
    from scipy.optimize import minimize_scalar  # loads on first use

    top = terms.effort.max_effort
    grid = np.linspace(0.0, top, CHECK_GRID)
    payoff = deviation_payoff(terms, grid, q, value)
    k = int(np.argmax(payoff))
    best_x, best = float(grid[k]), float(payoff[k])
    lo, hi = float(grid[max(k - 1, 0)]), float(grid[min(k + 1, grid.size - 1)])
    found = minimize_scalar(lambda x: -float(deviation_payoff(terms, x, q, value)), bounds=(lo, hi),
                            method="bounded", options={"xatol": 1e-12 * top})
    if -float(found.fun) > best:
        best_x, best = float(found.x), -float(found.fun)
    return best_x, best


def state_check(terms: tuple[FirmTerms, FirmTerms], effort: tuple[float, float],
                value: tuple[float, float]) -> tuple[float, float]:
    """Largest deviation gain and Bellman residual of a pure profile at one state (absolute).

    The gain is the best deviation payoff (``best_deviation``) minus the value; the
    residual ``|v_k - U_k(x_k)|``.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods_continuous import terminal_values, value_of
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)
    >>> q = float(terms[1].effort.probability(0.5))
    >>> v = float(value_of(terms[0], 0.0, q))            # idling against a worker: a profitable deviation exists
    >>> gain, residual = state_check(terms, (0.0, 0.5), (v, 0.0))
    >>> gain > 0.01
    True
    """
    q = (float(terms[0].effort.probability(effort[0])), float(terms[1].effort.probability(effort[1])))
    gain, residual = 0.0, 0.0
    for firm in (0, 1):
        _, best = best_deviation(terms[firm], q[1 - firm], value[firm])
        own = float(deviation_payoff(terms[firm], effort[firm], q[1 - firm], value[firm]))
        gain = max(gain, best - value[firm])
        residual = max(residual, abs(value[firm] - own))
    return gain, residual


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class ContinuousLaggedEquilibrium(LaggedEquilibrium):
    """A pure stationary equilibrium of a race in periods with continuous effort (docs/lagged.md).

    Everything a [`patentrace.LaggedEquilibrium`][patentrace.LaggedEquilibrium] holds, read the same way: ``model``
    is the race whose menus are the equilibrium efforts (firm 0's menu at stage ``i``
    lists its efforts at ``(i, 0), (i, 1), ...``, and it plays action ``j`` at ``(i, j)``;
    symmetrically for firm 1), so the jump chains, ``pr.leapfrog`` and
    ``advance_probability`` work unchanged.

    Saving and loading (``to_dict`` / ``from_dict``, ``to_xarray`` / ``from_xarray``,
    ``patentrace.save`` / ``patentrace.load``) keep both races: ``model`` and ``continuous``
    (in a dataset, the attribute ``continuous``), and the arrays ``effort`` and
    ``unresolved``. Two results are equal (``==``) when both races, the solver's record
    and every array are exactly equal. A race of continuous efforts of your own
    functions cannot be rebuilt from data: saving it is refused, naming the effort.

    Attributes
    ----------
    continuous : LaggedRace
        The race solved, with continuous effort.
    effort : ndarray, shape (2, N1 + 1, N2 + 1)
        ``effort[k, i, j]``: firm ``k``'s effort at ``(i, j)``; 0 at terminal states.
    unresolved : ndarray of int, shape (N1 + 1, N2 + 1)
        Cells of the root search where a further equilibrium could be neither bracketed
        nor excluded (0 everywhere when the search is complete).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=0.5))
    >>> eq.continuous.continuous, eq.effort.shape, int(eq.unresolved.sum())
    (True, (2, 3, 3), 0)
    >>> pr.ContinuousLaggedEquilibrium.from_dict(eq.to_dict()) == eq
    True
    """

    continuous: LaggedRace
    effort: FloatArray
    unresolved: NDArray[np.intp]

    ARRAYS: ClassVar[dict[str, ArraySpec]] = {
        "effort": (PER_FIRM, np.float64), **LaggedEquilibrium.ARRAYS, "unresolved": (PER_STATE, np.intp),
    }
    MODELS: ClassVar[dict[str, str]] = {"continuous": "LaggedRace"}

    def __post_init__(self) -> None:
        if not isinstance(self.continuous, LaggedRace) or not self.continuous.continuous:
            raise TypeError(f"continuous must be a LaggedRace with continuous effort, got {self.continuous!r}")
        super().__post_init__()

    def __repr__(self) -> str:
        n1, n2 = self.model.stages
        many = int(np.sum(self.multiplicity > 1))
        return (f"ContinuousLaggedEquilibrium(stages=({n1}, {n2}), lag={self.model.lag}, "
                f"selection={self.solver.selection!r}, states_with_several_equilibria={many})")

    def verify(self) -> Verification:
        """Largest gain from any effort at any state, and largest Bellman residual, relative to the prize.

        At every open state the period payoff is rebuilt from the stored values; each
        firm's best effort against the rival's is searched on 4001 efforts and refined by a
        bounded local optimiser (``best_deviation``); the gain is its payoff minus the
        stored value, the residual ``|v_k - U_k(x_k)|``.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=(2, 1), prize=1.0, loser_prize=0.2, discount=0.1, cost=pr.costs.Quadratic())
        >>> gain, residual = pr.solve(pr.LaggedRace.from_race(race, lag=1.0)).verify()
        >>> gain < 1e-10 and residual < 1e-12
        True
        """
        gain, residual = 0.0, 0.0
        for i, j in zip(*np.nonzero(open_states(self.continuous.stages)), strict=True):
            terms = state_terms(self.continuous, np.asarray(self.value), int(i), int(j))
            g, r = state_check(terms, (float(self.effort[0, i, j]), float(self.effort[1, i, j])),
                               (float(self.value[0, i, j]), float(self.value[1, i, j])))
            gain, residual = max(gain, g), max(residual, r)
        prize = self.continuous.prize
        return Verification(max_deviation_gain=max(gain, 0.0) / prize, max_residual=residual / prize)
