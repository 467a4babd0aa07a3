"""The leapfrog report for the tug-of-war: how often the firm behind comes back (docs/theory/tug-of-war.md).

At position ``k`` firm 0 is ``K - k`` steps from its end and firm 1 is ``k`` steps
from its own; the *follower* is the firm further from its end (none at ``k = K/2``).
The follower is *ahead* once it is nearer its end than the leader, and *level* when
both are as near. From the position chain of the equilibrium (a birth-death chain,
patentrace.results.tug_equilibrium) the report gives the follower's probability of
winning, of ever being ahead (crossing the middle; a win counts), and of ever drawing
level. With an odd ``K`` no position is level, and drawing level means getting ahead.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.TugOfWar(length=6, prize=1.0, discount=0.05, cost=pr.costs.Quadratic()))
>>> report = tug_leapfrog(eq, state=1)
>>> report.follower, report.follower_win_probability <= report.leapfrog_probability <= report.catch_up_probability
(0, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import tolerance as _threshold
from patentrace.results.tug_equilibrium import TugEquilibrium, reach_before

__all__ = ["TugLeapfrogReport", "tug_leapfrog", "tug_preemption_region"]

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class TugLeapfrogReport:
    """Whether and how likely the follower of a tug-of-war comes back (docs/theory/tug-of-war.md).

    Attributes
    ----------
    state : int
        The position reported on.
    remaining : (int, int)
        Steps each firm is from its end: ``(K - k, k)``.
    follower, leader : int or None
        The firm further from (nearer to) its end; None when level.
    win_probability : (float, float)
        Each firm's probability of winning from ``state``.
    follower_win_probability, leapfrog_probability, catch_up_probability : float or None
        The follower's probabilities of winning, of ever being strictly ahead (a win
        counts), and of ever being level or ahead; None when level.
        ``follower_win_probability <= leapfrog_probability <= catch_up_probability``.
    can_leapfrog : bool or None
        ``leapfrog_probability > tolerance``; with the default tolerance 0 decided exactly
        (every step towards the lead has a positive hazard; an effort that is 0 only by
        underflow, ``TugEquilibrium.underflow``, counts as positive).
    preemption_region : ndarray of bool, shape (K + 1,)
        Interior positions where the firm further from its end exerts zero effort (not
        counting efforts that are 0 only by underflow).
    tolerance : float
        Threshold for ``can_leapfrog``.

    Examples
    --------
    ``pr.leapfrog`` returns one for a tug-of-war; at position 1 of 4, firm 0 (three
    steps from its end) is the follower:

    >>> import patentrace as pr
    >>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> report = pr.leapfrog(eq, 1)
    >>> isinstance(report, pr.TugLeapfrogReport), report.follower, report.remaining
    (True, 0, (3, 1))
    >>> report.follower_win_probability <= report.leapfrog_probability <= report.catch_up_probability
    True
    """

    state: int
    remaining: tuple[int, int]
    follower: int | None
    leader: int | None
    win_probability: tuple[float, float]
    follower_win_probability: float | None
    leapfrog_probability: float | None
    catch_up_probability: float | None
    can_leapfrog: bool | None
    preemption_region: BoolArray
    tolerance: float

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> tug_leapfrog(eq, 1).to_dict()["follower"]
        0
        """
        return {"state": self.state, "remaining": list(self.remaining), "follower": self.follower,
                "leader": self.leader, "win_probability": list(self.win_probability),
                "follower_win_probability": self.follower_win_probability,
                "leapfrog_probability": self.leapfrog_probability, "catch_up_probability": self.catch_up_probability,
                "can_leapfrog": self.can_leapfrog, "preemption_region": self.preemption_region.tolist(),
                "tolerance": self.tolerance}


def tug_preemption_region(eq: TugEquilibrium) -> BoolArray:
    """Interior positions where the firm further from its end does not invest, shape ``(K + 1,)``.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> tug_preemption_region(eq).tolist()       # c'(0) = 0: everybody always invests
    [False, False, False, False, False]
    """
    length = eq.model.length
    k = np.arange(length + 1)
    region = np.zeros(length + 1, dtype=bool)
    inner = (k > 0) & (k < length)
    behind0 = inner & (length - k > k)
    behind1 = inner & (k > length - k)
    underflow = eq.underflow
    region[behind0] = (eq.effort[0, behind0] == 0.0) & ~underflow[0, behind0]
    region[behind1] = (eq.effort[1, behind1] == 0.0) & ~underflow[1, behind1]
    return region


def _position(state: object, length: int) -> int:
    if isinstance(state, tuple) and len(state) == 1:
        state = state[0]
    if isinstance(state, bool) or not isinstance(state, Integral):
        raise TypeError(f"state must be a position, an int in 0 .. {length}, got {state!r}")
    if not 0 <= int(state) <= length:
        raise ValueError(f"state must be a position in 0 .. {length} (length), got {int(state)}")
    return int(state)


def tug_leapfrog(eq: TugEquilibrium, state: object, tolerance: float = 0.0) -> TugLeapfrogReport:
    """The leapfrog report (docs/theory/leapfrog.md) of a tug-of-war at position ``state``.

    The tug-of-war and its chain: docs/theory/tug-of-war.md.

    Parameters
    ----------
    eq : TugEquilibrium
        A solved tug-of-war.
    state : int
        The position ``k`` in ``0 .. K``.
    tolerance : float
        In ``[0, 1)``: ``can_leapfrog`` is ``leapfrog_probability > tolerance``.

    Returns
    -------
    TugLeapfrogReport

    Raises
    ------
    TypeError, ValueError
        If ``state`` is not a position of the race or ``tolerance`` is out of range.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> report = tug_leapfrog(eq, state=3)
    >>> report.follower, report.can_leapfrog, round(report.catch_up_probability, 6)
    (1, True, 0.236753)
    """
    length = eq.model.length
    k = _position(state, length)
    tolerance = _threshold("tolerance", tolerance, upper=1.0)
    up, down = eq.hazard[0, 1:-1], eq.hazard[1, 1:-1]
    remaining = (length - k, k)
    win = (float(eq.win_probability[0, k]), float(eq.win_probability[1, k]))
    region = tug_preemption_region(eq)
    if remaining[0] == remaining[1]:
        return TugLeapfrogReport(k, remaining, None, None, win, None, None, None, None, region, tolerance)
    follower = 0 if remaining[0] > remaining[1] else 1
    flagged = eq.underflow[follower, 1:-1]
    if follower == 0:
        forward, backward, at, tiny = up, down, k, flagged
    else:                                   # firm 1 moves the race down: mirror the positions
        forward, backward, at, tiny = down[::-1], up[::-1], length - k, flagged[::-1]
    ahead = length // 2 + 1                 # first position (in the follower's direction) nearer its end
    level = (length + 1) // 2               # the level position, or the first ahead one for an odd K
    leap = reach_before(forward, backward, at, ahead, 0)
    catch = reach_before(forward, backward, at, level, 0)
    steps = slice(at - 1, ahead - 1)
    possible = bool(np.all((forward[steps] > 0.0) | tiny[steps]))
    can = possible if tolerance == 0.0 else leap > tolerance
    return TugLeapfrogReport(k, remaining, follower, 1 - follower, win, win[follower], leap, catch, can, region,
                             tolerance)
