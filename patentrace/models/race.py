"""The races a researcher states: frozen, validated at construction (SPEC.md §1, §2, §3).

Models know nothing of solvers: they hold parameters, normalise them to one
canonical form (a pair for every per-firm quantity) and refuse bad input with a
message that names the parameter and its valid range.

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=1.0))
>>> race.stages, race.productivity
((3, 2), ((1.0, 1.0, 1.0), (1.0, 1.0)))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import poisson

from patentrace._validate import finite_real
from patentrace.models.costs import Cost

__all__ = ["Action", "DeterministicRace", "LaggedRace", "Race"]


def discounted_period(discount: float, lag: float) -> float:
    """``(1 - exp(-r lag)) / r``: a unit flow over one period, discounted to its start (without cancellation)."""
    return -math.expm1(-discount * lag) / discount


def _stage_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"stages must be an int >= 1 or a pair of them, got {value!r}")
    if int(value) < 1:
        raise ValueError(f"stages must be >= 1, got {int(value)}")
    return int(value)


def _pair(name: str, value: Any) -> tuple[Any, Any]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be one value or a pair (one per firm), got {len(value)} entries")
        return value[0], value[1]
    return value, value


def _race_basics(
    stages: Any, prize: Any, discount: Any, loser_prize: Any
) -> tuple[tuple[int, int], float, float, float]:
    """Validate what every race has: stages, prize, discount rate, loser prize."""
    first, second = _pair("stages", stages)
    counts = (_stage_count(first), _stage_count(second))
    prize_ = finite_real("prize", prize)
    if prize_ <= 0.0:
        raise ValueError(f"prize must be > 0 and finite, got {prize_!r}")
    discount_ = finite_real("discount", discount)
    if discount_ <= 0.0:
        raise ValueError(f"discount must be > 0 (a positive, finite discount rate), got {discount_!r}")
    loser = finite_real("loser_prize", loser_prize)
    if loser > prize_:
        raise ValueError(f"loser_prize must be <= prize ({prize_!r}), got {loser!r}")
    return counts, prize_, discount_, loser


def _stage_rates(name: str, value: Any, stages: tuple[int, int], allow_zero: bool) -> tuple[tuple[float, ...], ...]:
    """Normalise a per-stage rate: None, one sequence for both firms, or a pair of sequences."""
    if value is None:
        default = 0.0 if allow_zero else 1.0
        return tuple((default,) * n for n in stages)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be None, a sequence of numbers, or a pair of sequences, got {value!r}")
    nested = len(value) > 0 and all(isinstance(v, (Sequence, np.ndarray)) for v in value)
    if nested:
        if len(value) != 2:
            raise ValueError(f"{name} as one sequence per firm needs exactly 2 sequences, got {len(value)}")
        per_firm = (value[0], value[1])
        wanted = stages
    else:
        per_firm = (value, value)
        wanted = (max(stages), max(stages))
    result = []
    for firm, (entries, n_wanted) in enumerate(zip(per_firm, wanted, strict=True)):
        if len(entries) != n_wanted:
            raise ValueError(
                f"{name} for firm {firm} must have one entry per stage ({n_wanted}), got {len(entries)}"
            )
        numbers = tuple(finite_real(f"{name}[{firm}][{i}]", v) for i, v in enumerate(entries))
        for i, v in enumerate(numbers):
            if v < 0.0 or (v == 0.0 and not allow_zero):
                bound = ">= 0" if allow_zero else "> 0"
                raise ValueError(f"{name}[{firm}][{i}] must be {bound}, got {v!r}")
        result.append(numbers[: stages[firm]])
    return tuple(result)


@dataclass(frozen=True)
class Race:
    """The multi-stage patent race in continuous time with perfect monitoring (SPEC.md §1).

    Firm ``k`` in its stage ``i`` chooses effort ``x >= 0`` at flow cost ``c_k(x)``
    and completes the stage at Poisson rate ``lambda_k(i) x``. The first firm to
    complete its ``N_k`` stages wins ``prize``; the other gets ``loser_prize``.
    Both discount at rate ``discount``.

    Parameters
    ----------
    stages : int or (int, int)
        ``N_k >= 1``, the number of stages each firm must complete.
    prize : float
        ``P > 0``, the winner's payoff.
    discount : float
        ``r > 0``. ``r = 0`` is excluded: zero effort then solves (1) everywhere
        without being an equilibrium.
    cost : Cost or (Cost, Cost)
        The flow cost of effort, one for both firms or one per firm.
    loser_prize : float
        ``L <= P``, the loser's payoff (default 0).
    productivity : None, sequence, or pair of sequences
        ``lambda_k(i) > 0``: the hazard per unit of effort at experience level
        ``i`` (a learning curve). None means 1 everywhere; one sequence of length
        ``max(N1, N2)`` is shared by both firms (firm ``k`` uses its first ``N_k``
        entries); a pair gives each firm ``N_k`` entries.
    breakthrough : None, sequence, or pair of sequences
        ``b_k(i) >= 0``: while firm ``k`` has completed ``i`` stages it wins
        outright at rate ``b_k(i)``, whatever its effort (FGST's random discovery,
        SPEC.md §1 "Breakthroughs"). Same shapes as ``productivity``; None means 0
        everywhere, and a race with ``b = 0`` is the race without breakthroughs.

    Attributes
    ----------
    stages, cost, productivity, breakthrough
        Always normalised to pairs, one entry per firm.

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic()).stages
    (2, 2)
    >>> Race(stages=2, prize=1.0, discount=-0.1, cost=Quadratic())
    Traceback (most recent call last):
    ...
    ValueError: discount must be > 0 (a positive, finite discount rate), got -0.1
    """

    stages: Any
    prize: float
    discount: float
    cost: Any
    loser_prize: float = 0.0
    productivity: Any = None
    breakthrough: Any = None

    def __post_init__(self) -> None:
        stages, prize, discount, loser_prize = _race_basics(self.stages, self.prize, self.discount, self.loser_prize)
        costs = _pair("cost", self.cost)
        for firm, cost in enumerate(costs):
            if not isinstance(cost, Cost):
                raise TypeError(
                    f"cost for firm {firm} must be a patentrace.costs.Cost (e.g. Quadratic(scale=1.0)), "
                    f"got {cost!r} of type {type(cost).__name__}"
                )
            cost.check()
        productivity = _stage_rates("productivity", self.productivity, stages, allow_zero=False)
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "prize", prize)
        object.__setattr__(self, "discount", discount)
        object.__setattr__(self, "loser_prize", loser_prize)
        object.__setattr__(self, "cost", costs)
        object.__setattr__(self, "productivity", productivity)
        breakthrough = _stage_rates("breakthrough", self.breakthrough, stages, allow_zero=True)
        object.__setattr__(self, "breakthrough", breakthrough)

    @property
    def has_breakthroughs(self) -> bool:
        """Whether some breakthrough hazard ``b_k(i)`` is positive (SPEC.md §1).

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic()).has_breakthroughs
        False
        >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.0, 0.2]).has_breakthroughs
        True
        """
        return any(v > 0.0 for rates in self.breakthrough for v in rates)

    def breakthrough_array(self, firm: int) -> NDArray[np.float64]:
        """``b_firm(i)`` for ``i = 0 .. N_firm - 1`` as an array (SPEC.md §1, "Breakthroughs").

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.0, 0.1, 0.2])
        >>> race.breakthrough_array(0).tolist(), race.breakthrough_array(1).tolist()
        ([0.0, 0.1, 0.2], [0.0, 0.1])
        >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.1, -0.2])
        Traceback (most recent call last):
        ...
        ValueError: breakthrough[0][1] must be >= 0, got -0.2
        """
        return np.asarray(self.breakthrough[firm], dtype=float)

    def breakthrough_hazard(self) -> NDArray[np.float64] | None:
        """``b_k`` at every state, shape ``(2, N1 + 1, N2 + 1)``; None without breakthroughs (SPEC.md §1).

        The entries are 0 once firm ``k`` has finished.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = Race(stages=(1, 2), prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.1, 0.3])
        >>> race.breakthrough_hazard()[1].tolist()
        [[0.1, 0.3, 0.0], [0.1, 0.3, 0.0]]
        """
        if not self.has_breakthroughs:
            return None
        out = np.zeros((2, *self.shape))
        out[0, : self.stages[0], :] = self.breakthrough_array(0)[:, None]
        out[1, :, : self.stages[1]] = self.breakthrough_array(1)[None, :]
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """``(N1 + 1, N2 + 1)``: the shape of every per-state array.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Quadratic()).shape
        (4, 3)
        """
        return (self.stages[0] + 1, self.stages[1] + 1)

    def productivity_array(self, firm: int) -> NDArray[np.float64]:
        """``lambda_firm(i)`` for ``i = 0 .. N_firm - 1`` as an array.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Quadratic(), productivity=[1.0, 1.5, 2.0])
        >>> race.productivity_array(0).tolist(), race.productivity_array(1).tolist()
        ([1.0, 1.5, 2.0], [1.0, 1.5])
        """
        return np.asarray(self.productivity[firm], dtype=float)


@dataclass(frozen=True)
class Action:
    """One choice a firm can make for a period of a :class:`LaggedRace` (SPEC.md §2).

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
class LaggedRace:
    """The race in periods of length ``lag``: the information lag of SPEC.md §2.

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
        A menu is a sequence of :class:`Action`. Per-stage menus (one per stage
        completed) let the technology change with experience; a firm's menus all
        offer the same number of actions.
    loser_prize : float
        ``L <= P``.
    tie : {"split", "first", "loss"} or float
        ``"split"``: half the prize each; a number ``theta`` in ``[0, 1]``: ``theta P``
        each; ``"loss"``: both get the loser prize; ``"first"``: with deterministic
        progress, the firm that would cross first at constant speed within the
        period wins (the one with the smaller ``stages left / stages advanced``;
        equal times split).
    breakthrough : None, sequence, or pair of sequences
        ``q_k(i)`` in ``[0, 1]``: the probability that firm ``k``, having completed
        ``i`` stages, wins outright in a period whatever its action (random discovery,
        SPEC.md §1 "Breakthroughs", in periods). It acts as an advance to the finish
        line, so two crossings in one period go to the tie rule (with ``"first"`` a
        breakthrough crosses at the end of the period). Same shapes as ``Race``'s
        ``productivity``; None means 0 everywhere.

    Examples
    --------
    >>> work, shirk = Action(0.2, {1: 0.5, 0: 0.5}), Action(0.0, {0: 1.0})
    >>> race = LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> round(race.discount_factor, 6), len(race.menus[0][0])
    (0.951229, 2)
    """

    stages: Any
    prize: float
    lag: float
    discount: float
    actions: Any
    loser_prize: float = 0.0
    tie: Any = "split"
    breakthrough: Any = None

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
        menus = _menus(self.actions, stages)
        tie = self.tie
        if isinstance(tie, str):
            if tie not in _TIE_RULES:
                raise ValueError(f"tie must be one of {_TIE_RULES} or a share theta in [0, 1], got {tie!r}")
            if tie == "first" and not all(a.deterministic for firm in menus for menu in firm for a in menu):
                raise ValueError('tie="first" needs deterministic progress (each action advances a fixed number)')
        else:
            tie = finite_real("tie", tie)
            if not 0.0 <= tie <= 1.0:
                raise ValueError(f"tie as a share of the prize must be in [0, 1], got {tie!r}")
        for name, value in (("stages", stages), ("prize", prize), ("lag", lag), ("discount", discount),
                            ("loser_prize", loser_prize), ("actions", menus), ("tie", tie)):
            object.__setattr__(self, name, value)

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
        """``(N1 + 1, N2 + 1)``: the shape of every per-state array.

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
    def from_race(cls, race: Race, lag: float, efforts: Any, tie: Any = "split") -> LaggedRace:
        """The technology of a :class:`Race`, used in periods of length ``lag`` (SPEC.md §2).

        An effort ``x`` from the grid becomes an action whose stage completions over
        the period are Poisson with mean ``lambda(i) x lag`` (completions beyond the
        finish line count as crossing it) and whose cost is the flow cost times
        ``(1 - exp(-r lag)) / r``. The technology per unit of time is fixed, so
        races with different lags compare like with like.

        Parameters
        ----------
        race : Race
            Stages, prize, discount, costs and learning curves.
        lag : float
            ``Delta > 0``.
        efforts : sequence of float, or a pair of them
            The effort grid (the menu), one for both firms or one per firm.
        tie : str or float
            The tie rule (default ``"split"``).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> lagged = LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 0.4])
        >>> [round(p, 6) for _, p in lagged.menus[0][0][1].progress]   # 2 stages to go, mean 0.2
        [0.818731, 0.163746, 0.017523]
        """
        if not isinstance(race, Race):
            raise TypeError(f"race must be a patentrace.Race, got {type(race).__name__}")
        lag = finite_real("lag", lag)
        if lag <= 0.0:
            raise ValueError(f"lag must be > 0 (the length of a period), got {lag!r}")
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
                left = n - i
                menu = []
                for x in grid:
                    mean = race.productivity[firm][i] * x * lag
                    probabilities = poisson.pmf(np.arange(left), mean)
                    progress = {d: float(p) for d, p in enumerate(probabilities)}
                    progress[left] = float(max(1.0 - probabilities.sum(), 0.0)) if mean > 0 else 0.0
                    menu.append(Action(cost=float(cost.value(x)) * per_unit, progress=progress))
                stages.append(tuple(menu))
            menus.append(tuple(stages))
        # A breakthrough at rate b within a period of length lag: probability 1 - exp(-b lag).
        breakthrough = None
        if race.has_breakthroughs:
            breakthrough = tuple([-math.expm1(-b * lag) for b in rates] for rates in race.breakthrough)
        return cls(stages=race.stages, prize=race.prize, lag=lag, discount=race.discount,
                   actions=(menus[0], menus[1]), loser_prize=race.loser_prize, tie=tie, breakthrough=breakthrough)


def _sequence(name: str, value: Any) -> Sequence[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or len(value) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of efforts, got {value!r}")
    return list(value)


def _nested(value: Any) -> bool:
    return (
        isinstance(value, (Sequence, np.ndarray)) and len(value) == 2
        and all(isinstance(v, (Sequence, np.ndarray)) for v in value)
    )



def _cells(steps: Any) -> int:
    """Validate a number of experience-grid cells (SPEC.md §3): an int >= 2."""
    if isinstance(steps, bool) or not isinstance(steps, Integral) or int(steps) < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    return int(steps)

@dataclass(frozen=True)
class DeterministicRace:
    """FGST's deterministic race: experience grows at the chosen speed (SPEC.md §3).

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
        ``L <= P`` (default 0).
    breakthrough : callable or None
        ``b(w) >= 0``: the hazard of an outright discovery at experience ``w``, on top
        of reaching ``w = 1`` (FGST's random discovery; SPEC.md §1 "Breakthroughs").
        With a lag the race is solved on experience grids through :meth:`lagged`,
        where a period at cell ``i`` breaks through with probability
        ``1 - exp(-b(i / steps) lag)``; at lag 0 (perfect monitoring) through the
        Markov-chain approximations :meth:`poisson_race`, refined. Any callable counts
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
    breakthrough: Any = None

    def __post_init__(self) -> None:
        _, prize, discount, loser_prize = _race_basics(1, self.prize, self.discount, self.loser_prize)
        if self.breakthrough is not None and not callable(self.breakthrough):
            raise TypeError(f"breakthrough must be None or a callable b(w) >= 0 of experience w in [0, 1], "
                            f"got {self.breakthrough!r}")
        if loser_prize < 0.0:
            raise ValueError(f"loser_prize must be >= 0 and <= prize ({prize!r}), got {loser_prize!r}")
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

    def breakthrough_hazard(self, w: Any) -> NDArray[np.float64]:
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
        out = np.array([self.breakthrough(float(v)) for v in levels], dtype=float)
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
        return float(self.cost.value(speed)) * discounted_period(self.discount, self.lag)

    def lagged(self, steps: int) -> LaggedRace:
        """The race in periods on a grid of ``steps`` experience steps (SPEC.md §2, §3).

        Experience ``w = i / steps``. Speed ``s / (steps lag)`` advances ``s`` steps in a
        period, for ``s = 0, 1, ..., S``: up to the cap, or without one up to the
        first speed whose period cost exceeds the prize (faster speeds are strictly
        dominated by standing still). A period's cost is :meth:`period_cost`; a tie
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
            while self.period_cost(top * unit) <= self.prize:
                top += 1
        menu = tuple(Action(cost=self.period_cost(s * unit), progress={s: 1.0}) for s in range(top + 1))
        breakthrough = None
        if self.breakthrough is not None:  # a discovery within the period at cell i: 1 - exp(-b(i / n) lag)
            breakthrough = (-np.expm1(-self.breakthrough_hazard(np.arange(n) / n) * self.lag)).tolist()
        return LaggedRace(stages=n, prize=self.prize, lag=self.lag, discount=self.discount, actions=menu,
                          loser_prize=self.loser_prize, tie="first", breakthrough=breakthrough)

    def poisson_race(self, steps: int) -> Race:
        """The Markov-chain approximation of the race under perfect monitoring on ``steps`` cells (SPEC.md §1, §3).

        With perfect monitoring (lag 0) the race is a pair of coupled HJB equations in
        the experience levels ``(w1, w2)``. Their monotone upwind discretisation on a
        grid of ``n = steps`` cells is a Markov chain: a firm at cell ``i`` running at
        speed ``x`` moves to cell ``i + 1`` at rate ``n x`` (so its expected experience
        grows at rate ``x``), pays ``c(x)``, and discovers at rate ``b(i / n)``. That
        chain is exactly a :class:`Race` with ``n`` stages, productivity ``n`` at every
        stage, the same cost, prize, loser prize and discount, and breakthrough hazards
        ``b(i / n)``; its effort is the speed. Its equilibria converge to the
        continuous race's as ``n`` grows (first order, measured; the lag is not used).

        Parameters
        ----------
        steps : int
            Grid cells between ``w = 0`` and ``w = 1``, at least 2.

        Returns
        -------
        Race

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = DeterministicRace(prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=lambda w: 0.1 * w)
        >>> chain = race.poisson_race(4)
        >>> chain.stages, chain.productivity[0], chain.breakthrough[0]
        ((4, 4), (4.0, 4.0, 4.0, 4.0), (0.0, 0.025, 0.05, 0.075))
        """
        n = _cells(steps)
        breakthrough = None
        if self.breakthrough is not None:
            breakthrough = self.breakthrough_hazard(np.arange(n) / n).tolist()
        return Race(stages=n, prize=self.prize, discount=self.discount, cost=self.cost, loser_prize=self.loser_prize,
                    productivity=[float(n)] * n, breakthrough=breakthrough)
