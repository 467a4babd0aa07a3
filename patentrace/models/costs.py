"""Cost of research effort and the best response it implies (docs/theory/race.md (1)).

A firm that exerts effort ``x >= 0`` pays the flow cost ``c(x)``. Every cost is
convex with ``c(0) = 0`` and ``c'(0) >= 0``. The library ships the power family

    c(x) = m x + a x**g / g,        a > 0, g > 1, m >= 0,

of which [`Quadratic`][patentrace.models.costs.Quadratic] (``g = 2``) is the workhorse of the literature. A
positive ``m`` is a participation cost: it is what makes a firm drop out.

The best response of docs/theory/race.md (1) depends on the cost only through

    G(x) = c'(x) (s + x) - c(x) = q,

where ``s = (r + h_rival) / lambda`` is the effective discount rate measured in
units of effort and ``q = r A + h_rival (A - B)`` is the gain of completing the
stage. ``G`` is increasing (``G' = c''(x) (s + x) > 0``), so the root is unique,
and the firm idles exactly where ``G(0) = c'(0) s >= q``.

Examples
--------
>>> from patentrace.costs import Quadratic
>>> cost = Quadratic(scale=1.0)
>>> float(cost.value(2.0)), float(cost.marginal(2.0))
(2.0, 2.0)
"""

from __future__ import annotations

import abc
import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import elementwise

from patentrace._validate import finite_real

if TYPE_CHECKING:  # sympy loads on first use: most scripts never need it
    import sympy

__all__ = ["Cost", "CostLike", "Power", "PowerFamily", "Quadratic", "exact_rational", "power_best_response"]

FloatArray = NDArray[np.float64]

# Halley's method on the log-transformed first-order condition converges cubically
# from the upper bound; 60 steps is far more than ever needed.
_HALLEY_STEPS = 60
_EPS = float(np.finfo(float).eps)
_CHECK_STEP = 1e-9  # the step of the right difference quotient at x = 0 in Cost.check


def exact_rational(value: float) -> sympy.Rational:
    """The rational number a user meant by a float: ``0.05`` becomes ``1/20``.

    Parameters
    ----------
    value : float
        A finite number.

    Returns
    -------
    sympy.Rational
        The rational with the shortest decimal expansion that rounds to ``value``.

    Examples
    --------
    >>> exact_rational(0.05)
    1/20
    """
    import sympy

    return sympy.Rational(repr(float(value)))


class CostLike(Protocol):
    """What a solver needs of a cost: [`Cost`][patentrace.models.costs.Cost] and ``PowerFamily`` both provide it.

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> cost: CostLike = Quadratic(scale=2.0)
    >>> float(cost.value(1.5)), float(cost.marginal(1.5)), float(cost.inverse_marginal(3.0))
    (2.25, 3.0, 1.5)
    """

    def value(self, effort: ArrayLike) -> FloatArray: ...  # noqa: D102
    def marginal(self, effort: ArrayLike) -> FloatArray: ...  # noqa: D102
    def curvature(self, effort: ArrayLike) -> FloatArray: ...  # noqa: D102
    def inverse_marginal(self, slope: ArrayLike) -> FloatArray: ...  # noqa: D102
    def best_response(self, target: ArrayLike, rate: ArrayLike) -> FloatArray: ...  # noqa: D102


