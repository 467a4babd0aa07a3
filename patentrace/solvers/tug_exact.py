"""Every equilibrium of a short tug-of-war with quadratic costs, by exact algebra (docs/theory/tug-of-war.md).

With ``c(x) = m x + a x^2 / 2`` the first-order condition ``c'(x) = lambda (A - V)``
makes each firm's effort linear in its gain from a success where the firm works, and
0 where it idles. Fix which firm works at which position (an *active set*); then
each firm-position has one unknown ``z`` (the effort ``x = z`` where the firm works,
the gain ``A - V = z`` where it idles), the values are linear in the ``z``
(``V0(k) = P - sum_{j >= k} D0(j)``, ``V1(k) = P - sum_{j <= k} D1(j)``), and the HJB of
every position is a quadratic polynomial with rational coefficients (the model's
floats read as the decimals the user typed, ``exact_rational``).

For each active set the polynomial system is solved exactly: a Groebner basis over
the rationals (sympy, graded reverse lexicographic order) proves the system
zero-dimensional and gives a basis of its quotient ring; the eigenvalues of the
multiplication matrices on that basis are all its complex solutions, with none
missed (Stickelberger's theorem; the count equals the quotient's dimension). The
real solutions that satisfy the active set's inequalities (``x > 0`` where the firm
works, ``lambda (A - V) <= m`` where it idles; tested with a slack of 1e-9 of the
prize, so that rounding in the eigenvectors cannot drop a solution on the boundary)
are the candidates; each is polished by Newton in floating point and checked state by
state, and duplicates (a boundary solution found from two active sets) are merged.
The algebra is exact; the solutions are read off in floating point (eigenvectors),
which is where a solution of high multiplicity could lose accuracy. The enumeration is complete
for every active set, so the list is every equilibrium. The cost grows quickly
with ``K`` (``4^(K-1)`` active sets, up to ``2^(2(K-1))`` solutions each): ``K <= 4``.

Examples
--------
>>> import patentrace as pr
>>> found = exact_equilibria(pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> len(found.values), found.complete
(1, True)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.models.costs import Power, exact_rational
from patentrace.models.tug_of_war import TugOfWar

__all__ = ["MAX_EXACT_LENGTH", "ExactEnumeration", "exact_equilibria", "polynomial_system"]

FloatArray = NDArray[np.float64]
MAX_EXACT_LENGTH = 4
_SLACK = 1e-9   # admissibility is tested with this slack (times the prize); polishing and the checks decide


@dataclass(frozen=True)
class ExactEnumeration:
    """The outcome of the exact enumeration.

    Attributes
    ----------
    values : list of ndarray, shape (2, K - 1)
        The interior values of every real, admissible solution (before polishing), one per
        solution, in the order found.
    complete : bool
        True: every active set's system was zero-dimensional and fully solved.
    solutions : int
        Complex solutions counted over all active sets (with multiplicity).
    active_sets : int
        Active sets examined.
    """

    values: list[FloatArray] = field(default_factory=list)
    complete: bool = True
    solutions: int = 0
    active_sets: int = 0


def _check_model(tug: TugOfWar) -> tuple[Any, ...]:
    if not tug.is_quadratic:
        raise ValueError("the exact enumeration needs quadratic costs (Quadratic or Power with exponent 2), "
                         f"got {tug.cost!r}")
    if tug.length > MAX_EXACT_LENGTH:
        raise ValueError(f"the exact enumeration handles length <= {MAX_EXACT_LENGTH}, got {tug.length}")
    costs = tug.cost
    assert all(isinstance(c, Power) for c in costs)
    return tuple((exact_rational(c.scale), exact_rational(c.linear)) for c in costs if isinstance(c, Power))


def polynomial_system(tug: TugOfWar, active: tuple[bool, ...]) -> tuple[list[Any], list[Any], Any, Any]:
    """The HJB of every position as polynomials in one unknown per firm-position, for an active set.

    Parameters
    ----------
    tug : TugOfWar
        With quadratic costs.
    active : tuple of bool, length 2 (K - 1)
        ``active[f * (K - 1) + k - 1]``: whether firm ``f`` works at position ``k``.

    Returns
    -------
    equations, unknowns, values, efforts
        The polynomials (sympy expressions, rational coefficients), the unknowns, and the
        values ``V_f(k)`` and efforts ``x_f(k)`` as expressions, each ``[firm][position 0 .. K]``.

    Examples
    --------
    >>> import patentrace as pr
    >>> tug = pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> equations, unknowns, _, _ = polynomial_system(tug, (True, True))
    >>> equations[0]
    x0_1**2/2 + x0_1*x1_1 + x0_1/10 - x1_1 - 1/10
    """
    import sympy

    (a0, m0), (a1, m1) = _check_model(tug)
    scale, linear = (a0, a1), (m0, m1)
    n = tug.interior
    r, prize, loser = (exact_rational(v) for v in (tug.discount, tug.prize, tug.loser_prize))
    lam = [[exact_rational(v) for v in tug.productivity_array()[f].tolist()] for f in (0, 1)]
    unknowns = [sympy.Symbol(f"{'x' if active[f * n + k] else 'd'}{f}_{k + 1}") for f in (0, 1) for k in range(n)]
    gain: list[list[Any]] = [[], []]
    effort: list[list[Any]] = [[0] * (n + 2), [0] * (n + 2)]
    for f in (0, 1):
        for k in range(n):
            z = unknowns[f * n + k]
            if active[f * n + k]:
                effort[f][k + 1] = z
                gain[f].append((scale[f] * z + linear[f]) / lam[f][k])
            else:
                gain[f].append(z)
    value: list[list[Any]] = [[loser] + [0] * n + [prize], [prize] + [0] * n + [loser]]
    for k in range(n, 0, -1):                     # V0(k) = V0(k+1) - D0(k)
        value[0][k] = value[0][k + 1] - gain[0][k - 1]
    for k in range(1, n + 1):                     # V1(k) = V1(k-1) - D1(k)
        value[1][k] = value[1][k - 1] - gain[1][k - 1]
    equations = []
    for k in range(1, n + 1):
        for f in (0, 1):
            own = k + 1 if f == 0 else k - 1
            back = k - 1 if f == 0 else k + 1
            x, y = effort[f][k], effort[1 - f][k]
            flow = -(linear[f] * x + scale[f] * x**2 / 2) + lam[f][k - 1] * x * (value[f][own] - value[f][k])
            flow += lam[1 - f][k - 1] * y * (value[f][back] - value[f][k])
            equations.append(sympy.expand(flow - r * value[f][k]))
    return equations, unknowns, value, effort


def _solve_zero_dimensional(equations: list[Any], unknowns: list[Any]) -> list[NDArray[np.complex128]] | None:
    """All complex solutions by multiplication matrices on a Groebner basis; None if not zero-dimensional."""
    from sympy.polys.domains import QQ
    from sympy.polys.groebnertools import groebner
    from sympy.polys.orderings import grevlex
    from sympy.polys.rings import ring

    polynomials, *variables = ring([str(u) for u in unknowns], QQ, grevlex)
    basis = groebner([polynomials.from_expr(e) for e in equations], polynomials)
    if any(g.is_ground and g != 0 for g in basis):
        return []                                    # the ideal is the whole ring: no solution
    leading = [g.LM for g in basis]
    count = len(unknowns)
    for v in range(count):                           # zero-dimensional: a pure power of every unknown leads
        if not any(lm[v] > 0 and sum(lm) == lm[v] for lm in leading):
            return None
    normal = _normal_set(leading, count)
    index = {m: i for i, m in enumerate(normal)}
    rng = np.random.default_rng(2026)
    weights = [QQ(int(w), 1000) for w in rng.integers(500, 1500, count)]
    form = sum((w * x for w, x in zip(weights, variables, strict=True)), polynomials.zero)
    size = len(normal)
    matrix = np.zeros((size, size))
    for j, monomial in enumerate(normal):
        remainder = (form * polynomials({monomial: QQ(1)})).rem(basis)
        for term, coeff in remainder.terms():
            matrix[index[term], j] = float(coeff)
    # the eigenvectors of the transpose are the evaluations of the normal monomials at the solutions
    _, vectors = np.linalg.eig(matrix.T)
    one = index[(0,) * count]
    # each unknown's normal form is a combination of the normal monomials: evaluate it at each solution
    forms = np.zeros((count, size))
    for v, x in enumerate(variables):
        for term, coeff in x.rem(basis).terms():
            forms[v, index[term]] = float(coeff)
    return [forms @ vectors[:, s] / vectors[one, s] for s in range(size)]


def _normal_set(leading: list[tuple[int, ...]], count: int) -> list[tuple[int, ...]]:
    """Monomials not divisible by any leading monomial (finite for a zero-dimensional ideal)."""
    found: list[tuple[int, ...]] = []
    frontier = [(0,) * count]
    seen = set(frontier)
    while frontier:
        monomial = frontier.pop()
        if any(all(m >= lead for m, lead in zip(monomial, lm, strict=True)) for lm in leading):
            continue
        found.append(monomial)
        for v in range(count):
            nxt = tuple(e + (i == v) for i, e in enumerate(monomial))
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return sorted(found)


def exact_equilibria(tug: TugOfWar, imaginary_tolerance: float = 1e-7) -> ExactEnumeration:
    """Every equilibrium of a tug-of-war with quadratic costs and ``K <= 4``, by active sets.

    The system is (T2)-(T3) of docs/theory/tug-of-war.md.

    Parameters
    ----------
    tug : TugOfWar
        With quadratic costs and ``length <= 4``.
    imaginary_tolerance : float
        Solutions whose imaginary parts are below this (relative to the prize) are read as real.

    Returns
    -------
    ExactEnumeration
        The interior values of every admissible real solution (to be polished and
        checked by the caller).

    Raises
    ------
    ValueError
        If the costs are not quadratic or ``length > 4``.

    Examples
    --------
    >>> import patentrace as pr
    >>> found = exact_equilibria(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> len(found.values), found.active_sets
    (1, 16)
    """
    _check_model(tug)
    n = tug.interior
    lam = tug.productivity_array()
    margins = [c.marginal(0.0) for c in tug.cost]
    values: list[FloatArray] = []
    complete, total, sets = True, 0, 0
    for active in itertools.product((True, False), repeat=2 * n):
        sets += 1
        equations, unknowns, value, _ = polynomial_system(tug, active)
        solutions = _solve_zero_dimensional(equations, unknowns)
        if solutions is None:
            complete = False
            continue
        total += len(solutions)
        for z in solutions:
            if np.max(np.abs(z.imag)) > imaginary_tolerance * max(1.0, tug.prize):
                continue
            real = {u: float(v) for u, v in zip(unknowns, z.real, strict=True)}
            ok = True
            slack = _SLACK * max(1.0, tug.prize)   # rounding of the eigenvectors: the checks after polishing decide
            for f in (0, 1):
                for k in range(n):
                    zz = real[unknowns[f * n + k]]
                    if active[f * n + k]:
                        ok &= zz > -slack
                    else:
                        ok &= lam[f, k] * zz <= float(margins[f]) + slack
            if not ok:
                continue
            interior = np.array([[float(value[f][k].subs(real)) if not isinstance(value[f][k], (int, float))
                                  else float(value[f][k]) for k in range(1, n + 1)] for f in (0, 1)])
            values.append(interior)
    return ExactEnumeration(values, complete, total, sets)
