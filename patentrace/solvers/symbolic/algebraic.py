"""Exact algebraic values: ``CRootOf`` of polynomials over the rationals, from resultants (docs/theory/race.md).

``x_1`` is eliminated from the pair ``F_0, F_1`` and each continuation value through its
own polynomial; the irreducible factor that vanishes at the certified solution is kept.
Degrees multiply from state to state, so a polynomial past ``MAX_DEGREE`` is refused.
"""

from __future__ import annotations

import math
from typing import Any

import sympy

from patentrace.errors import EquilibriumError
from patentrace.solvers import _mp as mp
from patentrace.solvers.symbolic.conditions import _V, _X, _X1, _X2, _BuilderState, _State, conditions

# Largest degree of an eliminated polynomial the exact representation accepts, and the most
# stages per firm it is tried for (measured: 3 stages always pass the degree limit).
_EXACT_STAGES = 2

MAX_DEGREE = 16


def _isolate(poly: sympy.Poly, point: mp.mpf) -> tuple[sympy.Rational, sympy.Rational]:
    """The isolating interval of ``poly``'s real root nearest ``point``."""
    intervals = poly.intervals(eps=sympy.Rational(1, 10**12))
    best = min(intervals, key=lambda iv: abs(mp.mpf(sympy.Rational((iv[0][0] + iv[0][1]) / 2).evalf(40)) - point))
    return best[0][0], best[0][1]


class _TooLargeError(Exception):
    def __init__(self, state: tuple[int, int], degree: int):
        self.state, self.degree = state, degree