class Cost(abc.ABC):
    """A convex flow cost of effort, ``c(x)`` with ``c(0) = 0`` (docs/theory/race.md).

    Subclass it to use a cost of your own: implement [`value`][patentrace.models.costs.Cost.value],
    [`marginal`][patentrace.models.costs.Cost.marginal] and [`expression`][patentrace.models.costs.Cost.expression]. The
    generic [`best_response`][patentrace.models.costs.Cost.best_response]
    and [`inverse_marginal`][patentrace.models.costs.Cost.inverse_marginal] then work by bracketing; override them when
    a
    closed form exists. [`patentrace.Race`][patentrace.Race] calls [`check`][patentrace.models.costs.Cost.check] on
    every cost
    it is given, so a cost that is not convex is refused at construction.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> class Cubic(Cost):
    ...     def value(self, effort):
    ...         return np.asarray(effort, dtype=float) ** 3 / 3
    ...     def marginal(self, effort):
    ...         return np.asarray(effort, dtype=float) ** 2
    ...     def expression(self, effort=None):
    ...         x = effort if effort is not None else sympy.Symbol("x")
    ...         return x**3 / 3
    >>> x = Cubic().best_response(target=1.0, rate=0.5)
    >>> bool(abs(Power(scale=1.0, exponent=3.0).best_response(1.0, 0.5) - x) < 1e-12)
    True
    """

    @abc.abstractmethod
    def value(self, effort: ArrayLike) -> FloatArray:
        """Flow cost ``c(x)``.

        Examples
        --------
        >>> Quadratic(scale=2.0, linear=0.1).value([0.0, 1.0]).tolist()     # 0.1 x + x^2
        [0.0, 1.1]
        """

    @abc.abstractmethod
    def marginal(self, effort: ArrayLike) -> FloatArray:
        """Marginal cost ``c'(x)``.

        Examples
        --------
        >>> Quadratic(scale=2.0, linear=0.1).marginal([0.0, 1.0]).tolist()  # 0.1 + 2 x
        [0.1, 2.1]
        """

    @abc.abstractmethod
    def expression(self, effort: sympy.Symbol | None = None) -> sympy.Expr:
        """The cost as a sympy expression in ``effort`` (default symbol ``x``).

        Examples
        --------
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> Quadratic(scale=2.0, linear=0.5).expression(x)
        x**2 + x/2
        """

    def curvature(self, effort: ArrayLike) -> FloatArray:
        """Second derivative ``c''(x)`` at ``x > 0``; by default a central difference of ``marginal``.

        Examples
        --------
        The default, applied to a shipped cost whose exact curvature is known
        (``c(x) = x^3 / 3``, ``c''(x) = 2 x``):

        >>> bool(abs(Cost.curvature(Power(scale=1.0, exponent=3.0), 1.5) - 3.0) < 1e-8)
        True
        """
        x = np.asarray(effort, dtype=float)
        step = 1e-6 * np.maximum(x, 1e-12)
        below = np.maximum(x - step, 0.0)
        return np.asarray((self.marginal(x + step) - self.marginal(below)) / (x + step - below))

    def inverse_marginal(self, slope: ArrayLike) -> FloatArray:
        """Largest effort whose marginal cost does not exceed ``slope``; 0 below ``c'(0)``.

        Parameters
        ----------
        slope : array_like
            Marginal cost levels.

        Returns
        -------
        ndarray
            ``x`` with ``c'(x) = slope`` where ``slope > c'(0)``, else 0.

        Examples
        --------
        The default, applied to a cost with the participation cost ``m = 0.5``
        (``c'(x) = 0.5 + x``): no effort has a marginal cost below ``m``.

        >>> Cost.inverse_marginal(Quadratic(linear=0.5), [0.25, 1.5]).round(12).tolist()
        [0.0, 1.0]
        """
        slope = np.asarray(slope, dtype=float)
        floor = self.marginal(np.zeros_like(slope))
        upper = np.ones_like(slope)
        for _ in range(1100):  # doubling: c' is unbounded for a strictly convex cost
            short = self.marginal(upper) < slope
            if not short.any():
                break
            upper = np.where(short, 2.0 * upper, upper)
        active = slope > floor
        result = elementwise.find_root(
            lambda x, y: self.marginal(x) - y,
            (np.zeros_like(slope), upper),
            args=(np.where(active, slope, floor + 1.0),),
        )
        return np.asarray(np.where(active, result.x, 0.0), dtype=float)

    def best_response(self, target: ArrayLike, rate: ArrayLike) -> FloatArray:
        """Best response of docs/theory/race.md (1): the root of ``c'(x)(s + x) - c(x) = q``.

        Parameters
        ----------
        target : array_like
            ``q = r A + h_rival (A - B)``, the right side of (1).
        rate : array_like
            ``s = (r + h_rival) / lambda > 0``, the effective discount in effort units.

        Returns
        -------
        ndarray
            The optimal effort, 0 where ``c'(0) s >= q`` (the firm idles).

        Examples
        --------
        The default, applied to ``c(x) = 0.1 x + x^2 / 2``: where ``c'(0) s = 0.05``
        is at least ``q`` the firm idles, elsewhere (1) holds.

        >>> x = Cost.best_response(Quadratic(linear=0.1), target=[0.04, 1.0], rate=0.5)
        >>> float(x[0])
        0.0
        >>> bool(abs((0.1 + x[1]) * (0.5 + x[1]) - (0.1 * x[1] + x[1] ** 2 / 2) - 1.0) < 1e-12)
        True
        """
        q, s = np.broadcast_arrays(np.asarray(target, dtype=float), np.asarray(rate, dtype=float))
        active = q > self.marginal(np.zeros_like(s)) * s
        if not active.any():
            return np.zeros_like(q)
        # G(x) >= c'(x) s because c'(x) x >= c(x) for a convex cost with c(0) = 0,
        # so the root lies below the effort whose marginal cost is q / s.
        upper = self.inverse_marginal(np.where(active, q / s, 0.0))
        result = elementwise.find_root(
            lambda x, qq, ss: self.marginal(x) * (ss + x) - self.value(x) - qq,
            (np.zeros_like(q), np.where(active, upper, 1.0)),
            args=(np.where(active, q, 1.0), s),
        )
        return np.asarray(np.where(active, result.x, 0.0), dtype=float)

    def check(self) -> None:
        """Raise ``ValueError`` unless the cost looks convex with ``c(0) = 0`` on a test grid.

        The shipped families are convex by construction; this guards costs that
        users write themselves.

        Examples
        --------
        A cost whose ``marginal`` is not the derivative of its ``value`` is refused
        (here ``2 x`` for ``x^2 / 2``), and so is one that is not convex:

        >>> import numpy as np
        >>> class Twice(Quadratic):
        ...     def marginal(self, x): return 2 * np.asarray(x, dtype=float)
        >>> Twice().check()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: cost Twice: marginal() is not the derivative of value(): at x = 1e-06 marginal gives 2e-06, ...
        >>> class Concave(Quadratic):
        ...     def value(self, x): return np.sqrt(np.asarray(x, dtype=float))
        ...     def marginal(self, x): return 0.5 / np.sqrt(np.maximum(np.asarray(x, dtype=float), 1e-300))
        >>> Concave().check()
        Traceback (most recent call last):
        ...
        ValueError: cost Concave is not convex: its marginal cost decreases on [0, 1000]
        """
        if _shipped_formulas(type(self)):  # a function of the cost's type and numbers alone: checked once for each
            try:
                hash(self)
            except TypeError:  # a frozen subclass with an unhashable field: checked every time
                pass
            else:
                _check_shipped(self)
                return
        self._check_on_grid()

    def _check_on_grid(self) -> None:
        """The checks of ``check`` on the test grid."""
        grid = np.concatenate([[0.0], np.geomspace(1e-6, 1e3, 200)])
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, by name
            level = np.asarray(self.value(grid), dtype=float)
            slope = np.asarray(self.marginal(grid), dtype=float)
        name = type(self).__name__
        if level.shape != grid.shape or slope.shape != grid.shape:
            raise ValueError(f"cost {name}: value() and marginal() must return one number per effort")
        if not (np.all(np.isfinite(level)) and np.all(np.isfinite(slope))):
            raise ValueError(f"cost {name}: value and marginal must be finite for efforts in [0, 1000]")
        if level[0] != 0.0:
            raise ValueError(f"cost {name}: c(0) must be 0, got {level[0]!r}")
        if slope[0] < 0.0:
            raise ValueError(f"cost {name}: c'(0) must be >= 0, got {slope[0]!r}")
        if np.any(np.diff(slope) < -1e-12 * np.maximum(1.0, np.abs(slope[1:]))):
            raise ValueError(f"cost {name} is not convex: its marginal cost decreases on [0, 1000]")
        if not _shipped_formulas(type(self)):  # the power family's formulas are exact; a user's own cost is checked
            self._check_marginal(grid[1:], level[1:], slope)

    def _check_marginal(self, grid: FloatArray, level: FloatArray, slope: FloatArray) -> None:
        """Raise ``ValueError`` unless ``marginal()`` is the derivative of ``value()`` (docs/theory/race.md).

        For a convex ``c`` every slope ``c'(x)`` (a one-sided derivative or any
        subgradient at a kink) lies between the difference quotients
        ``(c(x) - c(x - h)) / h`` and ``(c(x + h) - c(x)) / h``; at ``x = 0`` only the
        right one applies. The bracket is exact, so a correct cost with kinks (the
        participation cost ``m x``) passes, and it is ``c''(x) h`` wide, so with
        ``h = 1e-4 x`` a marginal cost off by more than about ``1e-4 (g - 1)`` of
        itself is refused. The slack covers rounding in ``c``.
        """
        step = 1e-4 * grid
        above = np.asarray(self.value(grid + step), dtype=float)
        below = np.asarray(self.value(grid - step), dtype=float)
        first = float(np.asarray(self.value(np.array([_CHECK_STEP])), dtype=float)[0])
        upper = np.concatenate([[first / _CHECK_STEP], (above - level) / step])
        lower = np.concatenate([[-np.inf], (level - below) / step])
        reach = np.concatenate([[abs(first)], np.maximum(np.abs(above), np.abs(below))])
        slack = 64.0 * _EPS * reach / np.concatenate([[_CHECK_STEP], step]) + 1e-9 * np.abs(slope)
        bad = ~((slope >= lower - slack) & (slope <= upper + slack))
        if bad.any():
            k = int(np.argmax(bad))
            at = 0.0 if k == 0 else float(grid[k - 1])
            raise ValueError(
                f"cost {type(self).__name__}: marginal() is not the derivative of value(): at x = {at!r} "
                f"marginal gives {float(slope[k])!r}, but the difference quotients of value() bound it to "
                f"[{float(lower[k])!r}, {float(upper[k])!r}]"
            )


