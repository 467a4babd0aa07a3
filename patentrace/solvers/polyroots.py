"""Every equilibrium of one state's game by exact elimination, for polynomial costs (docs/theory/race.md).

A second path to ``patentrace.solvers.allroots.find_equilibria``, independent of its
bracketing: with power costs of integer exponent the two first-order conditions (1) are
polynomials in ``(x_0, x_1)``. The state's numbers (binary floats) are converted to
exact rationals, ``x_1`` is eliminated by the resultant ``Res_{x_1}(F_0, F_1)`` — exact,
so no root is lost to a division by a quantity that vanishes in far-behind states (the
warning of docs/theory/race.md) — and every real root in ``[0, X]`` (``X`` the bound of
``allroots``) is isolated exactly by sympy and refined to 30
digits. For each, ``x_1`` is the non-negative root of ``F_0`` (linear in ``x_1``) or,
where that coefficient vanishes, of ``F_1``; pairs where both conditions hold are kept,
polished by Newton's method in mpmath, and filtered: both efforts positive and each a
best response (docs/theory/race.md (1) has a unique root). The corners, where a firm idles, are added
from the idle condition ``c'(0)(r + h_o)/lambda >= r A + h_o (A - B)``.

It is slow (sympy, one state at a time) and meant as a cross-check.

Examples
--------
>>> from patentrace.costs import Quadratic
>>> found = polynomial_equilibria((1.0, 1.0), (0.0, 0.0), (1.0, 1.0), 0.1, (Quadratic(), Quadratic()))
>>> [tuple(round(v, 10) for v in pair) for pair in found]   # Lee-Wilde, N = 1
[(0.6958114029, 0.6958114029)]
"""

from __future__ import annotations

import sympy

from patentrace.equations import hjb
from patentrace.models.costs import Power
from patentrace.solvers import _mp as mp

__all__ = ["polynomial_equilibria"]

_X1, _X2 = sympy.symbols("x_0 x_1")
_DIGITS = 30


def _exact(value: float) -> sympy.Rational:
    return sympy.Rational(float(value))  # the binary float, exactly


def polynomial_equilibria(
    own_next: tuple[float, float], rival_next: tuple[float, float], productivity: tuple[float, float],
    discount: float, cost: tuple[Power, Power],
) -> list[tuple[float, float]]:
    """Every equilibrium ``(x_0, x_1)`` of one state's game, by resultant elimination.

    Parameters
    ----------
    own_next, rival_next : (float, float)
        ``A_k`` and ``B_k``.
    productivity : (float, float)
        ``lambda_k``.
    discount : float
        ``r``.
    cost : (Power, Power)
        Power costs with integer exponents.

    Returns
    -------
    list of (float, float)
        Sorted by firm 0's effort.

    Raises
    ------
    ValueError
        If a cost is not a power with an integer exponent.
    """
    for firm, c in enumerate(cost):
        if not isinstance(c, Power) or float(c.exponent) != int(c.exponent):
            raise ValueError(f"cost for firm {firm} must be a Power cost with an integer exponent, got {c!r}")
    a = [_exact(v) for v in own_next]
    b = [_exact(v) for v in rival_next]
    lam = [_exact(v) for v in productivity]
    r = _exact(discount)
    x = (_X1, _X2)
    conditions = []
    for k in (0, 1):
        o = 1 - k
        scale, linear, g = _exact(cost[k].scale), _exact(cost[k].linear), int(cost[k].exponent)
        marginal = linear + scale * x[k] ** (g - 1)
        level = linear * x[k] + scale * x[k] ** g / g
        conditions.append(sympy.expand(lam[k] * (marginal * (r + lam[k] * x[k] + lam[o] * x[o]) / lam[k] - level
                                                 - r * a[k] - lam[o] * x[o] * (a[k] - b[k]))))
    f1, f2 = conditions
    found: list[tuple[float, float]] = []
    bound = [float(cost[k].inverse_marginal(float(lam[k] * max(a[k], a[k] - b[k])))) for k in (0, 1)]
    eliminated = sympy.Poly(sympy.resultant(f1, f2, _X2), _X1)
    with mp.workdps(_DIGITS + 10):
        if not eliminated.is_zero and eliminated.degree() > 0:
            for root in eliminated.real_roots():
                x1 = mp.mpf(str(sympy.N(root, _DIGITS)))
                if not 0 < x1 <= bound[0] * (1 + 1e-9):
                    continue
                for x2 in _partners(f1, f2, x1):
                    pair = _polish(f1, f2, x1, x2)
                    if pair is not None and pair[1] > 0:
                        found.append((float(pair[0]), float(pair[1])))
    # corners: one firm idles, the other best-responds to that
    for k in (0, 1):
        o = 1 - k
        lone = hjb.FirmProblem(cost[o], productivity[o], own_next[o], rival_next[o], 0.0, discount)
        alone = float(lone.best_response())
        h_o = productivity[o] * alone
        idles = float(cost[k].marginal(0.0)) * (discount + h_o) / productivity[k] >= (
            discount * own_next[k] + h_o * (own_next[k] - rival_next[k]))
        if idles:
            found.append((0.0, alone) if k == 0 else (alone, 0.0))
    unique: list[tuple[float, float]] = []
    for pair in sorted(found):
        if not any(abs(pair[0] - q[0]) <= 1e-12 * (1 + abs(q[0])) and abs(pair[1] - q[1]) <= 1e-12 * (1 + abs(q[1]))
                   for q in unique):
            unique.append(pair)
    return unique


def _partners(f1: sympy.Expr, f2: sympy.Expr, x1: mp.mpf) -> list[mp.mpf]:
    """Non-negative ``x_1`` with ``F_0(x_0, x_1) = 0`` (linear in ``x_1``), else the roots of ``F_1``."""
    line = sympy.Poly(f1.subs(_X1, sympy.Float(x1, _DIGITS + 10)), _X2)
    coeffs = [mp.mpf(str(c)) for c in line.all_coeffs()]
    if len(coeffs) == 2 and abs(coeffs[0]) > mp.mpf(10) ** -(_DIGITS // 2) * (abs(coeffs[1]) + 1):
        return [-coeffs[1] / coeffs[0]]
    other = sympy.Poly(f2.subs(_X1, sympy.Float(x1, _DIGITS + 10)), _X2)
    return [mp.mpf(str(sympy.re(z))) for z in other.nroots(n=_DIGITS) if abs(sympy.im(z)) < 1e-20]


def _polish(f1: sympy.Expr, f2: sympy.Expr, x1: mp.mpf, x2: mp.mpf) -> tuple[mp.mpf, mp.mpf] | None:
    """Newton's method on both conditions from ``(x1, x2)``; None if it does not converge there."""
    g1 = sympy.lambdify((_X1, _X2), f1, "mpmath")
    g2 = sympy.lambdify((_X1, _X2), f2, "mpmath")
    try:
        u, v = mp.findroot(lambda p, q: (g1(p, q), g2(p, q)), (x1, x2))
    except (ZeroDivisionError, ValueError):
        return None
    scale = abs(g1(0, 0)) + abs(g2(0, 0)) + 1
    if abs(g1(u, v)) + abs(g2(u, v)) > mp.mpf(10) ** -(_DIGITS - 5) * scale:
        return None
    if abs(u - x1) > mp.mpf(10) ** -8 * (1 + abs(x1)):
        return None
    return u, v
