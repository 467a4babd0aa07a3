"""The per-state equations of the Poisson race (SPEC.md §1, the HJB).

At an open state, with continuation values ``A_k`` (own success) and ``B_k``
(rival success), a firm that exerts effort ``x`` against a rival hazard ``h``
earns

    V(x) = [-c(x) + lambda x A + h B] / (r + lambda x + h),

the HJB ``r V = -c(x) + lambda x (A - V) + h (B - V)`` solved for ``V``. Its
maximiser is the best response of SPEC equation (1). Solvers use these to build
an equilibrium; :meth:`patentrace.Equilibrium.verify` uses them to check one.

Examples
--------
>>> from patentrace.costs import Quadratic
>>> float(flow_value(Quadratic(), 0.0, 1.0, 1.0, 0.0, 0.0, 0.1))  # nobody moves
0.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patentrace.costs import CostLike

__all__ = ["best_response", "continuation", "flow_value", "hjb_residual"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def continuation(value: FloatArray, i: IntArray, j: IntArray) -> tuple[FloatArray, FloatArray]:
    """Continuation values at states ``(i, j)``: ``A`` after own success, ``B`` after the rival's.

    Parameters
    ----------
    value : ndarray, shape (2, N1 + 1, N2 + 1)
        Values of both firms, filled at least beyond the states asked for.
    i, j : ndarray of int
        Open states.

    Returns
    -------
    own_next, rival_next : ndarray, shape (2, n)
        ``A_1 = V_1(i+1, j)``, ``A_2 = V_2(i, j+1)``; ``B_1 = V_1(i, j+1)``, ``B_2 = V_2(i+1, j)``.

    Examples
    --------
    >>> import numpy as np
    >>> value = np.arange(8.0).reshape(2, 2, 2)   # V_1 = [[0, 1], [2, 3]], V_2 = [[4, 5], [6, 7]]
    >>> own_next, rival_next = continuation(value, np.array([0]), np.array([0]))
    >>> own_next.ravel().tolist(), rival_next.ravel().tolist()   # (V_1(1,0), V_2(0,1)), (V_1(0,1), V_2(1,0))
    ([2.0, 5.0], [1.0, 6.0])
    """
    own_next = np.stack([value[0, i + 1, j], value[1, i, j + 1]])
    rival_next = np.stack([value[0, i, j + 1], value[1, i + 1, j]])
    return own_next, rival_next


def best_response(
    cost: CostLike,
    productivity: ArrayLike,
    own_next: ArrayLike,
    rival_next: ArrayLike,
    rival_hazard: ArrayLike,
    discount: ArrayLike,
) -> FloatArray:
    """Best response of SPEC equation (1) to a rival hazard.

    ``c'(x)(r + lambda x + h)/lambda - c(x) = r A + h (A - B)``, solved by the cost.

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> round(float(best_response(Quadratic(), 1.0, 1.0, 0.0, 0.0, 0.1)), 10)  # alone, one stage left
    0.3582575695
    """
    lam = np.asarray(productivity, dtype=float)
    a = np.asarray(own_next, dtype=float)
    h = np.asarray(rival_hazard, dtype=float)
    r = np.asarray(discount, dtype=float)
    target = r * a + h * (a - np.asarray(rival_next, dtype=float))
    return cost.best_response(target, (r + h) / lam)


def flow_value(
    cost: CostLike,
    effort: ArrayLike,
    productivity: ArrayLike,
    own_next: ArrayLike,
    rival_next: ArrayLike,
    rival_hazard: ArrayLike,
    discount: ArrayLike,
) -> FloatArray:
    """Value of exerting ``effort`` now, then the continuation: ``[-c + h A + h' B] / (r + h + h')``.

    Parameters
    ----------
    cost : Cost
        The firm's cost.
    effort : array_like
        The firm's effort ``x``; its hazard is ``productivity * x``.
    productivity, own_next, rival_next, rival_hazard : array_like
        ``lambda``, ``A``, ``B`` and the rival's hazard ``h'``; all broadcast.
    discount : array_like
        ``r``.

    Returns
    -------
    ndarray
        ``V(x)``.

    Examples
    --------
    The one-stage race of Lee and Wilde (``P = a = 1``, ``r = 0.1``): at the equilibrium
    effort ``x*`` the value is ``P - a x*`` (SPEC.md §1).

    >>> import math
    >>> from patentrace.costs import Quadratic
    >>> x = (1 - 0.1 + math.sqrt(1 + 0.4 + 0.01)) / 3
    >>> bool(abs(flow_value(Quadratic(), x, 1.0, 1.0, 0.0, x, 0.1) - (1 - x)) < 1e-15)
    True
    """
    x = np.asarray(effort, dtype=float)
    hazard = np.asarray(productivity, dtype=float) * x
    h = np.asarray(rival_hazard, dtype=float)
    numerator = -cost.value(x) + hazard * np.asarray(own_next) + h * np.asarray(rival_next)
    return np.asarray(numerator / (np.asarray(discount, dtype=float) + hazard + h))


def hjb_residual(
    cost: CostLike,
    value: ArrayLike,
    effort: ArrayLike,
    productivity: ArrayLike,
    own_next: ArrayLike,
    rival_next: ArrayLike,
    rival_hazard: ArrayLike,
    discount: ArrayLike,
) -> FloatArray:
    """``r V - [-c(x) + h (A - V) + h' (B - V)]`` at a given effort and value.

    Examples
    --------
    >>> import math
    >>> from patentrace.costs import Quadratic
    >>> x = (1 - 0.1 + math.sqrt(1 + 0.4 + 0.01)) / 3     # Lee-Wilde effort, value 1 - x
    >>> bool(abs(hjb_residual(Quadratic(), 1 - x, x, 1.0, 1.0, 0.0, x, 0.1)) < 1e-15)
    True
    >>> float(hjb_residual(Quadratic(), 0.5, 0.0, 1.0, 1.0, 0.0, 0.0, 0.1))   # r V with nobody moving
    0.05
    """
    v = np.asarray(value, dtype=float)
    x = np.asarray(effort, dtype=float)
    hazard = np.asarray(productivity, dtype=float) * x
    h = np.asarray(rival_hazard, dtype=float)
    flow = -cost.value(x) + hazard * (np.asarray(own_next) - v) + h * (np.asarray(rival_next) - v)
    return np.asarray(np.asarray(discount, dtype=float) * v - flow)
