"""Checking an equilibrium without trusting the solver (SPEC.md §5).

Two checks, both from the HJB of SPEC §1 and the stored arrays alone:

- **deviation gain**: at each open state, each firm's value ``V(x)`` (rival's hazard
  and continuation values held fixed) is maximised over its own effort by a grid
  search and a bracketed local optimiser, not through the first-order condition;
  the gain over the stored value is what a one-state deviation would earn;
- **HJB residual**: ``r V - [-c(x) + h (A - V) + h' (B - V)]`` at the stored effort and
  value, relative to the size of its terms.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> float(deviation_gain(eq).max()) < 1e-12, float(hjb_residual(eq).max()) < 1e-12
(True, True)
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import elementwise

from patentrace.equations import hjb
from patentrace.models import Race
from patentrace.models.costs import Cost
from patentrace.models.lattice import open_states

__all__ = ["deviation_gain", "hjb_residual"]

_FLOAT_FLOOR = 1e-290  # of the prize: below it a value has left the float range (as in the solvers)

FloatArray = NDArray[np.float64]


class Solved(Protocol):
    """What the checks read of a solved race: the model and the per-state arrays."""

    @property
    def model(self) -> Race: ...

    @property
    def effort(self) -> FloatArray: ...

    @property
    def hazard(self) -> FloatArray: ...

    @property
    def value(self) -> FloatArray: ...

# Effort grid of the deviation search, as fractions of the search range: dense near
# zero (far-behind efforts are tiny) and uniform across the range.
_SEARCH = np.unique(np.concatenate([[0.0], np.geomspace(1e-12, 1.0, 48), np.linspace(0.0, 1.0, 65)]))


def _best_deviation_value(
    cost: Cost,
    discount: float,
    productivity: FloatArray,
    own_next: FloatArray,
    rival_next: FloatArray,
    rival_hazard: FloatArray,
    effort: FloatArray,
    spread: float,
    jumps: tuple[FloatArray, FloatArray, float, float],
) -> FloatArray:
    """Largest value ``V(x)`` (SPEC §1) over own effort, found without the first-order condition.

    Efforts whose marginal cost exceeds ``lambda * spread`` cannot pay, so the
    search covers ``[0, max(that, 2 * effort)]`` with a grid, then refines the
    best grid point with a bracketed minimiser of ``-V``. ``jumps`` holds the own and
    rival breakthrough hazards, the prize and the loser prize (SPEC §1).
    """
    own_jump, rival_jump, prize, loser = jumps

    def payoff(
        x: FloatArray, lam: FloatArray, a: FloatArray, b: FloatArray, h: FloatArray, bo: FloatArray, br: FloatArray
    ) -> FloatArray:
        return hjb.flow_value(cost, x, lam, a, b, h, discount, own_breakthrough=bo, rival_breakthrough=br,
                              prize=prize, loser_prize=loser)

    top = np.maximum(cost.inverse_marginal(productivity * spread), 2.0 * effort)
    top = np.where(top > 0.0, top, 1.0)
    trial = top[:, None] * _SEARCH[None, :]
    on_grid = payoff(trial, productivity[:, None], own_next[:, None], rival_next[:, None], rival_hazard[:, None],
                     own_jump[:, None], rival_jump[:, None])
    best = np.argmax(on_grid, axis=1)
    rows = np.arange(best.size)
    inner = np.clip(best, 1, _SEARCH.size - 2)
    local = elementwise.find_minimum(
        lambda x, lam, a, b, h, bo, br: -payoff(x, lam, a, b, h, bo, br),
        (trial[rows, inner - 1], trial[rows, inner], trial[rows, inner + 1]),
        args=(productivity, own_next, rival_next, rival_hazard, own_jump, rival_jump),
    )
    refined = np.where(local.success, -np.asarray(local.f_x), -np.inf)
    return np.asarray(np.maximum(on_grid[rows, best], refined))


def deviation_gain(eq: Solved) -> FloatArray:
    """Best gain from a one-state deviation in effort, per firm and state (absolute).

    At each open state and for each firm, the value ``V(x)`` of SPEC §1 (rival's
    hazard and continuation values fixed) is maximised over a grid of efforts
    from 0 to a search bound, then refined by a bracketed local optimiser
    (``scipy.optimize.elementwise.find_minimum``). The bound is where the
    marginal cost reaches ``lambda (P - min(L, 0))``, above which no effort can
    pay, or twice the equilibrium effort if larger.

    Returns
    -------
    ndarray, shape (2, N1 + 1, N2 + 1)
        ``max_x V(x) - value`` floored at 0; 0 at terminal states.
    """
    race = eq.model
    i, j = np.nonzero(open_states(race.stages))
    own_next, rival_next = hjb.continuation(eq.value, i, j)
    productivity = np.stack([race.productivity_array(0)[i], race.productivity_array(1)[j]])
    jumps = np.stack([race.breakthrough_array(0)[i], race.breakthrough_array(1)[j]])
    spread = race.prize - min(race.loser_prize, 0.0)
    gain = np.zeros_like(eq.value)
    for firm in (0, 1):
        i_open = (i, j)
        best = _best_deviation_value(
            race.cost[firm], race.discount, productivity[firm], own_next[firm], rival_next[firm],
            eq.hazard[1 - firm][i_open], eq.effort[firm][i_open], spread,
            (jumps[firm], jumps[1 - firm], race.prize, race.loser_prize),
        )
        gain[firm][i_open] = np.maximum(best - eq.value[firm][i_open], 0.0)
    return gain



def hjb_residual(eq: Solved) -> FloatArray:
    """HJB residual per firm and state, relative to the size of its terms.

    Returns
    -------
    ndarray, shape (2, N1 + 1, N2 + 1)
        ``|r V - [-c(x) + h (A - V) + h' (B - V)]| / (|r V| + c(x) + h |A - V| + h' |B - V|)``;
        0 at terminal states. Terms far behind can fall into the subnormal range, where a
        double keeps only a few digits; the denominator is therefore at least
        ``1e-290 P``, the float floor below which values count as underflow
        (:attr:`Equilibrium.underflow <patentrace.Equilibrium.underflow>`).
    """
    race = eq.model
    i, j = np.nonzero(open_states(race.stages))
    own_next, rival_next = hjb.continuation(eq.value, i, j)
    productivity = np.stack([race.productivity_array(0)[i], race.productivity_array(1)[j]])
    jumps = np.stack([race.breakthrough_array(0)[i], race.breakthrough_array(1)[j]])
    out = np.zeros_like(eq.value)
    for firm in (0, 1):
        v, x = eq.value[firm, i, j], eq.effort[firm, i, j]
        h, h_rival = eq.hazard[firm, i, j], eq.hazard[1 - firm, i, j]
        a, b = own_next[firm], rival_next[firm]
        b_own, b_rival = jumps[firm], jumps[1 - firm]
        raw = hjb.hjb_residual(race.cost[firm], v, x, productivity[firm], a, b, h_rival, race.discount,
                               own_breakthrough=b_own, rival_breakthrough=b_rival, prize=race.prize,
                               loser_prize=race.loser_prize)
        size = race.discount * np.abs(v) + race.cost[firm].value(x) + h * np.abs(a - v) + h_rival * np.abs(b - v)
        size = size + b_own * np.abs(race.prize - v) + b_rival * np.abs(race.loser_prize - v)
        out[firm, i, j] = np.abs(raw) / np.maximum(size, _FLOAT_FLOOR * race.prize)
    return out