class _AlgebraicValues(_BuilderState):
    """The builder's exact step: each state's efforts and values as roots of polynomials."""

    polynomials: dict[tuple[str, int, int, int], sympy.Poly]
    known: dict[sympy.Expr, sympy.Poly]
    origin: dict[sympy.Expr, tuple[int, int, int]]
    context: dict[tuple[int, int], tuple[Any, Any, Any, Any]]

    def algebraic(self, i: int, j: int, residual: float) -> _State:
        """Efforts and values as ``CRootOf`` of polynomials from resultants."""
        polys = self.state_polys(i, j)
        effort = tuple(self.root(polys[("effort", k)], self.effort_mp[k][i][j]) for k in (0, 1))
        value = tuple(self.root(polys[("value", k)], self.value_mp[k][i][j]) for k in (0, 1))
        return _State((effort[0], effort[1]), (value[0], value[1]), "root of polynomial", residual)

    def state_polys(self, i: int, j: int) -> dict[tuple[str, int], sympy.Poly]:
        """Polynomials over the rationals of the state's efforts and values (cached)."""
        key = ("effort", 0, i, j)
        if key in self.polynomials:
            return {(q, k): self.polynomials[(q, k, i, j)] for q in ("effort", "value") for k in (0, 1)}
        lam, own, rival, jump = self.context[(i, j)]
        unknowns: dict[sympy.Symbol, sympy.Poly] = {}
        names: dict[sympy.Expr, sympy.Symbol] = {}

        def named(expr: sympy.Expr) -> sympy.Expr:
            if expr.is_Rational:
                return expr
            if expr not in names:
                names[expr] = sympy.Symbol(f"c{len(names)}")
                unknowns[names[expr]] = self.defining(expr, names[expr])
            return names[expr]

        own_s = (named(own[0]), named(own[1]))
        rival_s = (named(rival[0]), named(rival[1]))
        f1, f2 = conditions(self.numbers, lam, own_s, rival_s, breakthrough=jump)
        f1, f2 = sympy.numer(sympy.together(f1)), sympy.numer(sympy.together(f2))
        idle = [self.effort_mp[k][i][j] == 0 for k in (0, 1)]
        # Bezout: the eliminated polynomial's degree is at most the product of the conditions'
        # degrees times those of the continuation values; refuse before computing it.
        bezout = math.prod(int(self.numbers.exponent[k]) for k in (0, 1) if not idle[k])
        predicted = bezout * math.prod(poly.degree() for poly in unknowns.values())
        if predicted > MAX_DEGREE:
            raise _TooLargeError((i, j), predicted)
        effort_polys: list[sympy.Poly] = []
        for k, (keep, drop) in enumerate(((_X1, _X2), (_X2, _X1))):
            if idle[k]:
                poly = sympy.Poly(_X, _X)
            elif idle[1 - k]:
                active = (f1 if k == 0 else f2).subs(drop, 0)
                poly = self.eliminate(sympy.expand(active), unknowns, keep, (i, j))
            else:
                poly = self.eliminate(sympy.resultant(f1, f2, drop), unknowns, keep, (i, j))
            effort_polys.append(self.factor_at(poly, keep, self.effort_mp[k][i][j], (i, j)))
        total = self.numbers.discount + jump[0] + jump[1] + lam[0] * _X1 + lam[1] * _X2
        for k in (0, 1):
            xk, xo = (_X1, _X2) if k == 0 else (_X2, _X1)
            numer = (-self.numbers.cost(k, xk) + lam[k] * xk * own_s[k] + lam[1 - k] * xo * rival_s[k]
                     + jump[k] * self.numbers.prize + jump[1 - k] * self.numbers.loser)
            g = sympy.expand(_V * total - numer)
            for z, zk in ((_X1, 0), (_X2, 1)):
                if idle[zk]:
                    g = g.subs(z, 0)
            if not any(idle):
                # x_1 through a first-order condition (low degree in x_1), then x_0 through its polynomial
                g = sympy.resultant(g, min((f1, f2), key=lambda f: sympy.degree(f, _X2)), _X2)
            for z, zk in ((_X1, 0), (_X2, 1)):
                if g.has(z):
                    g = sympy.resultant(g, effort_polys[zk].as_expr().subs(_X, z), z)
            poly = self.factor_at(self.eliminate(g, unknowns, _V, (i, j)), _V, self.value_mp[k][i][j], (i, j))
            self.polynomials[("value", k, i, j)] = poly
            self.known[self.root(poly, self.value_mp[k][i][j])] = poly
        for k in (0, 1):
            self.polynomials[("effort", k, i, j)] = effort_polys[k]
        return {(q, k): self.polynomials[(q, k, i, j)] for q in ("effort", "value") for k in (0, 1)}

    def defining(self, expr: sympy.Expr, name: sympy.Symbol) -> sympy.Poly:
        """A polynomial with rational coefficients that ``expr`` (a continuation value) is a root of."""
        if expr not in self.known and expr in self.origin:
            firm, i, j = self.origin[expr]
            self.known[expr] = self.state_polys(i, j)[("value", firm)]
        if expr not in self.known:
            raise _TooLargeError(self.origin.get(expr, (0, -1, -1))[1:], MAX_DEGREE + 1)  # a certified number
        return sympy.Poly(self.known[expr].as_expr().subs(_X, name), name)

    def eliminate(self, expr: sympy.Expr, unknowns: dict[sympy.Symbol, sympy.Poly],
                  keep: sympy.Symbol, state: tuple[int, int]) -> sympy.Poly:
        for name, poly in unknowns.items():
            if expr.has(name):
                expr = sympy.resultant(expr, poly.as_expr(), name)
                degree = sympy.Poly(expr, keep).degree()
                if degree > MAX_DEGREE:
                    raise _TooLargeError(state, degree)
        poly = sympy.Poly(expr, keep)
        if poly.degree() > MAX_DEGREE:
            raise _TooLargeError(state, poly.degree())
        return poly

    def factor_at(self, poly: sympy.Poly, x: sympy.Symbol, point: mp.mpf, state: tuple[int, int]) -> sympy.Poly:
        """The irreducible factor of ``poly`` that vanishes at ``point``, in the variable ``_X``."""
        best, gap = None, None
        for factor, _ in poly.factor_list()[1]:
            f = sympy.Poly(factor.as_expr().subs(x, _X), _X)
            with mp.workdps(self.digits + 20):
                coeffs = [mp.mpf(sympy.N(c, self.digits + 20)) for c in f.all_coeffs()]
                size = sum(abs(c) * abs(point) ** (len(coeffs) - 1 - n) for n, c in enumerate(coeffs))
                distance = abs(mp.polyval(coeffs, point)) / size
            if gap is None or distance < gap:
                best, gap = f, distance
        if best is None or gap is None or gap > mp.mpf(10) ** -(self.digits - 5):
            raise EquilibriumError("no factor of the eliminated polynomial vanishes at the certified root", state,
                                   {"closest": float(gap) if gap is not None else None})
        return best.monic() if best.LC() < 0 else best

    def root(self, poly: sympy.Poly, point: mp.mpf) -> sympy.Expr:
        """``CRootOf`` of ``poly`` nearest ``point`` (real roots only)."""
        count = poly.count_roots()
        best, gap = None, None
        for index in range(count):
            root = sympy.CRootOf(poly.as_expr(), index)
            distance = abs(mp.mpf(sympy.N(root, self.digits + 10)) - point)
            if gap is None or distance < gap:
                best, gap = root, distance
        if best is None:
            raise EquilibriumError("the eliminated polynomial has no real root", None, {"degree": poly.degree()})
        return best
