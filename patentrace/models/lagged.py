"""The race in periods of length ``lag``: menus of actions, observed with a lag (docs/theory/periods.md).

Examples
--------
>>> import patentrace as pr
>>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
>>> pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk]).menus[0][0][0].cost
0.2
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import finite_real
from patentrace.models._common import _nested, _pair, _race_basics, _sequence, _stage_rates, discounted_period
from patentrace.models.arguments import ActionMenus, StagePair, StageRates
from patentrace.models.costs import Cost
from patentrace.models.effort import ContinuousEffort, poisson_effort
from patentrace.models.parameters import ModelData
from patentrace.models.race import Race

__all__ = ["Action", "LaggedRace", "Menus"]


@dataclass(frozen=True)
class Action:
    """One choice a firm can make for a period of a [`LaggedRace`][patentrace.LaggedRace] (docs/theory/periods.md).

    Parameters
    ----------
    cost : float
        ``>= 0``, paid at the start of the period.
    progress : mapping
        Stages advanced in the period -> probability (non-negative, summing to 1).
        ``{1: p, 0: 1 - p}`` is stochastic progress; ``{2: 1.0}`` deterministic.

    Examples
    --------
    >>> work = Action(cost=0.3, progress={1: 0.6, 0: 0.4})
    >>> work.progress, work.distribution.tolist()
    (((0, 0.4), (1, 0.6)), [0.4, 0.6])
    >>> Action(cost=0.3, progress={1: 0.6, 0: 0.3})
    Traceback (most recent call last):
    ...
    ValueError: progress must sum to 1, got 0.9 (stages advanced -> probability)
    """

    cost: float
    progress: Any

    def __post_init__(self) -> None:
        cost = finite_real("cost", self.cost)
        if cost < 0.0:
            raise ValueError(f"cost must be >= 0 (paid at the start of the period), got {cost!r}")
        if not isinstance(self.progress, Mapping) or len(self.progress) == 0:
            raise ValueError(
                f"progress must be a non-empty mapping stages advanced -> probability, got {self.progress!r}"
            )
        pairs = []
        for stages, probability in self.progress.items():
            if isinstance(stages, bool) or not isinstance(stages, Integral) or int(stages) < 0:
                raise ValueError(f"progress keys must be stage counts >= 0, got {stages!r}")
            p = finite_real(f"progress[{stages}]", probability)
            if p < 0.0:
                raise ValueError(f"progress[{stages}] must be >= 0, got {p!r}")
            pairs.append((int(stages), p))
        total = math.fsum(p for _, p in pairs)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"progress must sum to 1, got {total:.12g} (stages advanced -> probability)")
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "progress", tuple(sorted((d, p / total) for d, p in pairs)))

    @property
    def distribution(self) -> NDArray[np.float64]:
        """Probabilities of advancing ``0, 1, ..., max`` stages.

        Examples
        --------
        >>> Action(cost=0.1, progress={2: 0.25, 0: 0.75}).distribution.tolist()
        [0.75, 0.0, 0.25]
        """
        out = np.zeros(max(d for d, _ in self.progress) + 1)
        for d, p in self.progress:
            out[d] += p
        return out

    @property
    def deterministic(self) -> bool:
        """Whether the action advances a fixed number of stages.

        Examples
        --------
        >>> Action(cost=0.1, progress={2: 1.0}).deterministic, Action(cost=0.1, progress={1: 0.5, 0: 0.5}).deterministic
        (True, False)
        """
        return sum(1 for _, p in self.progress if p > 0.0) == 1


Menus = tuple[tuple[tuple[Action, ...], ...], tuple[tuple[Action, ...], ...]]
Efforts = tuple[tuple[ContinuousEffort, ...], tuple[ContinuousEffort, ...]]
_TIE_RULES = ("split", "first", "loss")


def _menu(name: str, value: Any) -> tuple[Action, ...]:
    if isinstance(value, Action) or not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"{name} must be a sequence of Action, got {value!r}")
    if len(value) == 0:
        raise ValueError(f"{name} must not be empty: a firm needs at least one action")
    for k, action in enumerate(value):
        if not isinstance(action, Action):
            raise TypeError(f"{name}[{k}] must be a patentrace.Action, got {action!r}")
    return tuple(value)


def _is_continuous(value: Any) -> bool:
    """Whether ``actions`` states continuous effort: an effort, a pair, or a pair of per-stage sequences."""
    if isinstance(value, ContinuousEffort):
        return True
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) == 0:
        return False
    items = [y for x in value for y in (x if isinstance(x, Sequence) and not isinstance(x, str) else (x,))]
    return any(isinstance(x, ContinuousEffort) for x in items)


def _efforts(value: Any, stages: tuple[int, int]) -> Efforts:
    """One effort choice for both firms, a pair, or a pair of per-stage sequences, as ``efforts[k][i]``."""
    if isinstance(value, ContinuousEffort):
        return (value,) * stages[0], (value,) * stages[1]
    if len(value) != 2:
        raise ValueError("actions with continuous effort must be a ContinuousEffort, a pair of them (one per firm), "
                         f"or a pair of per-stage sequences; got {len(value)} entries")
    out = []
    for firm, item in enumerate(value):
        if isinstance(item, ContinuousEffort):
            out.append((item,) * stages[firm])
            continue
        if not isinstance(item, Sequence) or len(item) != stages[firm]:
            raise ValueError(f"actions[{firm}] must be a ContinuousEffort or one per stage ({stages[firm]} of them)")
        for i, effort in enumerate(item):
            if not isinstance(effort, ContinuousEffort):
                raise TypeError(f"actions[{firm}][{i}] must be a ContinuousEffort, got {effort!r}")
        out.append(tuple(item))
    return out[0], out[1]


def _menus(value: Any, stages: tuple[int, int]) -> Menus:
    """One menu for both firms, a pair of menus, or a pair of per-stage menu lists."""
    if isinstance(value, Sequence) and len(value) > 0 and all(isinstance(a, Action) for a in value):
        menu = _menu("actions", value)
        return tuple((menu,) * n for n in stages)  # type: ignore[return-value]
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ValueError("actions must be a menu (sequence of Action), a pair of menus, or a pair of per-stage menus")
    out = []
    for firm, item in enumerate(value):
        if isinstance(item, Sequence) and len(item) == 0:
            raise ValueError(f"actions[{firm}] must not be empty: a firm needs at least one action")
        if isinstance(item, Sequence) and all(isinstance(a, Action) for a in item):
            out.append((_menu(f"actions[{firm}]", item),) * stages[firm])
            continue
        if not isinstance(item, Sequence) or len(item) != stages[firm]:
            raise ValueError(f"actions[{firm}] must be a menu, or one menu per stage ({stages[firm]} of them)")
        per_stage = tuple(_menu(f"actions[{firm}][{i}]", menu) for i, menu in enumerate(item))
        if len({len(menu) for menu in per_stage}) != 1:
            raise ValueError(f"actions[{firm}]: every stage's menu must offer the same number of actions")
        out.append(per_stage)
    return out[0], out[1]


@dataclass(frozen=True)
class LaggedRace(ModelData):
    """The race in periods of length ``lag``: the information lag of docs/theory/periods.md.

    At the start of a period both firms see the state ``(i, j)`` and each picks an
    action from its menu without seeing the rival's until the period ends. An action
    costs its ``cost`` (paid at once) and advances the firm by a random number of
    stages (its ``progress``). Payoffs at the end of a period are discounted by
    ``beta = exp(-discount * lag)``. If both firms cross the finish line in the same
    period, the tie rule decides.

    Parameters
    ----------
    stages : int or (int, int)
        ``N_k >= 1``.
    prize : float
        ``P > 0``.
    lag : float
        ``Delta > 0``, the length of a period.
    discount : float
        ``r > 0``.
    actions : menu, pair of menus, or pair of per-stage menus
        A menu is a sequence of [`Action`][patentrace.Action]. Per-stage menus (one per stage
        completed) let the technology change with experience; a firm's menus all
        offer the same number of actions. Or continuous effort: a
        ``ContinuousEffort`` for both firms, a pair of them, or a pair of per-stage
        sequences of them (each period a firm picks an effort, pays its cost and
        completes one stage with its success probability; docs/lagged.md).
    loser_prize : float
        ``0 <= L <= P``.
    tie : {"split", "first", "loss"} or float
        ``"split"``: half the prize each; a number ``theta`` in ``[0, 1]``: ``theta P``
        each; ``"loss"``: both get the loser prize; ``"first"``: with deterministic
        progress, the firm that would cross first at constant speed within the
        period wins (the one with the smaller ``stages left / stages advanced``;
        equal times split).
    breakthrough : None, sequence, or pair of sequences
        ``q_k(i)`` in ``[0, 1]``: the probability that firm ``k``, having completed
        ``i`` stages, wins outright in a period whatever its action (random discovery,
        docs/theory/race.md (14)-(15) "Breakthroughs", in periods). It acts as an advance to the finish
        line, so two crossings in one period go to the tie rule (with ``"first"`` a
        breakthrough crosses at the end of the period). Same shapes as ``Race``'s
        ``productivity``; None means 0 everywhere.
    technology : Race or None
        Set by ``from_race``: the race whose technology the menus sample. With it
        (and ``effort_grid``) ``pr.solve(model, refine=True)`` can refine the menus.
    effort_grid : (tuple of float, tuple of float) or None
        Set by ``from_race``: each firm's effort grid, one action per effort.

    Examples
    --------
    >>> work, shirk = Action(0.2, {1: 0.5, 0: 0.5}), Action(0.0, {0: 1.0})
    >>> race = LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> round(race.discount_factor, 6), len(race.menus[0][0])
    (0.951229, 2)
    """

    stages: StagePair
    prize: float
    lag: float
    discount: float
    actions: ActionMenus
    loser_prize: float = 0.0
    tie: str | float = "split"
    breakthrough: StageRates = None
    technology: Race | None = None
    effort_grid: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    def __post_init__(self) -> None:
        stages, prize, discount, loser_prize = _race_basics(self.stages, self.prize, self.discount, self.loser_prize)
        breakthrough = _stage_rates("breakthrough", self.breakthrough, stages, allow_zero=True)
        for firm, rates in enumerate(breakthrough):
            for i, q in enumerate(rates):
                if q > 1.0:
                    raise ValueError(f"breakthrough[{firm}][{i}] is a probability per period: must be in [0, 1], "
                                     f"got {q!r}")
        object.__setattr__(self, "breakthrough", breakthrough)
        lag = finite_real("lag", self.lag)
        if lag <= 0.0:
            raise ValueError(f"lag must be > 0 (the length of a period), got {lag!r}")
        continuous = _is_continuous(self.actions)
        menus: Any = _efforts(self.actions, stages) if continuous else _menus(self.actions, stages)
        tie = self.tie
        if isinstance(tie, str):
            if tie not in _TIE_RULES:
                raise ValueError(f"tie must be one of {_TIE_RULES} or a share theta in [0, 1], got {tie!r}")
            if tie == "first" and continuous:
                raise ValueError('tie="first" needs deterministic progress; continuous effort advances at random')
            if tie == "first" and not all(a.deterministic for firm in menus for menu in firm for a in menu):
                raise ValueError('tie="first" needs deterministic progress (each action advances a fixed number)')
        else:
            tie = finite_real("tie", tie)
            if not 0.0 <= tie <= 1.0:
                raise ValueError(f"tie as a share of the prize must be in [0, 1], got {tie!r}")
        for name, value in (("stages", stages), ("prize", prize), ("lag", lag), ("discount", discount),
                            ("loser_prize", loser_prize), ("actions", menus), ("tie", tie)):
            object.__setattr__(self, name, value)
        self._check_technology(menus)

    def _check_technology(self, menus: Menus) -> None:
        """``technology`` and ``effort_grid`` come together, one effort per action of each firm's menu."""
        if self.technology is None and self.effort_grid is None:
            return
        if not isinstance(self.technology, Race) or self.effort_grid is None:
            raise ValueError("technology (a patentrace.Race) and effort_grid (a grid per firm) are set together, "
                             f"as from_race sets them; got technology={self.technology!r}, "
                             f"effort_grid={self.effort_grid!r}")
        grids = tuple(tuple(float(x) for x in grid) for grid in self.effort_grid)
        if len(grids) != 2 or any(len(grids[k]) != len(menus[k][0]) for k in (0, 1)):
            raise ValueError("effort_grid must hold one effort per action of each firm's menu, "
                             f"got {self.effort_grid!r}")
        object.__setattr__(self, "effort_grid", grids)

    @property
    def menus(self) -> Menus:
        """``menus[k][i]``: firm ``k``'s actions when it has completed ``i`` stages.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> lagged = LaggedRace.from_race(Race(stages=(2, 1), prize=1.0, discount=0.1, cost=Quadratic()),
        ...                               lag=0.5, efforts=[0.0, 1.0])
        >>> [len(menu) for menu in lagged.menus[0]], [a.cost for a in lagged.menus[0][0]]
        ([2, 2], [0.0, 0.25])
        """
        if self.continuous:
            raise TypeError("this LaggedRace has continuous effort, not a menu: see its efforts")
        return self.actions  # type: ignore[no-any-return]

    @property
    def continuous(self) -> bool:
        """Whether the firms choose a continuous effort (``actions`` given as ``ContinuousEffort``).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> LaggedRace.from_race(race, lag=0.5).continuous, LaggedRace.from_race(race, 0.5, [0.0, 1.0]).continuous
        (True, False)
        """
        return isinstance(self.actions[0][0], ContinuousEffort)

    @property
    def efforts(self) -> tuple[tuple[ContinuousEffort, ...], tuple[ContinuousEffort, ...]]:
        """``efforts[k][i]``: firm ``k``'s continuous effort choice when it has completed ``i`` stages.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> [len(firm) for firm in LaggedRace.from_race(race, lag=0.5).efforts]
        [2, 1]
        """
        if not self.continuous:
            raise TypeError("this LaggedRace has a menu of actions, not continuous effort: see its menus")
        return self.actions  # type: ignore[no-any-return]

    @property
    def has_breakthroughs(self) -> bool:
        """Whether some breakthrough probability ``q_k(i)`` is positive.

        Examples
        --------
        >>> work = Action(0.2, {1: 0.5, 0: 0.5})
        >>> lucky = LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work], breakthrough=[0.1])
        >>> lucky.has_breakthroughs
        True
        """
        return any(v > 0.0 for rates in self.breakthrough for v in rates)

    @property
    def discount_factor(self) -> float:
        """``beta = exp(-discount * lag)``, the discount over one period.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> lagged = LaggedRace.from_race(Race(stages=(2, 1), prize=1.0, discount=0.1, cost=Quadratic()),
        ...                               lag=0.5, efforts=[0.0, 1.0])
        >>> import math
        >>> lagged.discount_factor == math.exp(-0.1 * 0.5)
        True
        """
        return math.exp(-self.discount * self.lag)

    @property
    def shape(self) -> tuple[int, int]:
        """``(N0 + 1, N1 + 1)``: the shape of every per-state array.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> lagged = LaggedRace.from_race(Race(stages=(2, 1), prize=1.0, discount=0.1, cost=Quadratic()),
        ...                               lag=0.5, efforts=[0.0, 1.0])
        >>> lagged.shape
        (3, 2)
        """
        return (self.stages[0] + 1, self.stages[1] + 1)

    @classmethod
    def from_race(cls, race: Race, lag: float, efforts: Any = None, tie: Any = "split") -> LaggedRace:
        """The technology of a [`Race`][patentrace.Race], used in periods of length ``lag`` (docs/theory/periods.md).

        By default the firms choose a continuous effort ``x >= 0`` each period: it
        costs the flow cost times ``(1 - exp(-r lag)) / r`` and completes one stage with
        probability ``p(x) = 1 - exp(-lambda(i) x lag)`` (``ContinuousEffort``; the
        solver finds every pure equilibrium of each state, docs/lagged.md). With an
        effort grid, each effort ``x`` of the grid becomes an action of the same
        technology: it costs the same and completes one stage with the same ``p(x)``, so
        a menu and continuous effort are one model, and a refined menu
        (``pr.solve(..., refine=True)``) approaches the continuous answer. The technology
        per unit of time is fixed, so races with different lags compare like with like.

        Parameters
        ----------
        race : Race
            Stages, prize, discount, costs and learning curves.
        lag : float
            ``Delta > 0``.
        efforts : None, sequence of float, or a pair of them
            None (default): continuous effort. Otherwise the effort grid (the menu), one
            for both firms or one per firm.
        tie : str or float
            The tie rule (default ``"split"``).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> lagged = LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 0.4])
        >>> [round(p, 6) for _, p in lagged.menus[0][0][1].progress]   # one stage with 1 - exp(-0.2)
        [0.818731, 0.181269]
        >>> smooth = LaggedRace.from_race(race, lag=0.5)              # continuous effort
        >>> round(float(smooth.efforts[0][0].probability(0.4)), 6)     # 1 - exp(-0.2)
        0.181269
        """
        if not isinstance(race, Race):
            raise TypeError(f"race must be a patentrace.Race, got {type(race).__name__}")
        lag = finite_real("lag", lag)
        if lag <= 0.0:
            raise ValueError(f"lag must be > 0 (the length of a period), got {lag!r}")
        # A breakthrough at rate b within a period of length lag: probability 1 - exp(-b lag).
        breakthrough = None
        if race.has_breakthroughs:
            breakthrough = tuple([-math.expm1(-b * lag) for b in rates] for rates in race.breakthrough)
        if efforts is None:
            continuous = tuple(tuple(poisson_effort(race.cost[k], race.productivity[k][i], lag, race.discount,
                                                    race.prize) for i in range(race.stages[k])) for k in (0, 1))
            return cls(stages=race.stages, prize=race.prize, lag=lag, discount=race.discount, actions=continuous,
                       loser_prize=race.loser_prize, tie=tie, breakthrough=breakthrough)
        grids = _pair("efforts", efforts) if _nested(efforts) else (efforts, efforts)
        per_unit = discounted_period(race.discount, lag)
        menus = []
        for firm in (0, 1):
            grid = [finite_real(f"efforts[{k}]", x) for k, x in enumerate(_sequence("efforts", grids[firm]))]
            if any(x < 0.0 for x in grid):
                raise ValueError(f"efforts must be >= 0, got {grid!r}")
            n, cost = race.stages[firm], race.cost[firm]
            stages = []
            for i in range(n):
                rate = race.productivity[firm][i] * lag
                menu = []
                for x in grid:
                    success = float(-np.expm1(-rate * x))  # p(x) = 1 - exp(-lambda x lag), as with continuous effort
                    menu.append(Action(cost=_period_cost(cost, x, per_unit, firm),
                                       progress={0: 1.0 - success, 1: success}))
                stages.append(tuple(menu))
            menus.append(tuple(stages))
        efforts_used = tuple(tuple(float(x) for x in _sequence("efforts", grids[firm])) for firm in (0, 1))
        return cls(stages=race.stages, prize=race.prize, lag=lag, discount=race.discount,
                   actions=(menus[0], menus[1]), loser_prize=race.loser_prize, tie=tie, breakthrough=breakthrough,
                   technology=race, effort_grid=(efforts_used[0], efforts_used[1]))


def _period_cost(cost: Cost, effort: float, per_unit: float, firm: int) -> float:
    """``c(x)`` over one period (docs/theory/periods.md), or a ValueError naming the effort whose cost overflows."""
    with np.errstate(over="ignore"):  # an overflow is reported below, naming the effort
        out = float(cost.value(effort)) * per_unit
    if not math.isfinite(out):
        raise ValueError(f"efforts for firm {firm}: effort {effort!r} costs {out!r} a period (not a finite number); "
                         "use smaller efforts")
    return out
