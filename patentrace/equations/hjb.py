"""The per-state equations of the Poisson race (docs/theory/race.md (2), the HJB).

At an open state, with continuation values ``A_k`` (own success) and ``B_k``
(rival success), a firm that exerts effort ``x`` against a rival hazard ``h``
earns

    V(x) = [-c(x) + lambda x A + h B] / (r + lambda x + h),

the HJB ``r V = -c(x) + lambda x (A - V) + h (B - V)`` solved for ``V``. Its
maximiser is the best response of docs/theory/race.md (1). Solvers use these to build
an equilibrium; [`patentrace.Equilibrium.verify`][patentrace.Equilibrium.verify] uses them to check one.

Breakthroughs (docs/theory/race.md (14)-(15)): with own and rival outright-win hazards ``b, b'`` the
HJB gains ``b (P - V) + b' (L - V)``. A [`FirmProblem`][patentrace.equations.hjb.FirmProblem] takes
them as fields that default to 0, entering as additive terms that are exactly 0 then.
Written with ``R = r + b + b'`` and ``K = (b P + b' L) / R`` the HJB reads
``R (V - K) = -c + h_own ((A - K) - (V - K)) + h ((B - K) - (V - K))``: the state
game without breakthroughs at discount ``R`` with every value shifted by ``K``
([`breakthrough_shift`][patentrace.equations.hjb.breakthrough_shift]). The solvers use that form; verification uses the
direct one.

Examples
--------
>>> from patentrace.costs import Quadratic
>>> float(FirmProblem(Quadratic(), 1.0, 1.0, 0.0, 0.0, 0.1).flow_value(0.0))  # nobody moves
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patentrace.models.costs import CostLike

__all__ = ["FirmProblem", "breakthrough_shift", "continuation"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def continuation(value: FloatArray, i: IntArray, j: IntArray) -> tuple[FloatArray, FloatArray]:
    """Continuation values at states ``(i, j)``: ``A`` after own success, ``B`` after the rival's.

    Parameters
    ----------
    value : ndarray, shape (2, N0 + 1, N1 + 1)
        Values of both firms, filled at least beyond the states asked for.
    i, j : ndarray of int
        Open states.

    Returns
    -------
    own_next, rival_next : ndarray, shape (2, n)
        ``A_0 = V_0(i+1, j)``, ``A_1 = V_1(i, j+1)``; ``B_0 = V_0(i, j+1)``, ``B_1 = V_1(i+1, j)``.

    Examples
    --------
    >>> import numpy as np
    >>> value = np.arange(8.0).reshape(2, 2, 2)   # V_0 = [[0, 1], [2, 3]], V_1 = [[4, 5], [6, 7]]
    >>> own_next, rival_next = continuation(value, np.array([0]), np.array([0]))
    >>> own_next.ravel().tolist(), rival_next.ravel().tolist()   # (V_0(1,0), V_1(0,1)), (V_0(0,1), V_1(1,0))
    ([2.0, 5.0], [1.0, 6.0])
    """
    own_next = np.stack([value[0, i + 1, j], value[1, i, j + 1]])
    rival_next = np.stack([value[0, i, j + 1], value[1, i + 1, j]])
    return own_next, rival_next


def breakthrough_shift(
    discount: ArrayLike,
    own_breakthrough: ArrayLike,
    rival_breakthrough: ArrayLike,
    prize: ArrayLike,
    loser_prize: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Effective discount ``R = r + b + b'`` and value shift ``K = (b P + b' L) / R`` (docs/theory/race.md).

    With breakthroughs a state's game is the game without them at discount ``R``,
    with the continuation values ``A - K``, ``B - K`` and the value ``V - K``. With
    ``b = b' = 0``: ``R`` is ``r`` and ``K`` is 0, exactly.

    Examples
    --------
    >>> effective, shift = breakthrough_shift(0.1, 0.3, 0.1, 1.0, 0.0)
    >>> round(float(effective), 12), round(float(shift), 12)
    (0.5, 0.6)
    >>> [float(v) for v in breakthrough_shift(0.1, 0.0, 0.0, 1.0, 0.0)]
    [0.1, 0.0]
    """
    b_own = np.asarray(own_breakthrough, dtype=float)
    b_rival = np.asarray(rival_breakthrough, dtype=float)
    effective = np.asarray(discount, dtype=float) + b_own + b_rival
    shift = (b_own * np.asarray(prize, dtype=float) + b_rival * np.asarray(loser_prize, dtype=float)) / effective
    return np.asarray(effective), np.asarray(shift)