@functools.cache
def _shipped_formulas(kind: type) -> bool:
    """Whether costs of type ``kind`` are frozen power costs computing with the family's own formulas."""
    params = getattr(kind, "__dataclass_params__", None)
    return (issubclass(kind, _PowerLaw) and bool(getattr(params, "frozen", False))
            and all(getattr(kind, name) is getattr(_PowerLaw, name) for name in ("value", "marginal")))


@functools.lru_cache(maxsize=4096)
def _check_shipped(cost: Cost) -> None:
    """``cost._check_on_grid()``, remembered for equal costs (same type and numbers) once it has passed.

    A frozen power cost's checks depend on its type and its three numbers only, so a
    sweep that builds thousands of races with one cost runs them once (a failure is
    not remembered: it raises every time).
    """
    cost._check_on_grid()


class _PowerLaw:
    """The methods of the power family ``m x + a x**g / g``, for one cost or a family of them."""

    scale: Any
    exponent: Any
    linear: Any

    def value(self, effort: ArrayLike) -> FloatArray:
        """Flow cost ``m x + a x**g / g``."""
        return power_value(effort, self.scale, self.exponent, self.linear)

    def marginal(self, effort: ArrayLike) -> FloatArray:
        """Marginal cost ``m + a x**(g - 1)``."""
        return power_marginal(effort, self.scale, self.exponent, self.linear)

    def curvature(self, effort: ArrayLike) -> FloatArray:
        """Second derivative ``a (g - 1) x**(g - 2)``."""
        return power_curvature(effort, self.scale, self.exponent)

    def inverse_marginal(self, slope: ArrayLike) -> FloatArray:
        """Effort with marginal cost ``slope``: ``((slope - m) / a)**(1 / (g - 1))``, 0 below ``m``."""
        return power_inverse_marginal(slope, self.scale, self.exponent, self.linear)

    def best_response(self, target: ArrayLike, rate: ArrayLike) -> FloatArray:
        """Best response of docs/theory/race.md (1) for the power cost (see ``power_best_response``).

        Examples
        --------
        >>> r, P, a = 0.1, 1.0, 1.0   # a lone firm one stage from the prize
        >>> x = Quadratic(scale=a).best_response(target=r * P, rate=r)
        >>> bool(abs(x - (-r + (r * r + 2 * r * P / a) ** 0.5)) < 1e-15)
        True
        """
        return power_best_response(target, rate, self.scale, self.exponent, self.linear)


