"""The equilibrium of a tug-of-war, its check, and its jump chain (docs/theory/tug-of-war.md).

A ``TugEquilibrium`` holds the efforts, hazards, values and win probabilities at
every position ``k = 0 .. K`` and what produced them. ``verify()`` checks it state by
state against the equations of the position game (patentrace.equations.tug),
independently of the solver: the HJB residual at the stored efforts, and the best
one-position deviation in effort found by a grid search refined by a local
optimiser (not the first-order condition).

The chain: from an interior position the race moves up at rate ``h0(k)`` and down
at rate ``h1(k)``: a birth-death chain. ``reach_before`` gives the chance of reaching
one position before another, ``win_probabilities`` each firm's chance of winning, and
``expected_duration`` the expected time to the end.

Examples
--------
>>> import numpy as np
>>> up, down = np.array([1.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0])   # a fair walk on 0 .. 4
>>> win_probabilities(up, down)[0].tolist()
[0.0, 0.25, 0.5, 0.75, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_banded

from patentrace.equations import tug as tug_equations
from patentrace.models.tug_of_war import TugOfWar
from patentrace.results.equilibrium import ArrayResult, ArraySpec, SolverInfo, Verification, _freeze_fields
from patentrace.results.verification import _best_deviation_value

__all__ = ["TugEquilibrium", "expected_duration", "reach_before", "win_probabilities"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _tridiagonal(down: FloatArray, diagonal: FloatArray, up: FloatArray, rhs: FloatArray) -> FloatArray:
    """Solve a tridiagonal system: row ``k`` reads ``down[k] y[k-1] + diagonal[k] y[k] + up[k] y[k+1] = rhs[k]``."""
    n = diagonal.size
    bands = np.zeros((3, n))
    bands[0, 1:] = up[:-1]
    bands[1] = diagonal
    bands[2, :-1] = down[1:]
    return np.asarray(solve_banded((1, 1), bands, rhs), dtype=float)


def reach_before(up: FloatArray, down: FloatArray, start: int, upper: int, lower: int) -> float:
    """Probability that the position chain, from ``start``, reaches ``upper`` before ``lower``.

    The chain of docs/theory/tug-of-war.md.

    The chain is a birth-death chain, so the answer is the classical ratio of sums of
    products of ``down(i) / up(i)``; it is computed in logarithms (``logaddexp``),
    so tiny probabilities keep their relative precision. A position with no step up
    is a wall that the chain cannot pass upwards; a position where nobody moves traps it.

    Parameters
    ----------
    up, down : ndarray, shape (K - 1,)
        Hazards of a step up and down at the interior positions ``1 .. K-1``
        (``up[k - 1]`` is the hazard at position ``k``).
    start, upper, lower : int
        Positions with ``0 <= lower <= start <= upper <= K``.

    Returns
    -------
    float
        1 if ``start == upper``, 0 if ``start == lower``.

    Examples
    --------
    >>> import numpy as np
    >>> reach_before(np.ones(3), np.ones(3), 1, 4, 0)    # a fair walk: start / length
    0.25
    >>> reach_before(np.array([2.0]), np.array([1.0]), 1, 2, 0)
    0.6666666666666666
    """
    if start >= upper:
        return 1.0
    if start <= lower:
        return 0.0
    ups = up[start - 1 : upper - 1]       # positions start .. upper - 1 must all step up at some point
    if not np.all(ups > 0.0):
        return 0.0
    positions = np.arange(lower + 1, start)
    walls = positions[up[positions - 1] <= 0.0]
    floor = int(walls.max()) if walls.size else lower     # below a wall the chain never returns
    inner = np.arange(floor + 1, upper)                     # positions floor + 1 .. upper - 1
    with np.errstate(divide="ignore"):
        steps = np.log(down[inner - 1]) - np.log(up[inner - 1])
    # w_j = sum_{i = floor+1}^{j} log(down(i) / up(i)), j = floor .. upper - 1 (w_floor = 0)
    weights = np.concatenate([[0.0], np.cumsum(steps)])
    below = np.logaddexp.reduce(weights[: start - floor])
    total = np.logaddexp.reduce(weights)
    return float(min(1.0, np.exp(below - total)))


def _reach_top(up: FloatArray, down: FloatArray) -> FloatArray:
    """Chance of reaching ``K`` before the race ends at 0 or stalls, from every position, shape ``(K + 1,)``.

    Below the highest position with no step up (a wall) the chance is 0; above it the
    chain lives on the segment from the wall to ``K`` and the birth-death formula holds
    with the wall absorbing.
    """
    length = up.size + 1
    result = np.zeros(length + 1)
    result[length] = 1.0
    walls = np.nonzero(up <= 0.0)[0]
    wall = int(walls[-1]) + 1 if walls.size else 0          # position of the highest wall (0: none)
    inner = np.arange(wall + 1, length)                      # wall + 1 .. K - 1
    with np.errstate(divide="ignore"):
        steps = np.log(down[inner - 1]) - np.log(up[inner - 1])
    weights = np.concatenate([[0.0], np.cumsum(steps)])      # j = wall .. K - 1
    partial = np.logaddexp.accumulate(weights)
    result[wall + 1 : length] = np.minimum(np.exp(partial[:-1] - partial[-1]), 1.0)
    return result


def win_probabilities(up: FloatArray, down: FloatArray) -> FloatArray:
    """Each firm's chance of winning from every position, shape ``(2, K + 1)`` (docs/theory/tug-of-war.md).

    Firm 0 wins on reaching ``K``, firm 1 on reaching 0; where the chain can stall
    (a position where nobody moves) the two need not add up to 1. Computed in
    logarithms, so tiny chances keep their relative precision.

    Examples
    --------
    >>> import numpy as np
    >>> win_probabilities(np.ones(3), np.ones(3)).tolist()
    [[0.0, 0.25, 0.5, 0.75, 1.0], [1.0, 0.75, 0.5, 0.25, 0.0]]
    """
    return np.array([_reach_top(up, down), _reach_top(down[::-1], up[::-1])[::-1]])


def expected_duration(up: FloatArray, down: FloatArray) -> FloatArray:
    """Expected time until the race ends, at every position, shape ``(K + 1,)`` (docs/theory/tug-of-war.md).

    ``inf`` where the race can reach a position at which nobody moves, and where the
    expected time exceeds the largest double (about 1.8e308: behind a total hazard below
    about 5.6e-309, efforts that nearly underflow); never NaN; 0 at the ends.

    Examples
    --------
    >>> import numpy as np
    >>> expected_duration(np.array([1.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0])).tolist()  # k (4 - k) / 2
    [0.0, 1.5, 2.0, 1.5, 0.0]
    """
    n = up.size
    total = up + down
    stalled = np.zeros(n + 2, dtype=bool)
    stalled[1:-1] = total <= 0.0
    # states that can reach a stall (every move has positive probability): probability of hitting it > 0
    reach = _reaches(up, down, stalled)
    out = np.zeros(n + 2)
    out[reach] = np.inf
    live = ~reach[1:-1]
    if live.any():
        safe = np.where(live, total, 1.0)
        low = np.where(live, -down / safe, 0.0)
        high = np.where(live, -up / safe, 0.0)
        # A total hazard below about 5.6e-309 (efforts that nearly underflow) has a holding time 1 / total
        # beyond the double range: then solve for the durations times 2^-_DURATION_SHIFT, exactly the same
        # arithmetic scaled by a power of two, and scale back, so a duration is inf only where it exceeds
        # the largest double.
        shift = 0 if np.all(safe >= 1.0 / np.finfo(float).max) else _DURATION_SHIFT
        rhs = np.where(live, np.ldexp(1.0, -shift) / safe, 0.0)
        # a live state never steps into a state that reaches a stall: those coefficients are 0 already
        with np.errstate(over="ignore"):
            scaled = np.ldexp(_tridiagonal(low, np.ones(n), high, rhs), shift)
        out[1:-1] = np.where(live, scaled, np.inf)
    return out


_DURATION_SHIFT = 600   # 2^-600 / 4.9e-324 (the smallest total hazard) is about 5e142: every term stays finite


def _reaches(up: FloatArray, down: FloatArray, target: BoolArray) -> BoolArray:
    """Positions from which a path of positive-probability steps leads to ``target`` (exact, no underflow)."""
    found = target.copy()
    changed = True
    while changed:
        inner = found[1:-1].copy()
        inner |= (up > 0.0) & found[2:]
        inner |= (down > 0.0) & found[:-2]
        changed = bool((inner != found[1:-1]).any())
        found[1:-1] = inner
    return found


PER_POSITION = ("position",)
PER_FIRM_POSITION = ("firm", "position")


@dataclass(frozen=True, eq=False, kw_only=True)
class TugEquilibrium(ArrayResult):
    """A Markov perfect equilibrium of a tug-of-war (docs/theory/tug-of-war.md).

    Arguments are keyword-only. Two equilibria are equal (``==``) when their models,
    solver records and every array are exactly equal. Saving and loading work as for
    the race's equilibrium: ``to_dict`` / ``from_dict`` (JSON data), ``to_xarray`` /
    ``from_xarray`` (a dataset over ``firm`` and ``position``, the model and the
    solver's record as JSON in its attributes), ``to_dataframe`` (one row per position
    and firm) and ``patentrace.save`` / ``patentrace.load`` (``.json`` or ``.nc``).
    ``underflow`` is not stored: it is recomputed from the values.

    Attributes
    ----------
    model : TugOfWar
        The race.
    effort, hazard, value, win_probability : ndarray, shape (2, K + 1)
        Firm ``f``'s effort, hazard ``lambda_f(k) x_f(k)``, value ``V_f(k)`` and chance of
        winning at every position; at the ends effort and hazard are 0, the values are
        the prizes and the win probabilities 0 or 1.
    expected_duration : ndarray, shape (K + 1,)
        Expected time until the race ends (``inf`` where it can stall).
    solver : SolverInfo
        Method, options (tolerances, continuation steps, Newton iterations), version, time.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> eq.value.shape, bool(abs(eq.win_probability[0, 2] - 0.5) < 1e-12)
    ((2, 5), True)
    >>> pr.TugEquilibrium.from_dict(eq.to_dict()) == eq
    True
    """

    model: TugOfWar
    effort: FloatArray
    hazard: FloatArray
    value: FloatArray
    win_probability: FloatArray
    expected_duration: FloatArray

    ARRAYS: ClassVar[dict[str, ArraySpec]] = {
        **dict.fromkeys(("effort", "hazard", "value", "win_probability"), (PER_FIRM_POSITION, np.float64)),
        "expected_duration": (PER_POSITION, np.float64),
    }
    STATE_DIMS: ClassVar[tuple[str, ...]] = PER_POSITION

    def __post_init__(self) -> None:
        _freeze_fields(self, tuple(self.ARRAYS), dtype=float)

    @classmethod
    def _sizes(cls, model: Any) -> dict[str, int]:
        """The length of every dimension: two firms, positions ``0 .. K``."""
        return {"firm": 2, "position": int(model.length) + 1}

    @staticmethod
    def build(model: TugOfWar, value: FloatArray, solver: SolverInfo) -> TugEquilibrium:
        """The equilibrium whose values are ``value`` (shape ``(2, K + 1)``): efforts by the first-order condition.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool((TugEquilibrium.build(eq.model, eq.value, eq.solver).effort == eq.effort).all())
        True
        """
        interior = tug_equations.efforts(model, value)
        effort = np.zeros((2, model.length + 1))
        effort[:, 1:-1] = interior
        hazard = np.zeros_like(effort)
        hazard[:, 1:-1] = model.productivity_array() * interior
        up, down = hazard[0, 1:-1], hazard[1, 1:-1]
        return TugEquilibrium(model=model, effort=effort, hazard=hazard, value=np.array(value, dtype=float),
                              win_probability=win_probabilities(up, down),
                              expected_duration=expected_duration(up, down), solver=solver)

    @property
    def underflow(self) -> BoolArray:
        """Firm-positions whose effort is 0 only because the values fell below the float range, shape ``(2, K + 1)``.

        In a long race the values far from a firm's end shrink roughly by squaring at
        every step (as for the lone firm of docs/theory/race.md), and below about 1e-300 of the
        prize they round to 0. A firm with ``c'(0) = 0`` then sees no gain from a step
        and its effort rounds to 0 although in exact arithmetic it is positive; where
        both firms' efforts underflow the chain looks stalled, so ``win_probability``
        and ``expected_duration`` there describe the rounded hazards, not the exact
        ones (``pr.solve`` warns with ``UnderflowWarning``).

        Examples
        --------
        >>> import warnings
        >>> import patentrace as pr
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", pr.UnderflowWarning)
        ...     eq = pr.solve(pr.TugOfWar(length=40, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(eq.underflow[0, 20]), bool(eq.underflow[0, 38])
        (True, False)
        """
        model = self.model
        own_next, _ = tug_equations.continuations(self.value)
        out = np.zeros(self.value.shape, dtype=bool)
        tiny = 1e-250 * model.prize
        for f in (0, 1):
            flat = float(np.asarray(model.cost[f].marginal(0.0))) == 0.0
            if flat:
                inner = self.value[f, 1:-1]
                out[f, 1:-1] = (self.effort[f, 1:-1] == 0.0) & (own_next[f] - inner <= 0.0) & (np.abs(inner) <= tiny)
        return out

    def residual(self) -> FloatArray:
        """HJB residual ``|V - V_implied|`` relative to the prize at every position, shape ``(2, K + 1)``.

        ``V_implied = [-c(x) + h_own A + h_rival B] / (r + h_own + h_rival)`` at the stored
        efforts (the HJB of docs/theory/tug-of-war.md divided by the total rate); 0 at the ends.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.TugOfWar(length=5, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(eq.residual().max() < 1e-12)
        True
        """
        model = self.model
        inner = self.effort[:, 1:-1]
        raw = tug_equations.hjb_residual(model, self.value, inner)
        total = model.discount + self.hazard[0, 1:-1] + self.hazard[1, 1:-1]
        out = np.zeros_like(self.value)
        out[:, 1:-1] = np.abs(raw) / total / model.prize
        return out

    def deviation_gain(self) -> FloatArray:
        """Best gain from a deviation in effort at one position, relative to the prize, shape ``(2, K + 1)``.

        At each interior position and for each firm, the value of exerting ``x`` now and
        then returning to the equilibrium, ``[-c(x) + lambda x A + h_rival B] / (r + lambda x + h_rival)``
        (docs/theory/tug-of-war.md), is maximised over a grid of efforts refined by a bracketed local
        optimiser, without the first-order condition; the gain is that maximum minus
        ``V``, floored at 0.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.TugOfWar(length=5, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(eq.deviation_gain().max() < 1e-12)
        True
        """
        model = self.model
        own_next, rival_next = tug_equations.continuations(self.value)
        lam = model.productivity_array()
        zeros = np.zeros(model.interior)
        spread = model.prize - min(model.loser_prize, 0.0)
        out = np.zeros_like(self.value)
        for f in (0, 1):
            best = _best_deviation_value(
                model.cost[f], model.discount, lam[f], own_next[f], rival_next[f], self.hazard[1 - f, 1:-1],
                self.effort[f, 1:-1], spread, (zeros, zeros, model.prize, model.loser_prize),
            )
            out[f, 1:-1] = np.maximum(best - self.value[f, 1:-1], 0.0) / model.prize
        return out

    def verify(self) -> Verification:
        """Largest deviation gain and largest HJB residual over all positions, relative to the prize.

        Examples
        --------
        >>> import patentrace as pr
        >>> check = pr.solve(pr.TugOfWar(length=6, prize=1.0, discount=0.05, cost=pr.costs.Quadratic())).verify()
        >>> check.max_deviation_gain < 1e-10, check.max_residual < 1e-10
        (True, True)
        """
        return Verification(float(self.deviation_gain().max()), float(self.residual().max()))
