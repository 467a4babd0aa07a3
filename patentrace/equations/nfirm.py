"""The game of one state of a race with ``n`` firms (docs/theory/race.md (16)-(18)).

At an open state ``s`` firm ``k`` knows its value after its own success, ``A_k = V_k(s + e_k)``,
and after each rival's, ``B_kl = V_k(s + e_l)``. Against the rivals' hazards ``h_l`` its
problem is the two-firm problem of docs/theory/race.md (2) against one *aggregate rival*:
the rivals' total hazard ``H_{-k} = sum_{l != k} h_l`` and the hazard-weighted mean
value after a rival's success, ``Bbar_k = sum_{l != k} h_l B_kl / H_{-k}``, because

    r A_k + sum_{l != k} h_l (A_k - B_kl) = r A_k + H_{-k} (A_k - Bbar_k),

which is the right side of (16), and likewise the value (17). Breakthroughs enter as in
docs/theory/race.md (14)-(15), with the rivals' outright-win hazards summed: a firm
problem is a [`FirmProblem`][patentrace.equations.hjb.FirmProblem], used unchanged by the
solver and by verification alike.

A ``StateGames`` holds a batch of states written as the
game without breakthroughs at the effective discount ``R = r + sum_m b_m`` on values
shifted by ``K_k = (b_k P + sum_{l != k} b_l L) / R`` (docs/theory/race.md (18)); its
methods are what the solver needs: best responses, their Jacobian, the effort bounds,
an enclosure of the best responses over a box of efforts, and the check that the game is
supermodular.

Examples
--------
The symmetric one-stage race of three firms (``P = a = 1``, ``r = 0.1``): at the
closed-form effort of docs/theory/race.md (20) each firm's best response is that effort.

>>> import math
>>> import numpy as np
>>> from patentrace.costs import Quadratic
>>> n, r = 3, 0.1
>>> x = ((n - 1) - r + math.sqrt(((n - 1) - r) ** 2 + 4 * (n - 0.5) * r)) / (2 * (n - 0.5))
>>> games = StateGames(own_next=np.ones((3, 1)), rival_next=np.zeros((3, 3, 1)), productivity=np.ones((3, 1)),
...                    discount=np.array([r]), cost=(Quadratic(),) * 3)
>>> bool(np.allclose(games.best_responses(np.full((3, 1), x)), x, rtol=1e-14, atol=0))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace.equations import hjb
from patentrace.models.costs import CostLike

__all__ = ["StateGames", "aggregate_rival"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def aggregate_rival(hazard: FloatArray, rival_next: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each firm's aggregate rival: total rival hazard ``H_{-k}`` and mean value after a rival's success ``Bbar_k``.

    Parameters
    ----------
    hazard : ndarray, shape (n, m)
        ``h_l`` of every firm at ``m`` states.
    rival_next : ndarray, shape (n, n, m)
        ``B_kl``, firm ``k``'s value after firm ``l``'s success (the diagonal is ignored).

    Returns
    -------
    total, mean : ndarray, shape (n, m)
        ``H_{-k}`` and ``sum_{l != k} h_l B_kl / H_{-k}`` (0 where ``H_{-k} = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[1.0], [2.0], [3.0]])
    >>> B = np.array([[[9.0], [1.0], [2.0]], [[0.0], [9.0], [0.0]], [[0.5], [0.5], [9.0]]])
    >>> total, mean = aggregate_rival(h, B)
    >>> total.ravel().tolist(), mean.ravel().round(12).tolist()
    ([5.0, 4.0, 3.0], [1.6, 0.0, 0.5])
    """
    firms = hazard.shape[0]
    off = ~np.eye(firms, dtype=bool)[:, :, None]
    weighted = np.where(off, rival_next * hazard[None, :, :], 0.0).sum(axis=1)
    total = np.where(off, np.broadcast_to(hazard[None, :, :], rival_next.shape), 0.0).sum(axis=1)
    safe = np.where(total > 0.0, total, 1.0)
    return total, np.where(total > 0.0, weighted / safe, 0.0)


