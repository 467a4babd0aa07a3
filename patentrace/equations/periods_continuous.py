"""One period of a race in periods with continuous effort, at one state (docs/theory/periods.md).

Firm ``k`` chooses an effort ``x``, pays ``c_k(x)`` now and completes one stage in the
period with probability ``p = p_k(x)``; with a breakthrough probability ``b_k`` it crosses
the finish line whatever it does. Its advance over the period has the distribution

    D_k(p) = base_k + p slope_k,   base_k = (1 - b_k) e_0 + b_k e_left,   slope_k = (1 - b_k)(e_1 - e_0),

affine in its own success probability. With the values of later states known (the
outcome payoffs ``W_k[d_k, d_o]``, the self-loop left out) and the rival's success
probability ``q``, firm ``k``'s payoff in the period game ``M_k(v_k)`` of the race in
periods is

    U_k(x) = -c(x) + phi_a + p(x) phi_b + kappa (1 - p(x)) v_k,

    phi_a = beta base_k' W_k D_o(q),   phi_b = beta slope_k' W_k D_o(q),
    kappa = beta (1 - b_k)(1 - b_o)(1 - q),

where ``v_k`` is the firm's own value at this very state (the self-loop). At an
equilibrium ``v_k = U_k(x_k)``. For a regular technology (``c`` convex, ``p`` concave,
``rho = c'/p'`` strictly increasing) eliminating ``v_k`` with the first-order condition
``c'(x) = p'(x) (phi_b - kappa v_k)`` leaves one equation in the firm's own effort,

    G(x) := rho(x) (1 - kappa (1 - p(x))) - kappa c(x)  =  phi_b - kappa (phi_a + phi_b),

whose left side increases (``G' = rho' (1 - kappa (1 - p)) > 0``): the best response is
its unique root, ``0`` where ``G(0)`` already exceeds the right side, and ``max_effort``
where ``G(max_effort)`` falls short of it (docs/lagged.md, "Continuous effort"). This is
the period analogue of equation (1) of the continuous-time race; as the lag shrinks it
becomes (1).

Examples
--------
One stage each, quadratic cost: both firms' terms at the start.

>>> import patentrace as pr
>>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), lag=0.5)
>>> terms = state_terms(race, terminal_values(race), 0, 0)
>>> round(terms[0].a1, 12), round(terms[0].b0, 6)    # shirking: the rival's success is a loss (L = 0)
(0.0, 0.951229)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patentrace.equations.periods import outcomes, terminal_values
from patentrace.models import LaggedRace
from patentrace.models.effort import ContinuousEffort

__all__ = ["FirmTerms", "best_response_gap", "deviation_payoff", "state_terms", "terminal_values", "value_of"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FirmTerms:
    """Firm ``k``'s period payoff at a state, as affine functions of the rival's success probability ``q``.

    ``phi_a = a0 + a1 q``, ``phi_b = b0 + b1 q``, ``kappa = loop (1 - q)`` (module docstring).

    Attributes
    ----------
    a0, a1, b0, b1, loop : float
        The coefficients.
    effort : ContinuousEffort
        The firm's technology at its stage.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 0.5)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)[0]
    >>> float(terms.kappa(0.0)) == race.discount_factor        # nobody advances: the period repeats
    True
    """

    a0: float
    a1: float
    b0: float
    b1: float
    loop: float
    effort: ContinuousEffort

    def phi(self, q: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """``(phi_a, phi_b)`` against the rival's success probability ``q``.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
        >>> terms = state_terms(race, terminal_values(race), 0, 0)[0]
        >>> [round(float(v), 6) for v in terms.phi(1.0)]     # the rival surely wins, unless both do (a tie)
        [0.0, 0.452419]
        """
        q = np.asarray(q, dtype=float)
        return self.a0 + self.a1 * q, self.b0 + self.b1 * q

    def kappa(self, q: ArrayLike) -> FloatArray:
        """``beta (1 - b_k)(1 - b_o)(1 - q)``: the discounted probability of the self-loop when ``p = 0``.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
        >>> float(state_terms(race, terminal_values(race), 0, 0)[0].kappa(1.0))
        0.0
        """
        return np.asarray(self.loop * (1.0 - np.asarray(q, dtype=float)))


def _distribution(race: LaggedRace, firm: int, stage: int) -> tuple[FloatArray, FloatArray]:
    """``(base, slope)`` of firm ``firm``'s advance distribution at ``stage`` (module docstring)."""
    left = race.stages[firm] - stage
    b = race.breakthrough[firm][stage]
    base, slope = np.zeros(left + 1), np.zeros(left + 1)
    base[0] += 1.0 - b
    base[left] += b
    slope[0] -= 1.0 - b
    slope[1] += 1.0 - b
    return base, slope


