"""A continuous effort choice for one period of a race in periods (docs/theory/periods.md).

In each period a firm chooses an effort ``x`` in ``[0, max_effort]``. It pays the
period cost ``c(x)`` at the start of the period and completes one stage by the end
of it with probability ``p(x)``. [`patentrace.LaggedRace.from_race`][patentrace.LaggedRace.from_race] builds the
technology of a continuous-time race: ``p(x) = 1 - exp(-lambda x lag)`` and the flow
cost discounted over the period, ``c(x) = c_flow(x) (1 - exp(-r lag)) / r``. That
technology is a ``PoissonEffort``: data (a cost family and four numbers), equal by value
and saved with its race; a ``ContinuousEffort`` of your own functions cannot be saved.

The solver of the race in periods with continuous effort (docs/lagged.md, "Continuous
effort") finds every pure equilibrium of a state when the technology is *regular*:
``c`` convex and non-decreasing, ``p`` concave and increasing, and the marginal ratio
``c'(x) / p'(x)`` strictly increasing. ``ContinuousEffort.regular`` records whether
that holds on the checking grid.

Examples
--------
>>> import numpy as np
>>> effort = ContinuousEffort(cost=lambda x: 0.5 * x**2, success=lambda x: 1 - np.exp(-x), max_effort=3.0)
>>> effort.regular, round(float(effort.success(1.0)), 6)
(True, 0.632121)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patentrace._validate import finite_real
from patentrace.models.costs import Cost

__all__ = ["ContinuousEffort", "PeriodCost", "PoissonChance", "PoissonEffort", "poisson_effort"]

FloatArray = NDArray[np.float64]
Function = Callable[[Any], Any]

_CHECKS = 2001  # points of the grid on which the functions are checked at construction
_STEP = 1e-6  # relative step of the central differences used when no derivative is given


@dataclass(frozen=True, eq=False)
class ContinuousEffort:
    """One firm's effort choice for a period: ``x`` in ``[0, max_effort]`` (docs/theory/periods.md).

    Parameters
    ----------
    cost : callable
        ``c(x)``, the cost of effort ``x`` for one period, paid at its start; vectorised
        over numpy arrays. Must be ``>= 0``.
    success : callable
        ``p(x)``, the probability of completing one stage in the period; vectorised.
        Must lie in ``[0, 1]`` and be increasing.
    max_effort : float
        ``> 0``: the largest effort. Choose it where the cost exceeds the prize, so that it
        never binds ([`patentrace.LaggedRace.from_race`][patentrace.LaggedRace.from_race] does).
    marginal_cost, marginal_success : callable, optional
        ``c'(x)`` and ``p'(x)``. Without them, central differences of ``cost`` and
        ``success`` are used (relative step 1e-6), which limits the precision of the
        first-order conditions to about 1e-10.

    Raises
    ------
    ValueError
        Naming ``cost``, ``success`` or ``max_effort``, with the effort and the value,
        when on a grid of 2001 efforts spanning ``[0, max_effort]`` the cost is negative
        or not finite, the success probability lies outside ``[0, 1]``, or it does not
        increase from one grid point to the next. The checks see only the grid.

    Notes
    -----
    ``regular`` is whether, on the same grid, ``c`` is non-decreasing and the marginal
    ratio ``c'(x) / p'(x)`` strictly increases: the condition under which each firm's best
    response is unique and every equilibrium of a state is found (docs/lagged.md). An
    irregular technology is accepted; its race is solved on a refined menu instead, with a
    warning.

    Examples
    --------
    >>> ContinuousEffort(cost=lambda x: x, success=lambda x: 2 * x, max_effort=1.0)
    Traceback (most recent call last):
    ...
    ValueError: success must be a probability in [0, 1]: success(0.5005) = 1.001 (max_effort = 1.0)
    """

    cost: Function
    success: Function
    max_effort: float
    marginal_cost: Function | None = None
    marginal_success: Function | None = None
    _regular: bool = field(init=False, repr=False, default=False)
    _family: tuple[Any, float, float] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        for name in ("cost", "success"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{name} must be a function of the effort, got {getattr(self, name)!r}")
        for name in ("marginal_cost", "marginal_success"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be a function of the effort or None, got {value!r}")
        top = finite_real("max_effort", self.max_effort)
        if top <= 0.0:
            raise ValueError(f"max_effort must be > 0, got {top!r}")
        object.__setattr__(self, "max_effort", top)
        grid = np.linspace(0.0, top, _CHECKS)
        level, chance = self.period_cost(grid), self.probability(grid)
        _check_cost(grid, level, top)
        _check_success(grid, chance, top)
        object.__setattr__(self, "_regular", _is_regular(self, grid, level))

    @property
    def regular(self) -> bool:
        """Whether ``c`` is non-decreasing and ``c'(x) / p'(x)`` strictly increasing on the checking grid.

        Examples
        --------
        >>> import numpy as np
        >>> ContinuousEffort(cost=lambda x: x, success=lambda x: x / 2, max_effort=1.0).regular   # ratio constant
        False
        """
        return self._regular

    @classmethod
    def poisson(cls, cost: Cost, productivity: float, lag: float, discount: float, prize: float) -> PoissonEffort:
        """One of the library's cost families with the Poisson hazard form: a ``PoissonEffort``.

        Examples
        --------
        >>> from patentrace.models.costs import Power
        >>> effort = ContinuousEffort.poisson(Power(scale=1.0, exponent=3.0), 1.5, lag=0.5, discount=0.1, prize=1.0)
        >>> effort.regular, effort.family[2]
        (True, 0.75)
        """
        return poisson_effort(cost, productivity, lag, discount, prize)

    @property
    def family(self) -> tuple[Any, float, float] | None:
        """``(cost, per_unit, rate)`` for a technology built by ``poisson_effort``, else None.

        Lets a solver evaluate the technologies of many states, which differ only in their
        rate, in one array operation.

        Examples
        --------
        >>> from patentrace.models.costs import Quadratic
        >>> poisson_effort(Quadratic(), productivity=2.0, lag=0.5, discount=0.1, prize=1.0).family[2]
        1.0
        """
        return self._family

    def period_cost(self, effort: ArrayLike) -> FloatArray:
        """``c(x)`` as a float array.

        Examples
        --------
        >>> ContinuousEffort(cost=lambda x: x * x, success=lambda x: x / 2, max_effort=1.0).period_cost([0.5]).tolist()
        [0.25]
        """
        x = np.asarray(effort, dtype=float)
        return _shaped(self.cost(x), x)

    def probability(self, effort: ArrayLike) -> FloatArray:
        """``p(x)`` as a float array.

        Examples
        --------
        >>> ContinuousEffort(cost=lambda x: x * x, success=lambda x: x / 2, max_effort=1.0).probability([0.5]).tolist()
        [0.25]
        """
        x = np.asarray(effort, dtype=float)
        return _shaped(self.success(x), x)

    def cost_slope(self, effort: ArrayLike) -> FloatArray:
        """``c'(x)``: the given derivative, or a central difference (one-sided at the ends).

        Examples
        --------
        >>> effort = ContinuousEffort(cost=lambda x: x * x, success=lambda x: x / 2, max_effort=1.0)
        >>> bool(abs(effort.cost_slope(0.5) - 1.0) < 1e-8)
        True
        """
        if self.marginal_cost is not None:
            x = np.asarray(effort, dtype=float)
            return _shaped(self.marginal_cost(x), x)
        return _difference(self.period_cost, effort, self.max_effort)

    def success_slope(self, effort: ArrayLike) -> FloatArray:
        """``p'(x)``: the given derivative, or a central difference (one-sided at the ends).

        Examples
        --------
        >>> effort = ContinuousEffort(cost=lambda x: x * x, success=lambda x: x / 2, max_effort=1.0)
        >>> bool(abs(effort.success_slope(0.5) - 0.5) < 1e-8)
        True
        """
        if self.marginal_success is not None:
            x = np.asarray(effort, dtype=float)
            return _shaped(self.marginal_success(x), x)
        return _difference(self.probability, effort, self.max_effort)


def _shaped(result: Any, x: FloatArray) -> FloatArray:
    """A function's result as a float array of the effort's shape (a constant is broadcast)."""
    out = np.asarray(result, dtype=float)
    return out if out.shape == x.shape else np.array(np.broadcast_to(out, x.shape))


def _difference(function: Callable[[ArrayLike], FloatArray], effort: ArrayLike, top: float) -> FloatArray:
    x = np.asarray(effort, dtype=float)
    step = _STEP * np.maximum(np.abs(x), 1e-3 * top)
    below, above = np.maximum(x - step, 0.0), np.minimum(x + step, top)
    return np.asarray((function(above) - function(below)) / (above - below))


def _check_cost(grid: FloatArray, level: FloatArray, top: float) -> None:
    bad = np.flatnonzero(~np.isfinite(level) | (level < 0.0))
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"cost must be a finite number >= 0 for every effort in [0, max_effort]: "
                         f"cost({grid[k]:.6g}) = {level[k]!r} (max_effort = {top!r})")


def _check_success(grid: FloatArray, chance: FloatArray, top: float) -> None:
    bad = np.flatnonzero(~np.isfinite(chance) | (chance < 0.0) | (chance > 1.0))
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"success must be a probability in [0, 1]: success({grid[k]:.6g}) = {chance[k]:.6g} "
                         f"(max_effort = {top!r})")
    flat = np.flatnonzero(np.diff(chance) <= 0.0)
    if flat.size:
        k = int(flat[0])
        raise ValueError(f"success must be increasing in the effort: success({grid[k]:.6g}) = {chance[k]:.6g} "
                         f"but success({grid[k + 1]:.6g}) = {chance[k + 1]:.6g} (max_effort = {top!r})")


def _is_regular(effort: ContinuousEffort, grid: FloatArray, level: FloatArray) -> bool:
    """Non-decreasing cost and strictly increasing ``c'/p'`` on the grid (relative slack 1e-9)."""
    if np.any(np.diff(level) < -1e-12 * np.maximum(np.abs(level[1:]), 1e-300)):
        return False
    slope = effort.success_slope(grid)
    if np.any(~np.isfinite(slope)) or np.any(slope <= 0.0):
        return False
    ratio = effort.cost_slope(grid) / slope
    if np.any(~np.isfinite(ratio)):
        return False
    return bool(np.all(np.diff(ratio) > 1e-9 * np.maximum(np.abs(ratio[1:]), 1e-300)))


@dataclass(frozen=True)
class PeriodCost:
    """``c(x) = c_flow(x) per_unit`` (or, with ``slope``, ``c'(x)``): a flow cost over one period, as data.

    The cost and marginal cost of a ``PoissonEffort``: ``per_unit = (1 - exp(-r lag)) / r``
    discounts a flow paid over a period of length ``lag`` to its start
    (docs/theory/periods.md, "Limits and comparing lags").

    Examples
    --------
    >>> from patentrace.models.costs import Quadratic
    >>> PeriodCost(Quadratic(scale=2.0), per_unit=0.5)([1.0, 2.0]).tolist()       # x^2 / 2
    [0.5, 2.0]
    >>> PeriodCost(Quadratic(scale=2.0), per_unit=0.5, slope=True)([1.0]).tolist()  # 2 x / 2
    [1.0]
    """

    flow: Cost
    per_unit: float
    slope: bool = False

    def __call__(self, effort: ArrayLike) -> FloatArray:
        """The period cost (or its slope) at ``effort``, as a float array.

        Examples
        --------
        >>> from patentrace.models.costs import Quadratic
        >>> PeriodCost(Quadratic(), per_unit=2.0)(3.0).tolist()
        9.0
        """
        level = self.flow.marginal(effort) if self.slope else self.flow.value(effort)
        return np.asarray(level, dtype=float) * self.per_unit


@dataclass(frozen=True)
class PoissonChance:
    """``p(x) = 1 - exp(-rate x)`` (or, with ``slope``, ``p'(x) = rate exp(-rate x)``), as data.

    The probability of at least one completion within a period of a Poisson process of
    rate ``lambda x``; ``rate = lambda lag`` (docs/theory/periods.md, "Limits and comparing lags").

    Examples
    --------
    >>> import math
    >>> bool(PoissonChance(rate=0.5)(1.0) == -math.expm1(-0.5))
    True
    """

    rate: float
    slope: bool = False

    def __call__(self, effort: ArrayLike) -> FloatArray:
        """The success probability (or its slope) at ``effort``, as a float array.

        Examples
        --------
        >>> PoissonChance(rate=2.0, slope=True)(0.0).tolist()
        2.0
        """
        x = np.asarray(effort, dtype=float)
        if self.slope:
            return np.asarray(self.rate * np.exp(-self.rate * x))
        return np.asarray(-np.expm1(-self.rate * x))


@dataclass(frozen=True, repr=True, eq=True)
class PoissonEffort(ContinuousEffort):
    """A continuous-time technology used over one period (docs/theory/periods.md, "Limits and comparing lags").

    What [`patentrace.LaggedRace.from_race`][patentrace.LaggedRace.from_race] builds for each firm and stage: a
    cost family and a productivity (the hazard per unit of effort) held fixed per unit of
    time, used in periods of length ``lag``. It is data, not functions: equal when its
    parameters are equal, and saved and rebuilt by ``to_dict`` / ``from_dict`` of its race.

    ``p(x) = 1 - exp(-lambda x lag)``: at least one completion of a Poisson process of
    rate ``lambda x`` within the period; ``c(x) = c_flow(x) (1 - exp(-r lag)) / r``: the
    flow cost paid over the period, discounted to its start. ``max_effort`` is where
    the period cost reaches the prize: a larger effort costs more than any race is worth,
    so it is never a best response when values are ``>= 0`` (loser prize ``>= 0``,
    ``c(0) = 0``). The functions of ``ContinuousEffort`` (``cost``, ``success`` and their
    derivatives) are filled in from these parameters.

    Parameters
    ----------
    flow_cost : patentrace.costs.Cost
        ``c_flow``, the cost per unit of time.
    productivity : float
        ``lambda > 0``, the hazard per unit of effort.
    lag : float
        ``Delta > 0``, the length of a period.
    discount : float
        ``r > 0``.
    prize : float
        ``P > 0``, which bounds the effort (``max_effort``).

    Raises
    ------
    ValueError, TypeError
        Naming the parameter and its value, for a number that is not finite and ``> 0``
        or a ``flow_cost`` that is not a cost.

    Examples
    --------
    >>> from patentrace.models.costs import Quadratic
    >>> effort = PoissonEffort(Quadratic(), productivity=2.0, lag=0.5, discount=0.1, prize=1.0)
    >>> effort
    PoissonEffort(flow_cost=Quadratic(scale=1.0, linear=0.0), productivity=2.0, lag=0.5, discount=0.1, prize=1.0)
    >>> effort == PoissonEffort(Quadratic(), 2.0, 0.5, 0.1, 1.0), effort.regular
    (True, True)
    """

    cost: Function = field(init=False, repr=False, compare=False)
    success: Function = field(init=False, repr=False, compare=False)
    max_effort: float = field(init=False, repr=False, compare=False)
    marginal_cost: Function | None = field(init=False, repr=False, compare=False, default=None)
    marginal_success: Function | None = field(init=False, repr=False, compare=False, default=None)
    _regular: bool = field(init=False, repr=False, compare=False, default=False)
    _family: tuple[Any, float, float] | None = field(init=False, repr=False, compare=False, default=None)
    flow_cost: Cost
    productivity: float
    lag: float
    discount: float
    prize: float

    def __post_init__(self) -> None:
        for name in ("productivity", "lag", "discount", "prize"):
            value = finite_real(name, getattr(self, name))
            if not value > 0.0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
            object.__setattr__(self, name, value)
        if not isinstance(self.flow_cost, Cost):
            raise TypeError(f"flow_cost must be a patentrace.costs.Cost, got {self.flow_cost!r}")
        rate = self.productivity * self.lag
        per_unit = -math.expm1(-self.discount * self.lag) / self.discount
        filled: dict[str, Any] = {
            "cost": PeriodCost(self.flow_cost, per_unit),
            "marginal_cost": PeriodCost(self.flow_cost, per_unit, slope=True),
            "success": PoissonChance(rate), "marginal_success": PoissonChance(rate, slope=True),
            "max_effort": _effort_costing(self.flow_cost, self.prize / per_unit),
            "_family": (self.flow_cost, per_unit, rate),
        }
        for name, value in filled.items():
            object.__setattr__(self, name, value)
        super().__post_init__()


def poisson_effort(cost: Cost, productivity: float, lag: float, discount: float, prize: float) -> PoissonEffort:
    """The continuous-time technology over one period: a ``PoissonEffort`` (docs/theory/periods.md).

    What [`patentrace.LaggedRace.from_race`][patentrace.LaggedRace.from_race] uses for each firm and stage, and
    ``ContinuousEffort.poisson``; ``cost`` is the flow cost family (``PoissonEffort``'s
    ``flow_cost``).

    Examples
    --------
    >>> from patentrace.models.costs import Quadratic
    >>> effort = poisson_effort(Quadratic(), productivity=1.0, lag=0.5, discount=0.1, prize=1.0)
    >>> import math
    >>> bool(abs(effort.probability(1.0) - (1 - math.exp(-0.5))) < 1e-15)
    True
    """
    if not isinstance(cost, Cost):
        raise TypeError(f"cost must be a patentrace.costs.Cost, got {cost!r}")
    return PoissonEffort(flow_cost=cost, productivity=productivity, lag=lag, discount=discount, prize=prize)


def _effort_costing(cost: Cost, level: float) -> float:
    """Smallest effort (to 1e-12 relative) whose flow cost reaches ``level``."""
    lo, hi = 0.0, 1.0
    while float(cost.value(hi)) < level:
        lo, hi = hi, 2.0 * hi
        if hi > 1e300:
            raise ValueError(f"cost never reaches {level!r}: the effort would be unbounded")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if float(cost.value(mid)) < level:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return hi