@dataclass(frozen=True)
class StateGames:
    """The games of a batch of ``m`` open states of an ``n``-firm race (docs/theory/race.md (16)).

    Values are those of the game without breakthroughs at discount ``discount``: with
    breakthroughs, the effective discount ``R`` and the values shifted by ``K_k``
    (docs/theory/race.md (18)).

    Parameters
    ----------
    own_next : ndarray, shape (n, m)
        ``A_k``.
    rival_next : ndarray, shape (n, n, m)
        ``B_kl`` (the diagonal is ignored).
    productivity : ndarray, shape (n, m)
        ``lambda_k > 0``.
    discount : ndarray, shape (m,)
        ``r`` (or ``R``).
    cost : sequence of n costs
        ``c_k``.
    """

    own_next: FloatArray
    rival_next: FloatArray
    productivity: FloatArray
    discount: FloatArray
    cost: Sequence[CostLike]

    @property
    def firms(self) -> int:
        """``n``."""
        return int(self.own_next.shape[0])

    def take(self, where: NDArray[np.intp]) -> StateGames:
        """The games of the states ``where`` (positions in this batch)."""
        return StateGames(self.own_next[:, where], self.rival_next[:, :, where], self.productivity[:, where],
                          self.discount[where], self.cost)

    def problem(self, firm: int, hazard: FloatArray) -> hjb.FirmProblem:
        """Firm ``firm``'s problem against its aggregate rival at the hazards ``hazard`` (shape (n, m))."""
        total, mean = aggregate_rival(hazard, self.rival_next)
        return hjb.FirmProblem(self.cost[firm], self.productivity[firm], self.own_next[firm], mean[firm],
                               total[firm], self.discount)

    def best_responses(self, effort: FloatArray) -> FloatArray:
        """Every firm's best response (16) to the others' efforts, shape (n, m).

        The root of ``c_k'(x)(r + lambda_k x + H_{-k})/lambda_k - c_k(x) = r A_k + sum h_l (A_k - B_kl)``,
        0 where the firm idles.
        """
        return self._respond(self.productivity * effort)

    def _respond(self, hazard: FloatArray) -> FloatArray:
        return np.stack([self.problem(k, hazard).best_response() for k in range(self.firms)])

    def jacobian(self, effort: FloatArray, response: FloatArray) -> FloatArray:
        """``d BR_k / d x_l`` at ``effort``, shape (m, n, n); ``response`` is ``BR(effort)``.

        Implicit differentiation of (16): ``dBR_k/dh_l = (A_k - B_kl - c_k'(x)/lambda_k) /
        (c_k''(x) (r + lambda_k x + H_{-k}) / lambda_k)`` at ``x = BR_k > 0`` (docs/theory/race.md (5)
        with ``n`` firms), times ``lambda_l``; 0 where the firm idles.
        """
        hazard = self.productivity * effort
        firms = self.firms
        out = np.zeros((effort.shape[1], firms, firms))
        total = hazard.sum(axis=0)
        for k in range(firms):
            x, lam = response[k], self.productivity[k]
            busy = x > 0.0
            safe = np.where(busy, x, 1.0)
            others = total - hazard[k]
            slope = self.cost[k].curvature(safe) * (self.discount + lam * safe + others) / lam
            margin = self.cost[k].marginal(safe) / lam
            for rival in range(firms):
                if rival == k:
                    continue
                gain = self.own_next[k] - self.rival_next[k, rival] - margin
                with np.errstate(divide="ignore", invalid="ignore"):
                    derivative = np.where(busy, gain / slope, 0.0) * self.productivity[rival]
                out[:, k, rival] = np.where(np.isfinite(derivative), derivative, 0.0)
        return out

    def effort_bound(self) -> FloatArray:
        """An effort above every best response, shape (n, m).

        ``c'(x) x >= c(x)`` for a convex cost with ``c(0) = 0``, so (16) gives
        ``c_k'(BR_k) <= lambda_k D_k`` with ``D_k = max(A_k, max_l (A_k - B_kl), 0)``.
        """
        gaps = self.own_next[:, None, :] - self.rival_next
        gaps = np.where(np.eye(self.firms, dtype=bool)[:, :, None], -np.inf, gaps)
        spread = np.maximum(np.maximum(self.own_next, gaps.max(axis=1)), 0.0)
        bound = np.stack([self.cost[k].inverse_marginal(self.productivity[k] * spread[k])
                          for k in range(self.firms)])
        return np.asarray(bound * (1.0 + 1e-12))

    def enclosure(self, low: FloatArray, high: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Bounds on every best response while the efforts range over the box ``[low, high]`` (shapes (n, m)).

        ``BR_k`` rises with the right side ``q_k`` of (16) and falls with ``H_{-k}`` for fixed
        ``q_k``; both are linear in the rivals' hazards, so their ranges over the box are exact
        and ``BR_k`` lies between ``BR(q_min, H_max)`` and ``BR(q_max, H_min)``.
        """
        firms = self.firms
        h_low, h_high = self.productivity * low, self.productivity * high
        lower, upper = np.empty_like(low), np.empty_like(low)
        off = ~np.eye(firms, dtype=bool)[:, :, None]
        coefficient = np.where(off, self.own_next[:, None, :] - self.rival_next, 0.0)  # (k, l, m)
        at_low, at_high = coefficient * h_low[None], coefficient * h_high[None]
        q_low = self.discount * self.own_next + np.minimum(at_low, at_high).sum(axis=1)
        q_high = self.discount * self.own_next + np.maximum(at_low, at_high).sum(axis=1)
        total_low, total_high = h_low.sum(axis=0), h_high.sum(axis=0)
        for k in range(firms):
            lam = self.productivity[k]
            fastest = (self.discount + total_low - h_low[k]) / lam
            slowest = (self.discount + total_high - h_high[k]) / lam
            lower[k] = self.cost[k].best_response(q_low[k], slowest)
            upper[k] = self.cost[k].best_response(q_high[k], fastest)
        return lower, upper

    def supermodular(self, bound: FloatArray) -> BoolArray:
        """States at which every best response provably rises with every rival's effort on ``[0, bound]``.

        ``dBR_k/dh_l`` has the sign of ``V_k - B_kl`` (docs/theory/race.md (5)), and
        ``(r + lambda_k x + H_{-k}) (V_k - B_kl)`` is at its best effort at least
        ``S_kl - r B_kl + sum_{m != k, l} h_m (B_km - B_kl)`` with
        ``S_kl = max_x [lambda_k x (A_k - B_kl) - c_k(x)] >= 0``. A state passes when the
        smallest value of that over the box of rival hazards is ``>= 0`` for every pair
        ``k != l``: then the game is supermodular there (docs/solver.md, "More than two firms").
        """
        firms = self.firms
        hazard_bound = self.productivity * bound
        passes = np.ones(self.discount.shape, dtype=bool)
        for k in range(firms):
            cost, lam = self.cost[k], self.productivity[k]
            for rival in range(firms):
                if rival == k:
                    continue
                after = self.rival_next[k, rival]
                reward = lam * (self.own_next[k] - after)
                best = cost.inverse_marginal(np.maximum(reward, 0.0))
                surplus = np.maximum(reward * best - cost.value(best), 0.0)
                worst = surplus - self.discount * after
                for other in range(firms):
                    if other not in (k, rival):
                        worst = worst + np.minimum(self.rival_next[k, other] - after, 0.0) * hazard_bound[other]
                passes &= worst >= 0.0
        return passes
