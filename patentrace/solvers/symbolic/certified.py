"""Certified numbers: Newton's method at high precision, with an interval bound on the residual (docs/theory/race.md).

Backward induction over the states at ``digits + 20`` digits, started at
[`patentrace.solve`][patentrace.solve]'s equilibrium; at each state the residual of both first-order
conditions, evaluated in interval arithmetic, must fall below ``10**-digits``
(relative to the prize), or [`EquilibriumError`][patentrace.EquilibriumError] is raised.
This is the ``"certified"`` form, and the anchor every other form is checked against.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy
from numpy.typing import NDArray

from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.models.lattice import Layout
from patentrace.solvers import _mp as mp
from patentrace.solvers.symbolic.conditions import _Numbers


def _mp(v: Any, dps: int) -> mp.mpf:
    return mp.mpf(sympy.N(v, dps + 10)) if not isinstance(v, mp.mpf) else v


def _certified(
    race: Race, numbers: _Numbers, dps: int, digits: int, start: NDArray[np.float64] | None = None
) -> tuple[list[list[list[mp.mpf]]], list[list[list[mp.mpf]]], dict[tuple[int, int], float]]:
    """Backward induction at ``dps`` digits, started at ``patentrace.solve``'s equilibrium (or ``start``).

    Returns efforts and values as nested lists ``[firm][i][j]`` of mpmath numbers, and the
    bound on each state's residual (interval arithmetic, relative to the prize).
    """
    from patentrace.solvers.backward import solve_race

    guesses = solve_race(race).effort if start is None else start
    n1, n2 = race.stages
    with mp.workdps(dps):
        p, loser, r = (_mp(v, dps) for v in (numbers.prize, numbers.loser, numbers.discount))
        a = [_mp(v, dps) for v in numbers.scale]
        m = [_mp(v, dps) for v in numbers.linear]
        g = [_mp(v, dps) for v in numbers.exponent]
        lam = [[_mp(v, dps) for v in numbers.productivity[k]] for k in (0, 1)]
        jump = [[_mp(v, dps) for v in numbers.breakthrough[k]] for k in (0, 1)]
        effort = [[[mp.mpf(0)] * (n2 + 1) for _ in range(n1 + 1)] for _ in range(2)]
        value = [[[mp.mpf(0)] * (n2 + 1) for _ in range(n1 + 1)] for _ in range(2)]
        for jj in range(n2):
            value[0][n1][jj], value[1][n1][jj] = p, loser
        for ii in range(n1):
            value[0][ii][n2], value[1][ii][n2] = loser, p
        residual: dict[tuple[int, int], float] = {}
        for step in Layout.of([race.stages]).steps:
            for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
                ls = (lam[0][i], lam[1][j])
                own = (value[0][i + 1][j], value[1][i][j + 1])
                rival = (value[0][i][j + 1], value[1][i + 1][j])
                bs = (jump[0][i], jump[1][j])
                rate = r + bs[0] + bs[1]

                coefficients = (m, a, g, r, ls, own, rival, bs, p, loser)

                def focs(x1: Any, x2: Any, c: Any = coefficients) -> list[Any]:
                    return _conditions_at((x1, x2), *c)

                guess = [mp.mpf(float(guesses[k, i, j])) for k in (0, 1)]
                idle = [guess[k] == 0 for k in (0, 1)]
                if idle[0] and idle[1]:
                    x = [mp.mpf(0), mp.mpf(0)]
                elif idle[0] or idle[1]:
                    k = 1 if idle[0] else 0
                    if k == 0:
                        root = mp.findroot(lambda t: focs(t, mp.mpf(0))[0], guess[0])
                        x = [root, mp.mpf(0)]
                    else:
                        root = mp.findroot(lambda t: focs(mp.mpf(0), t)[1], guess[1])
                        x = [mp.mpf(0), root]
                else:
                    x = list(mp.findroot(lambda u, v: focs(u, v), (guess[0], guess[1])))
                for k in (0, 1):
                    # an idle firm must prefer idling: c'(0)(R + h_o)/lambda >= R A + h_o (A - B) - b_k P - b_o L
                    if idle[k]:
                        h_o = ls[1 - k] * x[1 - k]
                        slack = (m[k] * (rate + h_o) / ls[k] - rate * own[k] - h_o * (own[k] - rival[k])
                                 + bs[k] * p + bs[1 - k] * loser)
                        if slack < 0:
                            raise EquilibriumError("an idle firm would invest at high precision", (i, j),
                                                   {"firm": k, "slack": float(slack)})
                    elif not x[k] > 0:
                        raise EquilibriumError("Newton's method left the interior", (i, j),
                                               {"effort": [float(v) for v in x]})
                bound = _residual_bound(coefficients, x, idle, dps) / p
                if bound >= mp.mpf(10) ** -digits:
                    raise EquilibriumError("residual above the certified bound", (i, j),
                                           {"residual": float(bound), "bound": 10.0**-digits})
                residual[(i, j)] = float(bound)
                total = rate + ls[0] * x[0] + ls[1] * x[1]
                for k in (0, 1):
                    level = m[k] * x[k] + a[k] * (x[k] ** g[k] if x[k] != 0 else 0) / g[k]
                    value[k][i][j] = (-level + ls[k] * x[k] * own[k] + ls[1 - k] * x[1 - k] * rival[k]
                                      + bs[k] * p + bs[1 - k] * loser) / total
                    effort[k][i][j] = x[k]
    return effort, value, residual


def _power(x: Any, g: Any) -> Any:
    """``x**g`` with ``0**g = 0``; integer exponents stay integers (exact in interval arithmetic)."""
    if x == 0:
        return 0
    return x ** int(g) if g == int(g) else x**g


def _conditions_at(x: tuple[Any, Any], m: Any, a: Any, g: Any, r: Any, ls: Any, own: Any, rival: Any,
                   bs: Any, p: Any, loser: Any) -> list[Any]:
    """``(F_0, F_1)`` of docs/theory/race.md (1) with breakthroughs ``bs`` at efforts ``x``, (mpmath or intervals).

    ``F_k = c_k'(x_k)(R + h_0 + h_1)/lambda_k - c_k(x_k) - R A_k - h_o (A_k - B_k) + b_k P + b_o L``,
    ``R = r + b_0 + b_1`` (docs/theory/race.md (14)-(15), "Breakthroughs"; ``b = 0`` is (1)).
    """
    rate = r + bs[0] + bs[1]
    out = []
    for k in (0, 1):
        o = 1 - k
        slope = m[k] + a[k] * _power(x[k], g[k] - 1)
        level = m[k] * x[k] + a[k] * _power(x[k], g[k]) / g[k]
        out.append(slope * (rate + ls[k] * x[k] + ls[o] * x[o]) / ls[k] - level
                   - rate * own[k] - ls[o] * x[o] * (own[k] - rival[k]) + bs[k] * p + bs[o] * loser)
    return out


def _residual_bound(coefficients: tuple[Any, ...], x: list[mp.mpf], idle: list[bool], dps: int) -> mp.mpf:
    """Largest ``|F_k|`` over the active conditions, evaluated in interval arithmetic."""
    old = mp.iv.dps
    mp.iv.dps = dps

    def interval(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return type(v)(interval(u) for u in v)
        return mp.iv.mpf(v)

    try:
        m, a, g, r, ls, own, rival, bs, p, loser = coefficients
        values = _conditions_at((interval(x[0]), interval(x[1])), interval(m), interval(a), g, interval(r),
                                interval(ls), interval(own), interval(rival), interval(bs), interval(p),
                                interval(loser))
        worst = mp.mpf(0)
        for k in (0, 1):
            if not idle[k]:
                worst = max(worst, abs(mp.mpf(values[k].a)), abs(mp.mpf(values[k].b)))
        return worst
    finally:
        mp.iv.dps = old