@dataclass(frozen=True)
class Power(_PowerLaw, Cost):
    """Power cost ``c(x) = m x + a x**g / g`` (docs/theory/race.md).

    Parameters
    ----------
    scale : float
        ``a > 0``, the curvature scale.
    exponent : float
        ``g > 1``; ``g = 2`` is [`Quadratic`][patentrace.models.costs.Quadratic].
    linear : float
        ``m >= 0``, the marginal cost at zero effort (a participation cost).

    Examples
    --------
    >>> cost = Power(scale=2.0, exponent=3.0, linear=0.5)
    >>> float(cost.value(1.0))  # 0.5 + 2/3
    1.1666666666666665
    >>> cost.expression()
    2*x**3/3 + x/2
    """

    scale: float = 1.0
    exponent: float = 2.0
    linear: float = 0.0

    def __post_init__(self) -> None:
        scale = finite_real("scale", self.scale)
        exponent = finite_real("exponent", self.exponent)
        linear = finite_real("linear", self.linear)
        if scale <= 0.0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        if exponent <= 1.0:
            raise ValueError(f"exponent must be > 1 for a strictly convex cost, got {exponent!r}")
        if linear < 0.0:
            raise ValueError(f"linear must be >= 0, got {linear!r}")
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "exponent", exponent)
        object.__setattr__(self, "linear", linear)

    def expression(self, effort: sympy.Symbol | None = None) -> sympy.Expr:
        """``m x + a x**g / g`` with exact rational coefficients.

        Examples
        --------
        >>> import sympy
        >>> Power(scale=1.0, exponent=3.0, linear=0.25).expression(sympy.Symbol("x"))
        x**3/3 + x/4
        """
        import sympy

        x = effort if effort is not None else sympy.Symbol("x", nonnegative=True)
        a, g, m = (exact_rational(v) for v in (self.scale, self.exponent, self.linear))
        expr: sympy.Expr = m * x + a * x**g / g
        return expr


