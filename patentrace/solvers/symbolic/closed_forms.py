"""Closed forms: roots in radicals where they exist (docs/theory/race.md).

At a symmetric state, or where one firm idles, the equilibrium effort is the root of
one polynomial in one unknown; up to degree 4 it has radicals. [`single_firm`][patentrace.symbolic.single_firm]
gives the lone firm's values the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from patentrace.models import Race
from patentrace.models.costs import exact_rational
from patentrace.solvers import _mp as mp
from patentrace.solvers.symbolic.conditions import _X, _BuilderState, _parameters, _validate


def _roots(expr: sympy.Expr, x: sympy.Symbol, degree: int) -> list[sympy.Expr]:
    """All roots of a polynomial in ``x`` in radicals (empty if sympy finds fewer than its degree).

    Quadratics use the formula on coefficients read off by differentiation, which keeps
    nested radicals in the coefficients cheap.
    """
    if degree <= 2:
        c0 = expr.subs(x, 0)
        c1 = sympy.diff(expr, x).subs(x, 0)
        c2 = sympy.diff(expr, x, 2).subs(x, 0) / 2 if degree == 2 else sympy.Integer(0)
        if c2 == 0:
            return [] if c1 == 0 else [-c0 / c1]
        root = sympy.sqrt(c1**2 - 4 * c2 * c0)
        return [(-c1 + root) / (2 * c2), (-c1 - root) / (2 * c2)]
    found = sympy.roots(sympy.Poly(sympy.expand(expr), x), x)
    return list(found) if sum(found.values()) == degree else []


class _ClosedForms(_BuilderState):
    """The builder's closed-form step: a root in radicals that equals the certified number."""

    def radical_root(self, expr: sympy.Expr, x: sympy.Symbol, target: mp.mpf) -> sympy.Expr | None:
        """The root of a univariate polynomial condition in radicals that equals ``target``, if any."""
        if not self.integer:
            return None
        degree = sympy.degree(sympy.expand(expr), x)
        if degree > 4:
            return None
        roots = _roots(expr, x, int(degree))
        if not roots:
            return None
        best, gap = None, None
        for root in roots:
            try:
                here = complex(sympy.N(root.subs(self.at_point), self.digits + 10))
            except (TypeError, ValueError):
                continue
            distance = abs(here - complex(target))
            if gap is None or distance < gap:
                best, gap = root, distance
        if best is None or gap is None or gap > 1e-12 * (1.0 + abs(float(target))):
            return None
        return sympy.simplify(best) if sympy.count_ops(best) < 200 else best


def single_firm(race: Race, firm: int = 0, symbols: Sequence[str] = ()) -> list[sympy.Expr]:
    """The lone firm's values ``V(i)``, ``i = 0 .. N``, in closed form (docs/theory/race.md (11)).

    With no rival hazard, (1) reads ``c'(x)(r + lambda x)/lambda - c(x) = r A``: one
    polynomial in ``x``; for ``c = a x^2/2`` and ``lambda = 1``,
    ``V(n) = (sqrt(V(n+1) + a r/2) - sqrt(a r/2))^2``.

    The firm's own breakthrough hazard ``b = b_k(i)`` counts (docs/theory/race.md (14)-(15),
    "Breakthroughs", with no rival): ``c'(x)(r + b + lambda x)/lambda - c(x) = (r + b) A - b P``
    and ``V = [-c(x) + lambda x A + b P] / (r + b + lambda x)``. Where the right side
    is at most ``c'(0)(r + b)/lambda`` the firm idles (``x = 0``, ``V = b P/(r + b)``).
    The float [`patentrace.single_firm`][patentrace.single_firm] solves the same equations.

    Parameters
    ----------
    race : Race
        Only ``firm``'s stages, cost, productivity and breakthrough hazards and the
        prize matter.
    firm : int
        0 or 1.
    symbols : sequence of str
        As for [`solve`][patentrace.solve].

    Returns
    -------
    list of sympy.Expr
        ``V(0), ..., V(N)``, ``V(N)`` the prize.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> single_firm(race, symbols=("prize",))[1]
    P - sqrt(20*P + 1)/10 + 1/10
    >>> lucky = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.2])
    >>> single_firm(lucky)[0]                         # x = (sqrt(29) - 3)/10, V = P - x
    13/10 - sqrt(29)/10
    """
    symbol_map = _validate(race, symbols, 30)
    if firm not in (0, 1):
        raise ValueError(f"firm must be 0 or 1, got {firm!r}")
    nb = _parameters(race, symbol_map)
    if not nb.exponent[firm].is_integer:
        raise ValueError(f"single_firm needs an integer cost exponent, got {nb.exponent[firm]}")
    at_point = {s: exact_rational(getattr(race, n) if n in ("prize", "discount", "loser_prize")
                                  else getattr(race.cost[0], n)) for n, s in symbol_map.items()}
    n = race.stages[firm]
    values: list[sympy.Expr] = [sympy.Integer(0)] * (n + 1)
    values[n] = nb.prize
    for i in range(n - 1, -1, -1):
        lam = nb.productivity[firm][i]
        b = nb.breakthrough[firm][i]
        r = nb.discount + b
        a = values[i + 1]
        condition = nb.marginal(firm, _X) * (r + lam * _X) / lam - nb.cost(firm, _X) - r * a + b * nb.prize
        roots = _roots(condition, _X, int(nb.exponent[firm]))
        candidates = []
        for z in roots:
            here = complex(sympy.N(z.subs(at_point), 40))
            if abs(here.imag) < 1e-30 and here.real >= 0:
                candidates.append(z)
        if not candidates and sympy.N(condition.subs(_X, 0).subs(at_point), 40) >= 0:
            candidates = [sympy.Integer(0)]  # idles: c'(0)(r + b)/lambda >= (r + b) A - b P
        if len(candidates) != 1:
            raise ValueError(f"no single closed-form root at stage {i} (found {len(candidates)})")
        x = candidates[0]
        raw = (-nb.cost(firm, x) + lam * x * a + b * nb.prize) / (r + lam * x)
        # tidy the first stages; deeper nests of radicals would make simplify slow
        values[i] = sympy.simplify(sympy.radsimp(sympy.simplify(raw))) if i == n - 1 else raw
    return values
