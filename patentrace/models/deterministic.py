"""FGST's deterministic race: experience grows at the chosen speed (docs/theory/deterministic.md).

Examples
--------
>>> import patentrace as pr
>>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.2)
>>> race.lagged(steps=4).stages
(4, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patentrace._validate import finite_real
from patentrace.models._common import _race_basics, discounted_period
from patentrace.models.costs import Cost
from patentrace.models.lagged import Action, LaggedRace
from patentrace.models.parameters import ModelData
from patentrace.models.race import Race

__all__ = ["DeterministicRace"]


def _hazard_at(breakthrough: Any, w: float) -> float:
    """``b(w)`` as a float, or a TypeError naming ``breakthrough`` (docs/theory/race.md (14)-(15), "Breakthroughs")."""
    out = breakthrough(w)
    if isinstance(out, np.ndarray) and out.ndim == 0:
        out = out.item()
    if isinstance(out, bool) or not isinstance(out, (Real, np.floating, np.integer)):
        raise TypeError(f"breakthrough b(w) must return a real number >= 0, got b({w!r}) = {out!r}")
    return float(out)


def _cells(steps: Any) -> int:
    """Validate a number of experience-grid cells (docs/theory/deterministic.md): an int >= 2."""
    if isinstance(steps, bool) or not isinstance(steps, Integral) or int(steps) < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    return int(steps)


@dataclass(frozen=True)
class DeterministicRace(ModelData):
    """FGST's deterministic race: experience grows at the chosen speed (docs/theory/deterministic.md).

    Each firm's experience ``w`` runs from 0 to 1 at the speed ``x >= 0`` it chooses,
    at flow cost ``c(x)``; the first to reach ``w = 1`` wins ``prize``, the other gets
    ``loser_prize``. With ``lag = 0`` each firm sees the other's experience at every
    moment (perfect monitoring); with ``lag = Delta > 0`` only at the start of each
    period of length ``Delta``, and within a period each runs at a constant speed.
    Both firms have the same cost.

    Parameters
    ----------
    prize : float
        ``P > 0``.
    discount : float
        ``r > 0``.
    cost : Cost
        The flow cost of speed, shared by both firms.
    lag : float
        ``Delta >= 0``, the information lag (default 0: perfect monitoring).
    max_speed : float or None
        A cap ``x_max > 0`` on speed, or None for no cap.
    loser_prize : float
        ``0 <= L <= P`` (default 0).
    breakthrough : callable or None
        ``b(w) >= 0``: the hazard of an outright discovery at experience ``w``, on top
        of reaching ``w = 1`` (FGST's random discovery; docs/theory/race.md (14)-(15) "Breakthroughs").
        With a lag the race is solved on experience grids through [`lagged`][patentrace.DeterministicRace.lagged],
        where a period at cell ``i`` breaks through with probability
        ``1 - exp(-b(i / steps) lag)``; at lag 0 (perfect monitoring) through the
        Markov-chain approximations [`poisson_race`][patentrace.DeterministicRace.poisson_race], refined. Any callable
        counts
        as a breakthrough, ``lambda w: 0.0`` too (its lag-0 solution is then the
        approximation of ε-preemption, not the closed form).

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> race = DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), lag=0.2, max_speed=2.0)
    >>> lagged = race.lagged(steps=10)             # the period game on a grid of 10 experience steps
    >>> lagged.stages, len(lagged.menus[0][0])     # speeds 0, 0.5, ..., 2.0: 0 to 4 steps a period
    ((10, 10), 5)
    >>> DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), lag=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: lag must be >= 0 (0 is perfect monitoring), got -1.0
    """

    prize: float
    discount: float
    cost: Cost
    lag: float = 0.0
    max_speed: float | None = None
    loser_prize: float = 0.0
    breakthrough: Callable[[float], float] | None = None

    def __post_init__(self) -> None:
        _, prize, discount, loser_prize = _race_basics(1, self.prize, self.discount, self.loser_prize)
        if self.breakthrough is not None and not callable(self.breakthrough):
            raise TypeError(f"breakthrough must be None or a callable b(w) >= 0 of experience w in [0, 1], "
                            f"got {self.breakthrough!r}")
        if not isinstance(self.cost, Cost):
            raise TypeError(
                "cost must be one patentrace.costs.Cost shared by both firms (e.g. Quadratic(scale=1.0)), "
                f"got {self.cost!r} of type {type(self.cost).__name__}"
            )
        self.cost.check()
        lag = finite_real("lag", self.lag)
        if lag < 0.0:
            raise ValueError(f"lag must be >= 0 (0 is perfect monitoring), got {lag!r}")
        max_speed = self.max_speed
        if max_speed is not None:
            max_speed = finite_real("max_speed", max_speed)
            if max_speed <= 0.0:
                raise ValueError(f"max_speed must be > 0 and finite, or None for no cap, got {max_speed!r}")
        if self.breakthrough is not None:
            self.breakthrough_hazard(np.linspace(0.0, 1.0, 11))  # refuse a bad b(w) now, not inside a solver
        for name, value in (("prize", prize), ("discount", discount), ("lag", lag), ("max_speed", max_speed),
                            ("loser_prize", loser_prize)):
            object.__setattr__(self, name, value)

    def breakthrough_hazard(self, w: ArrayLike) -> NDArray[np.float64]:
        """``b(w)`` at experience levels ``w`` (0 without breakthroughs), checked finite and ``>= 0``.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), lag=0.2, breakthrough=lambda w: 0.1 * w)
        >>> race.breakthrough_hazard([0.0, 0.5]).tolist()
        [0.0, 0.05]
        >>> DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), lag=0.2, breakthrough=lambda w: w - 0.5)
        Traceback (most recent call last):
        ...
        ValueError: breakthrough b(w) must be finite and >= 0 for w in [0, 1], got b(0.0) = -0.5
        """
        levels = np.atleast_1d(np.asarray(w, dtype=float))
        if self.breakthrough is None:
            return np.zeros(levels.shape)
        out = np.array([_hazard_at(self.breakthrough, float(v)) for v in levels], dtype=float)
        bad = ~np.isfinite(out) | (out < 0.0)
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"breakthrough b(w) must be finite and >= 0 for w in [0, 1], "
                             f"got b({float(levels[k])!r}) = {float(out[k])!r}")
        return out

    def period_cost(self, speed: float) -> float:
        """What running at ``speed`` for one whole period costs, discounted to its start.

        ``c(x) (1 - exp(-r Delta)) / r``; needs ``lag > 0``.

        Examples
        --------
        >>> import math
        >>> from patentrace.costs import Quadratic
        >>> race = DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), lag=0.5, max_speed=2.0)
        >>> bool(abs(race.period_cost(1.0) - 0.5 * (1 - math.exp(-0.05)) / 0.1) < 1e-15)   # c(1) = 1/2
        True
        """
        with np.errstate(over="ignore"):  # lagged() reports a speed whose cost overflows
            return float(self.cost.value(speed)) * discounted_period(self.discount, self.lag)

    def lagged(self, steps: int) -> LaggedRace:
        """The race in periods on a grid of ``steps`` experience steps (docs/theory/periods.md, deterministic.md).

        Experience ``w = i / steps``. Speed ``s / (steps lag)`` advances ``s`` steps in a
        period, for ``s = 0, 1, ..., S``: up to the cap, or without one up to the
        first speed whose period cost exceeds the prize (faster speeds are strictly
        dominated by standing still). A period's cost is [`period_cost`][patentrace.DeterministicRace.period_cost]; a
        tie
        goes to the firm that crosses first at constant speed (``tie="first"``).

        Parameters
        ----------
        steps : int
            Grid cells between ``w = 0`` and ``w = 1``, at least 2.

        Returns
        -------
        LaggedRace

        Examples
        --------
        >>> import math
        >>> from patentrace.costs import Quadratic
        >>> race = DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), lag=0.5, max_speed=2.0)
        >>> grid = race.lagged(4)         # 4 cells; the cap 2 covers 4 cells a period: speeds 0 .. 4 cells
        >>> grid.stages, [action.progress for action in grid.menus[0][0]][:3]
        ((4, 4), [((0, 1.0),), ((1, 1.0),), ((2, 1.0),)])
        """
        if self.lag <= 0.0:
            raise ValueError("lagged() needs lag > 0: with lag = 0 there are no periods")
        n = _cells(steps)
        unit = 1.0 / (n * self.lag)  # the speed that advances one step a period
        cap = self.max_speed
        if cap is not None:
            top = math.floor(cap / unit * (1.0 + 1e-12))
            if top < 1:
                raise ValueError(
                    f"steps={n} is too coarse: max_speed {cap!r} advances less than one step a period; "
                    f"use steps >= {math.ceil(1.0 / (cap * self.lag))}"
                )
        else:
            top = 1
            while self.period_cost(top * unit) <= self.prize:  # stops at inf too
                top += 1
        if not math.isfinite(self.period_cost(top * unit)):
            raise ValueError(f"lag={self.lag!r} with steps={n}: the speed {top * unit!r} that covers {top} of the "
                             "steps a period costs more than a float can hold; use a larger lag or fewer steps")
        menu = tuple(Action(cost=self.period_cost(s * unit), progress={s: 1.0}) for s in range(top + 1))
        breakthrough = None
        if self.breakthrough is not None:  # a discovery within the period at cell i: 1 - exp(-b(i / n) lag)
            breakthrough = (-np.expm1(-self.breakthrough_hazard(np.arange(n) / n) * self.lag)).tolist()
        return LaggedRace(stages=n, prize=self.prize, lag=self.lag, discount=self.discount, actions=menu,
                          loser_prize=self.loser_prize, tie="first", breakthrough=breakthrough)

    def poisson_race(self, steps: int) -> Race:
        """The Markov chain of the race under perfect monitoring on ``steps`` cells (docs/theory/deterministic.md (D4)).

        With perfect monitoring (lag 0) the race is a pair of coupled HJB equations in
        the experience levels ``(w0, w1)``. Their monotone upwind discretisation on a
        grid of ``n = steps`` cells is a Markov chain: a firm at cell ``i`` running at
        speed ``x`` moves to cell ``i + 1`` at rate ``n x`` (so its expected experience
        grows at rate ``x``), pays ``c(x)``, and discovers at rate ``b(i / n)``. That
        chain is exactly a [`Race`][patentrace.Race] with ``n`` stages, productivity ``n`` at every
        stage, the same cost, prize, loser prize and discount, and breakthrough hazards
        ``b(i / n)``; its effort is the speed. Its equilibria converge to the
        continuous race's as ``n`` grows (first order, measured; the lag is not used).

        Parameters
        ----------
        steps : int
            The grid, as in [`lagged`][patentrace.DeterministicRace.lagged].

        Returns
        -------
        Race
            ``steps`` stages for each firm, each of productivity ``steps``.

        Examples
        --------
        The chain does not depend on the lag, and its stage ``i`` carries the breakthrough
        hazard ``b(i / n)``:

        >>> from patentrace.costs import Quadratic
        >>> def b(w): return 0.1 * w
        >>> lagged = DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), lag=0.5, breakthrough=b)
        >>> prompt = DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=b)
        >>> lagged.poisson_race(4) == prompt.poisson_race(4)
        True
        >>> prompt.poisson_race(4).breakthrough[0]
        (0.0, 0.025, 0.05, 0.075)
        """
        n = _cells(steps)
        breakthrough = None
        if self.breakthrough is not None:
            breakthrough = self.breakthrough_hazard(np.arange(n) / n).tolist()
        return Race(stages=n, prize=self.prize, discount=self.discount, cost=self.cost, loser_prize=self.loser_prize,
                    productivity=[float(n)] * n, breakthrough=breakthrough)