@dataclass(frozen=True)
class Quadratic(Power):
    """Quadratic cost ``c(x) = m x + a x**2 / 2``, the ``g = 2`` power cost (docs/theory/race.md).

    Parameters
    ----------
    scale : float
        ``a > 0``.
    linear : float
        ``m >= 0``.

    Examples
    --------
    >>> Quadratic(scale=1.0, linear=0.05).expression()
    x**2/2 + x/20
    """

    scale: float = 1.0
    exponent: float = field(default=2.0, init=False, repr=False)
    linear: float = 0.0


def power_value(effort: ArrayLike, scale: ArrayLike, exponent: ArrayLike, linear: ArrayLike) -> FloatArray:
    """``m x + a x**g / g``, elementwise over arrays of parameters."""
    x = np.asarray(effort, dtype=float)
    g = np.asarray(exponent, dtype=float)
    return np.asarray(np.asarray(linear) * x + np.asarray(scale) * x**g / g)


def power_marginal(effort: ArrayLike, scale: ArrayLike, exponent: ArrayLike, linear: ArrayLike) -> FloatArray:
    """``m + a x**(g - 1)``, elementwise."""
    x = np.asarray(effort, dtype=float)
    return np.asarray(np.asarray(linear) + np.asarray(scale) * x ** (np.asarray(exponent, dtype=float) - 1.0))


def power_curvature(effort: ArrayLike, scale: ArrayLike, exponent: ArrayLike) -> FloatArray:
    """``a (g - 1) x**(g - 2)``, elementwise."""
    x = np.asarray(effort, dtype=float)
    g = np.asarray(exponent, dtype=float)
    return np.asarray(np.asarray(scale) * (g - 1.0) * x ** (g - 2.0))