@dataclass(frozen=True)
class FirmProblem:
    """One firm's problem at open states (docs/theory/race.md (2)): the inputs of its HJB, given once.

    The firm has cost ``c``, productivity ``lambda``, continuation values ``A`` after
    its own success and ``B`` after the rival's, and faces the rival hazard ``h'`` at
    discount ``r``. With breakthroughs (docs/theory/race.md (14)-(15)) it also has the own and rival
    outright-win hazards ``b, b'``, which pay ``P`` and ``L``; they default to 0 and then
    enter as terms that are exactly 0. Every field broadcasts against the others, so
    one problem can hold many states.

    Parameters
    ----------
    cost : Cost
        The firm's cost.
    productivity, own_next, rival_next, rival_hazard, discount : array_like
        ``lambda``, ``A``, ``B``, ``h'`` and ``r``.
    own_breakthrough, rival_breakthrough, prize, loser_prize : array_like, optional
        ``b``, ``b'``, ``P`` and ``L``.

    Examples
    --------
    The one-stage race of Lee and Wilde (``P = a = 1``, ``r = 0.1``): alone, one stage
    from the prize, the firm's best response; against a rival at the symmetric
    equilibrium effort ``x*``, the value ``P - a x*`` (docs/theory/race.md).

    >>> import math
    >>> from patentrace.costs import Quadratic
    >>> round(float(FirmProblem(Quadratic(), 1.0, 1.0, 0.0, 0.0, 0.1).best_response()), 10)
    0.3582575695
    >>> x = (1 - 0.1 + math.sqrt(1 + 0.4 + 0.01)) / 3
    >>> lee_wilde = FirmProblem(Quadratic(), 1.0, 1.0, 0.0, x, 0.1)
    >>> bool(abs(lee_wilde.flow_value(x) - (1 - x)) < 1e-15), bool(abs(lee_wilde.hjb_residual(1 - x, x)) < 1e-15)
    (True, True)
    """

    cost: CostLike
    productivity: ArrayLike
    own_next: ArrayLike
    rival_next: ArrayLike
    rival_hazard: ArrayLike
    discount: ArrayLike
    own_breakthrough: ArrayLike = 0.0
    rival_breakthrough: ArrayLike = 0.0
    prize: ArrayLike = 0.0
    loser_prize: ArrayLike = 0.0

    def _breakthroughs(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``b``, ``b'``, ``P`` and ``L`` as float arrays."""
        return (np.asarray(self.own_breakthrough, dtype=float), np.asarray(self.rival_breakthrough, dtype=float),
                np.asarray(self.prize, dtype=float), np.asarray(self.loser_prize, dtype=float))

    def best_response(self) -> FloatArray:
        """Best response of docs/theory/race.md (1) to the rival hazard.

        ``c'(x)(r + lambda x + h)/lambda - c(x) = r A + h (A - B)``, solved by the cost;
        with breakthroughs the form of docs/theory/race.md (14)-(15): ``r`` becomes
        ``r + b + b'`` and ``b P + b' L`` is subtracted from the right side, which may then
        be negative (the firm idles).

        Examples
        --------
        Alone, one stage from the prize ``P = 1`` at ``r = 0.1`` with ``c(x) = x^2 / 2``:
        ``x^2 / 2 + 0.1 x = 0.1`` gives ``x = sqrt(0.21) - 0.1``.

        >>> import math
        >>> from patentrace.costs import Quadratic
        >>> x = FirmProblem(Quadratic(), 1.0, 1.0, 0.0, 0.0, 0.1).best_response()
        >>> bool(abs(x - (math.sqrt(0.21) - 0.1)) < 1e-15)
        True
        """
        b_own, b_rival, prize, loser = self._breakthroughs()
        lam = np.asarray(self.productivity, dtype=float)
        a = np.asarray(self.own_next, dtype=float)
        h = np.asarray(self.rival_hazard, dtype=float)
        r = np.asarray(self.discount, dtype=float) + b_own + b_rival
        target = r * a + h * (a - np.asarray(self.rival_next, dtype=float))
        target = target - b_own * prize - b_rival * loser
        return self.cost.best_response(target, (r + h) / lam)

    def flow_value(self, effort: ArrayLike) -> FloatArray:
        """Value of exerting ``effort`` now, then the continuation.

        ``V(x) = [-c(x) + h A + h' B + b P + b' L] / (r + h + h' + b + b')`` with the own
        hazard ``h = lambda x`` (docs/theory/race.md (3), (15)).

        Examples
        --------
        Alone at ``r = 0.1``, working ``x = 1`` for ``A = 1`` at cost ``1/2``:
        ``(-0.5 + 1) / (0.1 + 1)``.

        >>> from patentrace.costs import Quadratic
        >>> bool(FirmProblem(Quadratic(), 1.0, 1.0, 0.0, 0.0, 0.1).flow_value(1.0) == 0.5 / 1.1)
        True
        """
        b_own, b_rival, prize, loser = self._breakthroughs()
        x = np.asarray(effort, dtype=float)
        hazard = np.asarray(self.productivity, dtype=float) * x
        h = np.asarray(self.rival_hazard, dtype=float)
        numerator = -self.cost.value(x) + hazard * np.asarray(self.own_next) + h * np.asarray(self.rival_next)
        numerator = numerator + b_own * prize + b_rival * loser
        return np.asarray(numerator / (np.asarray(self.discount, dtype=float) + hazard + h + b_own + b_rival))

    def hjb_residual(self, value: ArrayLike, effort: ArrayLike) -> FloatArray:
        """``r V - [-c(x) + h (A - V) + h' (B - V) + b (P - V) + b' (L - V)]`` (docs/theory/race.md (2), (14)).

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> float(FirmProblem(Quadratic(), 1.0, 1.0, 0.0, 0.0, 0.1).hjb_residual(0.5, 0.0))  # r V, nobody moves
        0.05
        """
        b_own, b_rival, prize, loser = self._breakthroughs()
        v = np.asarray(value, dtype=float)
        x = np.asarray(effort, dtype=float)
        hazard = np.asarray(self.productivity, dtype=float) * x
        h = np.asarray(self.rival_hazard, dtype=float)
        flow = -self.cost.value(x) + hazard * (np.asarray(self.own_next) - v) + h * (np.asarray(self.rival_next) - v)
        flow = flow + b_own * (prize - v) + b_rival * (loser - v)
        return np.asarray(np.asarray(self.discount, dtype=float) * v - flow)