def state_terms(race: LaggedRace, value: FloatArray, i: int, j: int) -> tuple[FirmTerms, FirmTerms]:
    """Both firms' ``FirmTerms`` at open state ``(i, j)``, given the values of later states.

    Parameters
    ----------
    race : LaggedRace
        A race with continuous effort.
    value : ndarray, shape (2, N1 + 1, N2 + 1)
        Values, filled at every state after ``(i, j)``.
    i, j : int
        The state.

    Returns
    -------
    (FirmTerms, FirmTerms)

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> first, second = state_terms(race, terminal_values(race), 0, 0)
    >>> (first.a0, first.b0, first.b1) == (second.a0, second.b0, second.b1)    # a symmetric race
    True
    """
    base1, slope1 = _distribution(race, 0, i)
    base2, slope2 = _distribution(race, 1, j)
    result = outcomes(race, value, i, j, (base1.size, base2.size))
    beta = race.discount_factor
    loop = beta * (1.0 - race.breakthrough[0][i]) * (1.0 - race.breakthrough[1][j])
    own = result.payoff[0], result.payoff[1].T
    dists = ((base1, slope1), (base2, slope2))
    out = []
    for firm, stage in ((0, i), (1, j)):
        (base, slope), (rival_base, rival_slope) = dists[firm], dists[1 - firm]
        w = own[firm]
        out.append(FirmTerms(
            a0=float(beta * base @ w @ rival_base), a1=float(beta * base @ w @ rival_slope),
            b0=float(beta * slope @ w @ rival_base), b1=float(beta * slope @ w @ rival_slope),
            loop=float(loop), effort=race.efforts[firm][stage],
        ))
    return out[0], out[1]


def best_response_gap(terms: FirmTerms, effort: ArrayLike, q: ArrayLike) -> FloatArray:
    """``p'(x) (G(x) - right side)``, scaled to order one: its sign says whether ``x`` is above the best response.

    Increasing through zero at the best response for a regular technology (module
    docstring); multiplying by ``p' > 0`` avoids dividing by it, and dividing by the
    sum of the magnitudes of the terms makes the tolerance of a root search relative.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)[0]
    >>> bool(best_response_gap(terms, 0.0, 0.5) < 0 < best_response_gap(terms, terms.effort.max_effort, 0.5))
    True
    """
    x = np.asarray(effort, dtype=float)
    q = np.asarray(q, dtype=float)
    tech = terms.effort
    phi_a, phi_b = terms.phi(q)
    kappa = terms.kappa(q)
    p, slope = tech.probability(x), tech.success_slope(x)
    c, marginal = tech.period_cost(x), tech.cost_slope(x)
    target = phi_b - kappa * (phi_a + phi_b)
    lhs = marginal * (1.0 - kappa * (1.0 - p))
    rhs = slope * (kappa * c + target)
    scale = np.abs(lhs) + slope * (kappa * np.abs(c) + np.abs(phi_b) + kappa * (np.abs(phi_a) + np.abs(phi_b)))
    return np.asarray((lhs - rhs) / np.maximum(scale, 1e-300))


def value_of(terms: FirmTerms, effort: ArrayLike, q: ArrayLike) -> FloatArray:
    """The firm's value when it plays ``x`` every period at this state and the rival succeeds with ``q``.

    ``v = (-c(x) + phi_a + p phi_b) / (1 - kappa (1 - p))``, the self-loop value equation.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)[0]
    >>> float(value_of(terms, 0.0, 0.0))      # nobody ever works: nobody wins
    0.0
    """
    x = np.asarray(effort, dtype=float)
    tech = terms.effort
    phi_a, phi_b = terms.phi(q)
    p = tech.probability(x)
    return np.asarray((-tech.period_cost(x) + phi_a + p * phi_b) / (1.0 - terms.kappa(q) * (1.0 - p)))


def deviation_payoff(terms: FirmTerms, effort: ArrayLike, q: float, value: float) -> FloatArray:
    """``U_k(x) = -c(x) + phi_a + p(x) phi_b + kappa (1 - p(x)) v``: one period of effort ``x``, then ``value``.

    The payoff of the period game ``M_k(v_k)`` (docs/theory/periods.md) for a
    continuous effort; at an equilibrium no effort beats ``v_k``.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.LaggedRace.from_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> terms = state_terms(race, terminal_values(race), 0, 0)[0]
    >>> v = float(value_of(terms, 0.3, 0.2))
    >>> bool(abs(deviation_payoff(terms, 0.3, 0.2, v) - v) < 1e-15)      # the value equation
    True
    """
    x = np.asarray(effort, dtype=float)
    tech = terms.effort
    phi_a, phi_b = terms.phi(q)
    p = tech.probability(x)
    return np.asarray(-tech.period_cost(x) + phi_a + p * phi_b + terms.kappa(q) * (1.0 - p) * value)