def power_inverse_marginal(slope: ArrayLike, scale: ArrayLike, exponent: ArrayLike, linear: ArrayLike) -> FloatArray:
    """``((y - m) / a)**(1 / (g - 1))``, 0 where ``y <= m``, elementwise."""
    excess = np.maximum(np.asarray(slope, dtype=float) - np.asarray(linear), 0.0)
    return np.asarray((excess / np.asarray(scale)) ** (1.0 / (np.asarray(exponent, dtype=float) - 1.0)))


def power_best_response(
    target: ArrayLike, rate: ArrayLike, scale: ArrayLike, exponent: ArrayLike, linear: ArrayLike
) -> FloatArray:
    """Best response of docs/theory/race.md (1) for power costs, elementwise over parameters.

    With ``Q = q - m s``, equation (1) reads ``a s x**(g-1) + a (1 - 1/g) x**g = Q``.
    For ``g = 2`` this is the cancellation-free closed form
    ``x = (2Q/a) / (s + sqrt(s**2 + 2Q/a))``. Otherwise, in ``t = log x``,

        F(t) = (g - 1) t + log(s + (1 - 1/g) e**t) - log(Q / a) = 0

    is increasing and convex with ``g - 1 <= F' <= g``; Halley's method started
    from an upper bound converges in a few steps, each clamped to a bracket whose
    ends differ by at most the factor ``2**(1/(g-1))``. Efforts of 1e-300 are
    resolved to full relative precision.

    Parameters
    ----------
    target : array_like
        ``q = r A + h_rival (A - B)``.
    rate : array_like
        ``s = (r + h_rival) / lambda > 0``.
    scale, exponent, linear : array_like
        ``a``, ``g`` and ``m``, broadcast against ``target``.

    Returns
    -------
    ndarray
        The optimal effort; exactly 0 where ``Q <= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> x = power_best_response(0.1, 0.1, np.array([1.0, 1.0]), np.array([2.0, 3.0]), 0.0)
    >>> bool(np.isclose(x[0], Quadratic().best_response(0.1, 0.1), rtol=1e-15, atol=0))
    True
    """
    q, s = np.asarray(target, dtype=float), np.asarray(rate, dtype=float)
    a, g, m = np.asarray(scale, dtype=float), np.asarray(exponent, dtype=float), np.asarray(linear)
    gain = q - m * s  # Q: the gain net of the participation cost
    active = gain > 0.0
    ratio = np.where(active, gain, 1.0) / a  # Q / a on active entries
    effort = 2.0 * ratio / (s + np.sqrt(s * s + 2.0 * ratio))  # the closed form for g = 2
    other = active & (g != 2.0)
    if other.any():
        shape = effort.shape
        pick = np.broadcast_to(other, shape)
        effort = np.array(effort, copy=True)
        gain_, s_, a_, g_ = (v if v.ndim == 0 else np.broadcast_to(v, shape)[pick] for v in (gain, s, a, g))
        effort[pick] = _power_halley(gain_, s_, a_, g_)
    return np.asarray(np.where(active, effort, 0.0))


