"""Lone firm, deterministic race: value and speed at each level of experience (docs/theory/deterministic.md (D3)).

With no rival, experience ``w`` grows at speed ``x`` and the HJB is
``r V = max_x {-c(x) + x V'(w)}`` with ``V(1) = P``. The first-order condition
``V' = c'(x)`` turns it into ``x c'(x) - c(x) = r V``, which fixes the speed given the
value, and the value then solves the ODE ``dV/dw = c'(x(V))`` backwards from
``w = 1``. For ``c = a x^2 / 2`` this has the closed form of docs/theory/deterministic.md; for other
costs it is integrated numerically. This is the leader's path in FGST's
ε-preemption equilibrium.

Examples
--------
>>> import patentrace as pr
>>> race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> path = single_firm_path(race)
>>> [round(float(v), 5) for v in path.value([0.0, 0.5, 0.9])]    # the check of (D3), docs/theory/deterministic.md
[0.60279, 0.78889, 0.95578]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq

from patentrace._validate import experience
from patentrace.models import DeterministicRace
from patentrace.models.costs import Power

__all__ = ["SingleFirmPath", "single_firm_path"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SingleFirmPath:
    """The lone firm's value and speed at every experience level (docs/theory/deterministic.md (D3)).

    Attributes
    ----------
    race : DeterministicRace
        The model.
    method : str
        ``"closed form"`` (quadratic cost) or ``"numeric HJB"``.
    start : float
        The lowest experience from which the lone firm runs; below it the value and
        the speed are 0 (the lone firm never starts).

    Examples
    --------
    The check of (D3), docs/theory/deterministic.md (``P = a = 1``, ``r = 0.1``):

    >>> import patentrace as pr
    >>> path = single_firm_path(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> path.method, path.value([0.0, 0.5, 0.9]).round(5).tolist()
    ('closed form', [0.60279, 0.78889, 0.95578])
    >>> round(float(path.speed(1.0)), 10)            # sqrt(2 r P / a) at the finish line
    0.4472135955
    """

    race: DeterministicRace
    method: str
    start: float
    _value: object = None  # the dense ODE solution, for the numeric HJB

    def value(self, w: ArrayLike) -> FloatArray:
        """``V_m(w)``; ``w`` must lie in ``[0, 1]``.

        Examples
        --------
        >>> import patentrace as pr
        >>> path = single_firm_path(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> round(float(path.value(0.5)), 5)           # docs/theory/deterministic.md
        0.78889
        """
        at = experience("w", w)
        race = self.race
        if self.method == "closed form":
            scale = float(race.cost.scale)  # type: ignore[attr-defined]
            root = np.sqrt(race.prize) - np.sqrt(scale * race.discount / 2.0) * (1.0 - at)
            return np.asarray(np.where(root > 0.0, root * root, 0.0), dtype=float)
        solution = self._value
        inside = at >= self.start
        out = np.zeros(at.shape)
        if np.any(inside):
            out[inside] = np.maximum(solution.sol(at[inside])[0], 0.0)  # type: ignore[attr-defined]
        return out

    def speed(self, w: ArrayLike) -> FloatArray:
        """``x_m(w)``, the lone firm's speed: the root of ``x c'(x) - c(x) = r V_m(w)``.

        Examples
        --------
        >>> import math
        >>> import patentrace as pr
        >>> path = single_firm_path(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(abs(path.speed(0.5) - (math.sqrt(0.2) - 0.1 * 0.5)) < 1e-15)   # sqrt(2 r P / a) - r (1 - w)
        True
        """
        at = experience("w", w)
        race = self.race
        if self.method == "closed form":
            scale = float(race.cost.scale)  # type: ignore[attr-defined]
            speed = math.sqrt(2.0 * race.discount * race.prize / scale) - race.discount * (1.0 - at)
            return np.asarray(np.maximum(speed, 0.0), dtype=float)
        return _speed_of_value(race, self.value(at))

    def time_to_finish(self, w: float) -> float:
        """``T(w) = integral from w to 1 of du / x_m(u)``: how long the lone firm takes from ``w`` to the finish.

        ``inf`` where the lone firm never starts (or its speed reaches 0 on the way).
        Quadratic cost: ``T(w) = log(x_m(1) / x_m(w)) / r`` (``x_m`` is affine in
        ``w`` with slope ``r``); otherwise adaptive quadrature.

        Examples
        --------
        >>> import math
        >>> import patentrace as pr
        >>> path = single_firm_path(pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(abs(path.time_to_finish(1.0)) == 0.0), round(path.time_to_finish(0.5), 10)
        (True, 1.1856216283)
        """
        at = float(experience("w", w))
        if at == 1.0:
            return 0.0
        if float(self.speed(at)) <= 0.0:
            return math.inf
        if self.method == "closed form":
            return math.log(float(self.speed(1.0)) / float(self.speed(at))) / self.race.discount
        total, _ = quad(lambda u: 1.0 / float(self.speed(u)), at, 1.0, epsabs=0.0, epsrel=1e-10, limit=200)
        return float(total)


def _speed_of_value(race: DeterministicRace, value: FloatArray) -> FloatArray:
    """Solve ``x c'(x) - c(x) = r V`` (increasing in ``x`` for convex ``c``) at each value."""
    cost, r = race.cost, race.discount
    if isinstance(cost, Power):
        a, g = float(cost.scale), float(cost.exponent)
        return np.asarray((r * np.maximum(value, 0.0) * g / (a * (g - 1.0))) ** (1.0 / g), dtype=float)
    out = np.zeros(np.shape(value))
    flat = np.ravel(value)
    for k, v in enumerate(flat):
        if v <= 0.0:
            continue
        def gap(x: float, v: float = float(v)) -> float:
            return float(x * cost.marginal(x) - cost.value(x)) - r * v
        top = 1.0
        while gap(top) < 0.0:
            top *= 2.0
        out.flat[k] = brentq(gap, 0.0, top, xtol=1e-15, rtol=4e-16)
    return out


def single_firm_path(race: DeterministicRace) -> SingleFirmPath:
    """The lone firm's value and speed: closed form or the HJB integrated (docs/theory/deterministic.md (D3)).

    For ``c = a x^2 / 2`` (no linear term): ``V_m(w) = (sqrt(P) - sqrt(a r / 2)(1 - w))^2``
    and ``x_m(w) = sqrt(2 r P / a) - r (1 - w)`` while the root is positive, 0 below.
    Otherwise ``dV/dw = c'(x(V))`` is integrated from ``V(1) = P`` down to where
    ``V`` reaches 0 (DOP853, relative tolerance 1e-12).

    Parameters
    ----------
    race : DeterministicRace
        The model (its lag is irrelevant here).

    Returns
    -------
    SingleFirmPath

    Examples
    --------
    >>> import patentrace as pr
    >>> cubic = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=3.0))
    >>> path = single_firm_path(cubic)
    >>> path.method, round(float(path.value(1.0)), 12)
    ('numeric HJB', 1.0)
    """
    cost = race.cost
    if isinstance(cost, Power) and float(cost.exponent) == 2.0 and float(cost.linear) == 0.0:
        a, r, p = float(cost.scale), race.discount, race.prize
        start = max(0.0, 1.0 - math.sqrt(2.0 * p / (a * r)))
        return SingleFirmPath(race, "closed form", start)
    return _numeric_path(race)


def _numeric_path(race: DeterministicRace) -> SingleFirmPath:
    cost = race.cost

    def slope(_w: float, v: FloatArray) -> FloatArray:
        speed = _speed_of_value(race, np.maximum(v, 0.0))
        return np.asarray(cost.marginal(speed), dtype=float)

    def empty(_w: float, v: FloatArray) -> float:
        return float(v[0])

    empty.terminal = True  # type: ignore[attr-defined]
    empty.direction = -1  # type: ignore[attr-defined]
    solution = solve_ivp(slope, (1.0, 0.0), [race.prize], method="DOP853", rtol=1e-12, atol=1e-14,
                         dense_output=True, events=empty)
    if solution.status == -1:
        raise RuntimeError(f"the lone firm's HJB could not be integrated: {solution.message}")
    start = float(solution.t_events[0][0]) if solution.t_events[0].size else 0.0
    return SingleFirmPath(race, "numeric HJB", max(start, 0.0), solution)
