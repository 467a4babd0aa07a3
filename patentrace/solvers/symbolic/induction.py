"""The symbolic solver's front door: backward induction over the states, one representation each (docs/theory/race.md).

[`solve`][patentrace.symbolic.solve] computes the certified numbers first, then visits the states from the
last stage back and gives each the first representation that applies: closed form,
implicit (with symbols), root of polynomial, or certified number (see
``patentrace.solvers.symbolic``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from patentrace.models import Race
from patentrace.models.costs import exact_rational
from patentrace.models.lattice import Layout
from patentrace.solvers import _mp as mp
from patentrace.solvers.symbolic.algebraic import _EXACT_STAGES, MAX_DEGREE, _AlgebraicValues, _TooLargeError
from patentrace.solvers.symbolic.certified import _certified
from patentrace.solvers.symbolic.closed_forms import _ClosedForms
from patentrace.solvers.symbolic.conditions import (
    _X1,
    _X2,
    PARAMETERS,
    _Numbers,
    _parameters,
    _State,
    _symmetric,
    _validate,
    _values,
    conditions,
)
from patentrace.solvers.symbolic.equilibrium import SymbolicEquilibrium
from patentrace.solvers.symbolic.implicit import (
    _ImplicitQuantities,
)


def solve(
    race: Race, symbols: Sequence[str] = (), *, digits: int = 30, exact: bool | None = None
) -> SymbolicEquilibrium:
    """The equilibrium of a race with power costs as sympy expressions (docs/theory/race.md).

    Parameters
    ----------
    race : Race
        The model; costs must be [`Power`][patentrace.models.costs.Power] (the exact forms need
        integer exponents). Breakthrough hazards ``b_k(i)`` (docs/theory/race.md (14)-(15),
        "Breakthroughs") enter every representation as exact rationals.
    symbols : sequence of str
        Parameters that stay symbolic, from ``("prize", "discount", "scale",
        "loser_prize", "linear")``. The others become exact rationals
        (``0.05`` is ``1/20``); so do the breakthrough hazards, which cannot be
        symbols. With symbols, states without a closed form are ``"implicit"`` (see
        the module docstring).
    digits : int
        Significant digits of certified numbers (15 to 1000).
    exact : bool or None
        ``True``: every state closed form or root of polynomial (ValueError if the race is
        too large, with the limit); ``False``: certified numbers where there is no closed
        form; ``None`` (default): exact when it stays within ``MAX_DEGREE``, else certified.

    Returns
    -------
    SymbolicEquilibrium

    Raises
    ------
    ValueError
        For a name in ``symbols`` that is not a parameter (``"breakthrough"`` among
        them, with its own message), a cost that is not a power,
        a state with symbolic parameters where a firm idles and no closed form exists
        (non-integer exponent), or a race too large for exact solving (``exact=True``).
    EquilibriumError
        If the certified residual bound is not met.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> sym = solve(race)
    >>> sym.form(1, 0), round(float(sym.effort(0, 1, 0)), 10)
    ('root of polynomial', 0.4686350713)

    With breakthrough hazards that grow with experience (docs/theory/race.md (14)-(15)):

    >>> jumpy = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.05, 0.4])
    >>> sym = solve(jumpy)
    >>> sym.form(1, 1), sym.form(1, 0), sym.effort(0, 1, 1)
    ('closed form', 'root of polynomial', 1/30 + sqrt(301)/30)
    >>> bool(abs(float(sym.win_probability(0, 1, 0)) - pr.solve(jumpy).win_probability[0, 1, 0]) < 1e-14)
    True
    """
    if isinstance(race, Race) and race.firms > 2:
        raise ValueError(f"race: the exact solver takes races of two firms, got {race.firms} (stages={race.stages}); "
                         "pr.solve solves races of more (docs/solver.md, 'More than two firms')")
    symbol_map = _validate(race, symbols, digits)
    if exact is not None and not isinstance(exact, (bool, np.bool_)):
        raise TypeError(f"exact must be True, False or None, got {exact!r} of type {type(exact).__name__}")
    started = time.perf_counter()
    numeric = _parameters(race, {})
    numbers = _parameters(race, symbol_map)
    dps = digits + 20
    effort, value, residual = _certified(race, numeric, dps, digits)
    integer = all(g.is_integer for g in numbers.exponent)
    builder = _Builder(race, numbers, symbol_map, effort, value, residual, digits, integer)
    want_exact = exact is not False
    if max(race.stages) > _EXACT_STAGES:
        if exact:
            raise ValueError(
                f"race too large for exact solving: stages {race.stages}, the limit is {_EXACT_STAGES} stages per "
                f"firm (beyond it the polynomials pass degree MAX_DEGREE={MAX_DEGREE}); use exact=False for "
                f"certified {digits}-digit numbers"
            )
        want_exact = False
    states: dict[tuple[int, int], _State] = {}
    try:
        states = builder.run(exact=want_exact, strict=bool(exact))
    except _TooLargeError as err:
        raise ValueError(
                f"race too large for exact solving: state {err.state} would need a polynomial of degree "
                f"{err.degree}, above the limit MAX_DEGREE={MAX_DEGREE}; exact solving covers races of at most "
                f"{_EXACT_STAGES} stages per firm, and asymmetric ones only partly; use exact=False for "
                f"certified {digits}-digit numbers"
            ) from None
    sym = SymbolicEquilibrium(race, symbol_map, digits, states, numbers, builder.polynomials,
                              time.perf_counter() - started)
    sym._sequence = builder.sequence
    builder.owner = sym
    return sym


class _Builder(_ClosedForms, _AlgebraicValues, _ImplicitQuantities):
    """Backward induction over the states, choosing each state's representation."""

    def __init__(self, race: Race, numbers: _Numbers, symbols: dict[str, sympy.Symbol],
                 effort: list[list[list[mp.mpf]]], value: list[list[list[mp.mpf]]],
                 residual: dict[tuple[int, int], float], digits: int, integer: bool):
        self.race, self.numbers, self.symbols = race, numbers, symbols
        self.effort_mp, self.value_mp, self.residual = effort, value, residual
        self.digits, self.integer = digits, integer
        self.at_point = {s: exact_rational(getattr(race, n) if n in ("prize", "discount", "loser_prize")
                                           else getattr(race.cost[0], n)) for n, s in symbols.items()}
        self.polynomials: dict[tuple[str, int, int, int], sympy.Poly] = {}
        self.parameters = tuple(symbols[n] for n in PARAMETERS if n in symbols)
        self.owner: SymbolicEquilibrium | None = None
        self.cache: dict[tuple[sympy.Expr, ...], tuple[int, list[list[list[mp.mpf]]], list[list[list[mp.mpf]]]]] = {}
        self.sequence: list[Any] = []
        self.symmetric_model = _symmetric(race)

    def number(self, expr: sympy.Expr) -> mp.mpf:
        return mp.mpf(sympy.N(expr.subs(self.at_point), self.digits + 10))

    def run(self, exact: bool, strict: bool = False) -> dict[tuple[int, int], _State]:
        self.strict = strict
        self.polynomials = {}
        self.known: dict[sympy.Expr, sympy.Poly] = {}
        self.origin: dict[sympy.Expr, tuple[int, int, int]] = {}
        self.context: dict[tuple[int, int], tuple[Any, Any, Any, Any]] = {}
        n1, n2 = self.race.stages
        value: dict[tuple[int, int, int], sympy.Expr] = {}
        for jj in range(n2):
            value[(0, n1, jj)], value[(1, n1, jj)] = self.numbers.prize, self.numbers.loser
        for ii in range(n1):
            value[(0, ii, n2)], value[(1, ii, n2)] = self.numbers.loser, self.numbers.prize
        states: dict[tuple[int, int], _State] = {}
        for step in Layout.of([self.race.stages]).steps:
            # in a symmetric race, solve i >= j and mirror the rest: then V_1(j, i) is V_0(i, j), the same object
            order = sorted(zip(step.i.tolist(), step.j.tolist(), strict=True), key=lambda s: s[1] - s[0])
            for i, j in order:
                if self.symmetric_model and i < j:
                    mirror = states[(j, i)]
                    state = _State(mirror.effort[::-1], mirror.value[::-1], mirror.form, mirror.residual)
                else:
                    state = self.state(i, j, value, exact)
                    if self.symbols:
                        state = self.name_values(i, j, state)
                states[(i, j)] = state
                value[(0, i, j)], value[(1, i, j)] = state.value
                for k in (0, 1):
                    self.origin.setdefault(state.value[k], (k, i, j))
        return states

    def state(self, i: int, j: int, value: dict[tuple[int, int, int], sympy.Expr], exact: bool) -> _State:
        nb = self.numbers
        lam = (nb.productivity[0][i], nb.productivity[1][j])
        own = (value[(0, i + 1, j)], value[(1, i, j + 1)])
        rival = (value[(0, i, j + 1)], value[(1, i + 1, j)])
        jump = nb.rates(i, j)
        self.context[(i, j)] = (lam, own, rival, jump)
        target = [self.effort_mp[k][i][j] for k in (0, 1)]
        idle = [t == 0 for t in target]
        symmetric = (nb.scale[0] == nb.scale[1] and nb.linear[0] == nb.linear[1] and nb.exponent[0] == nb.exponent[1]
                     and lam[0] == lam[1] and own[0] == own[1] and rival[0] == rival[1] and jump[0] == jump[1]
                     and not any(idle))
        f1, f2 = conditions(nb, lam, own, rival, breakthrough=jump)
        residual = self.residual[(i, j)]
        closed: list[sympy.Expr] | None = None
        if any(v.has(sympy.Float) for v in (*own, *rival)):
            pass  # the continuation is only certified: so is this state
        elif idle[0] and idle[1]:
            closed = [sympy.Integer(0), sympy.Integer(0)]
        elif idle[0] or idle[1]:
            k = 1 if idle[0] else 0
            alone = (f1.subs(_X2, 0) if k == 0 else f2.subs(_X1, 0))
            root = self.radical_root(alone, _X1 if k == 0 else _X2, target[k])
            if root is not None:
                closed = [root, sympy.Integer(0)] if k == 0 else [sympy.Integer(0), root]
        elif symmetric:
            root = self.radical_root(f1.subs(_X2, _X1), _X1, target[0])
            if root is not None:
                closed = [root, root]
        if closed is not None:
            return _State((closed[0], closed[1]), _values(nb, lam, own, rival, (closed[0], closed[1]), jump),
                          "closed form", residual)
        if self.symbols:
            return self.implicit(i, j, (f1, f2), target, idle, residual)
        if exact and self.integer:
            try:
                return self.algebraic(i, j, residual)
            except _TooLargeError:
                if self.strict:
                    raise

        x = tuple(sympy.Float(mp.nstr(t, self.digits), self.digits) for t in target)
        v = tuple(sympy.Float(mp.nstr(self.value_mp[k][i][j], self.digits), self.digits) for k in (0, 1))
        return _State((x[0], x[1]), (v[0], v[1]), "certified", residual)