def _power_halley(gain: FloatArray, s: FloatArray, a: FloatArray, g: FloatArray) -> FloatArray:
    """Halley's method on ``F(t)`` of ``power_best_response`` for ``Q > 0``; returns ``exp(t)``.

    One-dimensional arrays; an entry leaves the iteration once it has converged.
    """
    kappa = 1.0 - 1.0 / g
    log_ratio = np.log(gain) - np.log(a)  # Q / a may underflow; its log not
    # Each of the two increasing terms is at most Q/a, and one is at least Q/(2a).
    log_s, log_kappa, log_two = np.log(s), np.log(kappa), math.log(2.0)
    upper = np.minimum((log_ratio - log_s) / (g - 1.0), (log_ratio - log_kappa) / g)
    lower = np.minimum((log_ratio - log_two - log_s) / (g - 1.0), (log_ratio - log_two - log_kappa) / g)
    t = np.atleast_1d(np.array(upper, copy=True))
    live = np.arange(t.size)

    def at(values: FloatArray) -> FloatArray:  # parameters may be one number for all entries
        return values if values.ndim == 0 else values[live]

    for _ in range(_HALLEY_STEPS):
        tt, gg, kk, ss = t[live], at(g), at(kappa), at(s)
        grow = kk * np.exp(tt)
        residual = (gg - 1.0) * tt + np.log(ss + grow) - at(log_ratio)
        share = grow / (ss + grow)  # F' = g - 1 + share, F'' = share (1 - share)
        slope = (gg - 1.0) + share
        step = residual / (slope - 0.5 * residual * share * (1.0 - share) / slope)
        t_next = np.minimum(np.maximum(tt - step, at(lower)), at(upper))
        t[live] = t_next
        live = live[np.abs(t_next - tt) > 4.0 * _EPS * np.maximum(1.0, np.abs(tt))]
        if live.size == 0:
            break
    return np.asarray(np.exp(t))


@dataclass(frozen=True, eq=False)
class PowerFamily(_PowerLaw):
    """The power costs of many firm-states at once: ``scale``, ``exponent``, ``linear`` are arrays.

    What the solvers use to treat a batch of races with different costs in one pass:
    the same methods as [`Power`][patentrace.models.costs.Power], elementwise, and
    [`take`][patentrace.models.costs.PowerFamily.take] to follow the
    solver's selections of states.

    Examples
    --------
    >>> import numpy as np
    >>> family = PowerFamily(np.array([1.0, 2.0]), np.array([2.0, 3.0]), np.array([0.0, 0.1]))
    >>> family.marginal(np.array([1.0, 1.0])).tolist()
    [1.0, 2.1]
    """

    scale: FloatArray
    exponent: FloatArray
    linear: FloatArray

    @staticmethod
    def of(costs: list[Power]) -> PowerFamily:
        """The family of the given costs, one entry each.

        Examples
        --------
        >>> family = PowerFamily.of([Quadratic(scale=1.0), Power(scale=2.0, exponent=3.0, linear=0.1)])
        >>> family.scale.tolist(), family.exponent.tolist(), family.linear.tolist()
        ([1.0, 2.0], [2.0, 3.0], [0.0, 0.1])
        """
        return PowerFamily(
            np.array([c.scale for c in costs]),
            np.array([c.exponent for c in costs]),
            np.array([c.linear for c in costs]),
        )

    def take(self, where: NDArray[np.intp] | slice, like: FloatArray | None = None) -> PowerFamily:
        """The entries ``where``, shaped to broadcast against ``like`` (states along its first axis).

        Examples
        --------
        >>> import numpy as np
        >>> family = PowerFamily.of([Quadratic(scale=1.0), Quadratic(scale=2.0), Quadratic(scale=3.0)])
        >>> family.take(np.array([2, 0]), like=np.zeros((2, 5))).scale.tolist()     # a column per state
        [[3.0], [1.0]]
        """
        def pick(values: FloatArray) -> FloatArray:
            chosen = values[where]
            extra = 0 if like is None else np.ndim(like) - chosen.ndim
            return chosen.reshape(chosen.shape + (1,) * extra)

        return PowerFamily(pick(self.scale), pick(self.exponent), pick(self.linear))

    def swapped(self, other: PowerFamily, swap: NDArray[np.bool_]) -> PowerFamily:
        """Entries of ``other`` where ``swap``, of this family elsewhere.

        Examples
        --------
        >>> import numpy as np
        >>> first = PowerFamily.of([Quadratic(scale=1.0), Quadratic(scale=1.0)])
        >>> second = PowerFamily.of([Quadratic(scale=2.0), Quadratic(scale=2.0)])
        >>> first.swapped(second, np.array([False, True])).scale.tolist()
        [1.0, 2.0]
        """
        return PowerFamily(
            np.where(swap, other.scale, self.scale),
            np.where(swap, other.exponent, self.exponent),
            np.where(swap, other.linear, self.linear),
        )

