"""The equations of one position of the tug-of-war (docs/theory/tug-of-war.md).

At an interior position ``k`` firm 0's game is the state game of the Poisson race
(docs/theory/race.md) with own continuation ``A = V0(k+1)``, rival continuation
``B = V0(k-1)`` and the rival's hazard ``h1(k)``; firm 1's has ``A = V1(k-1)``,
``B = V1(k+1)`` and ``h0(k)``. Unlike the race, the continuations are themselves
unknown: the ``2 (K - 1)`` interior values solve the HJB together. This module
gives, for all positions at once, the values with their terminal entries, the
efforts that the first-order condition ``c'(x) = lambda (A - V)`` assigns to given
values, the HJB residual, and its derivatives (the Jacobian's entries). The solvers
use them to find an equilibrium; verification uses them to check one.

Arrays over the interior are shaped ``(2, K - 1)`` (firm, position ``k = 1 .. K-1``);
arrays over all positions are shaped ``(2, K + 1)``.

Examples
--------
>>> import numpy as np
>>> import patentrace as pr
>>> tug = pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> full_values(tug, np.array([[0.3], [0.3]])).tolist()
[[0.0, 0.3, 1.0], [1.0, 0.3, 0.0]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from patentrace.equations import hjb
from patentrace.models.tug_of_war import TugOfWar

__all__ = ["continuations", "effort_slopes", "efforts", "full_values", "hjb_residual", "terminal_values"]

FloatArray = NDArray[np.float64]


def terminal_values(tug: TugOfWar) -> FloatArray:
    """Values at the ends, shape ``(2, 2)``: ``[[V0(0), V0(K)], [V1(0), V1(K)]] = [[L, P], [P, L]]``.

    Examples
    --------
    >>> import patentrace as pr
    >>> terminal_values(pr.TugOfWar(length=3, prize=2.0, discount=0.1, cost=pr.costs.Quadratic(),
    ...                             loser_prize=0.5)).tolist()
    [[0.5, 2.0], [2.0, 0.5]]
    """
    return np.array([[tug.loser_prize, tug.prize], [tug.prize, tug.loser_prize]])


def full_values(tug: TugOfWar, interior: FloatArray) -> FloatArray:
    """Interior values ``(2, K - 1)`` completed with the terminal ones: shape ``(2, K + 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> tug = pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> full_values(tug, np.zeros((2, 2)))[:, [0, -1]].tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    ends = terminal_values(tug)
    return np.concatenate([ends[:, :1], np.asarray(interior, dtype=float), ends[:, 1:]], axis=1)


def continuations(value: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Own and rival continuation values at the interior positions, each ``(2, K - 1)``.

    Firm 0's own success leads to ``k + 1`` and firm 1's to ``k - 1``.

    Parameters
    ----------
    value : ndarray, shape (2, K + 1)
        Values at every position.

    Returns
    -------
    own_next, rival_next : ndarray, shape (2, K - 1)
        ``A = (V0(k+1), V1(k-1))`` and ``B = (V0(k-1), V1(k+1))``.

    Examples
    --------
    >>> import numpy as np
    >>> own, rival = continuations(np.array([[0.0, 0.4, 1.0], [1.0, 0.4, 0.0]]))
    >>> own.ravel().tolist(), rival.ravel().tolist()
    ([1.0, 1.0], [0.0, 0.0])
    """
    own_next = np.stack([value[0, 2:], value[1, :-2]])
    rival_next = np.stack([value[0, :-2], value[1, 2:]])
    return own_next, rival_next


def efforts(tug: TugOfWar, value: FloatArray, productivity: FloatArray | None = None) -> FloatArray:
    """Efforts that the first-order condition assigns to values: ``c'(x) = lambda (A - V)``, 0 below ``c'(0)``.

    Parameters
    ----------
    tug : TugOfWar
        The model.
    value : ndarray, shape (2, K + 1)
        Values at every position.
    productivity : ndarray, shape (2, K - 1), optional
        ``lambda_f(k)`` in place of the model's (the solvers' continuation scales it).

    Returns
    -------
    ndarray, shape (2, K - 1)
        ``x_f(k)``; at an equilibrium, each firm's best response of docs/theory/race.md (1).

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> tug = pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=2.0))
    >>> efforts(tug, np.array([[0.0, 0.4, 1.0], [1.0, 0.4, 0.0]])).ravel().tolist()   # (1 - 0.4) / 2
    [0.3, 0.3]
    """
    lam = tug.productivity_array() if productivity is None else productivity
    own_next, _ = continuations(value)
    gain = lam * (own_next - value[:, 1:-1])
    return np.stack([np.asarray(tug.cost[f].inverse_marginal(gain[f]), dtype=float) for f in (0, 1)])


def hjb_residual(
    tug: TugOfWar, value: FloatArray, effort: FloatArray, productivity: FloatArray | None = None
) -> FloatArray:
    """``r V - [-c(x) + h_own (A - V) + h_rival (B - V)]`` at every interior position, shape ``(2, K - 1)``.

    The HJB of docs/theory/tug-of-war.md at the given efforts; zero at an equilibrium whose efforts
    are the best responses (``efforts``). ``productivity`` (shape ``(2, K - 1)``, optional)
    replaces the model's.

    Examples
    --------
    The one-stage race of Lee and Wilde (``K = 2``, ``P = a = 1``, ``r = 0.1``):
    ``x* = [P - a r + sqrt(P^2 + 4 a P r + a^2 r^2)] / (3 a)``, ``V = P - a x*``.

    >>> import math, numpy as np
    >>> import patentrace as pr
    >>> tug = pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> x = (1 - 0.1 + math.sqrt(1 + 0.4 + 0.01)) / 3
    >>> value = full_values(tug, np.array([[1 - x], [1 - x]]))
    >>> bool(np.abs(hjb_residual(tug, value, np.array([[x], [x]]))).max() < 1e-15)
    True
    """
    lam = tug.productivity_array() if productivity is None else productivity
    own_next, rival_next = continuations(value)
    rival_hazard = (lam * effort)[::-1]
    return np.stack([
        hjb.FirmProblem(tug.cost[f], lam[f], own_next[f], rival_next[f], rival_hazard[f],
                        tug.discount).hjb_residual(value[f, 1:-1], effort[f])
        for f in (0, 1)
    ])


def effort_slopes(tug: TugOfWar, effort: FloatArray, productivity: FloatArray | None = None) -> FloatArray:
    """``dx / d(A - V) = lambda / c''(x)`` where the firm works, 0 where it idles, shape ``(2, K - 1)``.

    The derivative of the first-order condition's effort with respect to the firm's
    own gain from a success; the solvers build the Jacobian of the HJB from it.
    ``productivity`` (shape ``(2, K - 1)``, optional) replaces the model's.

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> tug = pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=2.0))
    >>> effort_slopes(tug, np.array([[0.3], [0.0]])).ravel().tolist()
    [0.5, 0.0]
    """
    lam = tug.productivity_array() if productivity is None else productivity
    slopes = np.zeros_like(effort)
    for f in (0, 1):
        working = effort[f] > 0.0
        if working.any():
            slopes[f, working] = lam[f, working] / np.asarray(tug.cost[f].curvature(effort[f, working]), dtype=float)
    return slopes
