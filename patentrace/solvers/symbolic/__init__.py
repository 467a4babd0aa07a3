"""Exact and certified equilibria of a :class:`~patentrace.Race` with power costs (SPEC.md §1).

At an open state with continuation values ``A_k`` (own success) and ``B_k`` (rival
success), the equilibrium efforts solve the two first-order conditions of SPEC
equation (1),

    F_k(x_1, x_2) = c_k'(x_k) (R + lambda_k x_k + lambda_o x_o) / lambda_k - c_k(x_k)
                    - R A_k - lambda_o x_o (A_k - B_k) + b_k P + b_o L = 0,

with ``R = r + b_1 + b_2``, where ``b_1 = b_1(i)``, ``b_2 = b_2(j)`` are the
breakthrough hazards at the state (SPEC.md §1, "Breakthroughs"; without them
``b = 0``, ``R = r`` and the extra terms are absent, so the expressions are those of
(1) itself). This is a polynomial system when every exponent ``g`` of
``c(x) = m x + a x**g / g`` is an integer, and each value follows from the HJB,
``V_k = [-c_k(x_k) + lambda_k x_k A_k + lambda_o x_o B_k + b_k P + b_o L] / (R + lambda_1 x_1 + lambda_2 x_2)``.
Breakthrough rates are numbers of the race, turned into exact rationals like the
other parameters (``0.05`` is ``1/20``); they cannot stay symbolic. They change no
degree, so every representation below covers them; what changes is where each
applies: a state is symmetric only if ``b_1(i) = b_2(j)`` too, and with ``b > 0`` a
firm may idle even when ``c'(0) = 0`` (the right side of the condition is negative).
Each firm's probability of winning, ``W_k``, is built from the efforts in the same
representation (:meth:`SymbolicEquilibrium.win_probability`).
:func:`solve` represents every state's efforts and values in one of four ways and
says which (:meth:`SymbolicEquilibrium.form`):

``"closed form"``
    Radicals, where they exist: at a **symmetric** state (equal firms, equal
    continuation, equal breakthrough hazards) ``F(x, x) = 0`` is one polynomial of
    degree ``g`` in ``x``; where a firm **idles** its rival plays the single-firm
    condition, again one polynomial in one unknown; the one-stage race with equal
    hazards is both. Parameters named in ``symbols`` stay
    sympy symbols; the branch is the one that is the equilibrium at the model's
    parameter values (so the formula holds on the region around them where that
    branch stays the equilibrium).
``"implicit"``
    Elsewhere, when parameters are symbolic: the efforts are algebraic functions of
    the symbols with no radicals in general. Each is an
    :class:`~patentrace.solvers.symbolic.implicit.ImplicitEffort`, ``x_1[1,0](P, r)``: the
    root of the state's system :meth:`SymbolicEquilibrium.system` on the branch
    through the certified equilibrium at the model's values. Values that depend on
    such efforts are named (:class:`~patentrace.solvers.symbolic.implicit.StateValue`,
    ``V_1[1,0](P, r)``, whose ``definition`` is the HJB value), so every state's
    expression stays short. Derivatives are exact by the implicit function theorem;
    :meth:`SymbolicEquilibrium.evaluate` and :meth:`SymbolicEquilibrium.lambdify`
    give numbers at any parameter values, following the branch.
``"root of polynomial"``
    Elsewhere, with every parameter a number: the effort is an algebraic number,
    given exactly as a ``CRootOf`` of an explicit polynomial with rational
    coefficients (and an isolating interval, :meth:`SymbolicEquilibrium.polynomial`).
    The polynomial comes from resultants: ``x_2`` is eliminated from the pair
    ``F_1, F_2``, and each continuation value through its own polynomial. The
    irreducible factor that vanishes at the certified solution is kept. Degrees
    multiply from state to state, so this stops being practical after a few stages
    (see ``docs/symbolic.md``); past :data:`MAX_DEGREE` it is refused.
``"certified"``
    Otherwise: an mpmath number to ``digits`` significant digits, from Newton's
    method on ``(F_1, F_2)`` at ``digits + 20`` digits started at
    :func:`patentrace.solve`'s equilibrium; the residual of both conditions, evaluated
    in interval arithmetic at the stored numbers, is bounded below ``10**-digits``
    (relative to the prize), or :class:`~patentrace.errors.EquilibriumError` is raised.

Every state's solution, whatever its form, is the equilibrium that
:func:`patentrace.solve` selects (rule ``"fastest"``), computed again at high precision.

Examples
--------
>>> import patentrace as pr
>>> sym = solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), symbols=("prize",))
>>> sym.effort(0, 0, 0)
P/3 + sqrt(60*P + (10*P - 1)**2)/30 - 1/30
>>> lucky = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.2])
>>> solve(lucky).effort(0, 0, 0)         # [(P - L - a R) + sqrt((P - L - a R)^2 + 6 a ((r + b) P - b L))]/(3a)
1/6 + sqrt(205)/30
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath as mp
import numpy as np
import sympy
from numpy.typing import NDArray

from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.models.costs import Power, exact_rational
from patentrace.models.lattice import Layout, check_state
from patentrace.solvers.symbolic.implicit import (
    BranchFollower,
    ImplicitEffort,
    StateValue,
    implicit_pair,
    named_value,
    real,
)

__all__ = ["MAX_DEGREE", "PARAMETERS", "SymbolicEquilibrium", "single_firm", "solve"]

PARAMETERS: tuple[str, ...] = ("prize", "discount", "scale", "loser_prize", "linear")
# Largest degree of an eliminated polynomial the exact representation accepts, and the most
# stages per firm it is tried for (measured: 3 stages always pass the degree limit).
_EXACT_STAGES = 2
MAX_DEGREE = 16
_SYMBOL_NAMES = {"prize": "P", "discount": "r", "scale": "a", "loser_prize": "L", "linear": "m"}
_X1, _X2, _V = sympy.symbols("x_1 x_2 v")
FORMS = ("closed form", "implicit", "root of polynomial", "certified")


@dataclass(frozen=True)
class _Numbers:
    """The model's parameters, exact (sympy) and as they enter the equations."""

    prize: sympy.Expr
    loser: sympy.Expr
    discount: sympy.Expr
    scale: tuple[sympy.Expr, sympy.Expr]
    linear: tuple[sympy.Expr, sympy.Expr]
    exponent: tuple[sympy.Rational, sympy.Rational]
    productivity: tuple[tuple[sympy.Rational, ...], tuple[sympy.Rational, ...]]
    breakthrough: tuple[tuple[sympy.Rational, ...], tuple[sympy.Rational, ...]]

    def rates(self, i: int, j: int) -> tuple[sympy.Rational, sympy.Rational]:
        """The breakthrough hazards ``(b_1(i), b_2(j))`` at state ``(i, j)`` (0 without breakthroughs)."""
        return self.breakthrough[0][i], self.breakthrough[1][j]

    def cost(self, firm: int, x: sympy.Expr) -> sympy.Expr:
        g = self.exponent[firm]
        return self.linear[firm] * x + self.scale[firm] * x**g / g

    def marginal(self, firm: int, x: sympy.Expr) -> sympy.Expr:
        return self.linear[firm] + self.scale[firm] * x ** (self.exponent[firm] - 1)


def _parameters(race: Race, symbols: dict[str, sympy.Symbol]) -> _Numbers:
    def pick(name: str, value: float) -> sympy.Expr:
        return symbols[name] if name in symbols else exact_rational(value)

    costs = race.cost
    return _Numbers(
        prize=pick("prize", race.prize),
        loser=pick("loser_prize", race.loser_prize),
        discount=pick("discount", race.discount),
        scale=(pick("scale", costs[0].scale), pick("scale", costs[1].scale)),
        linear=(pick("linear", costs[0].linear), pick("linear", costs[1].linear)),
        exponent=(exact_rational(costs[0].exponent), exact_rational(costs[1].exponent)),
        productivity=(tuple(exact_rational(v) for v in race.productivity[0]),
                      tuple(exact_rational(v) for v in race.productivity[1])),
        breakthrough=(tuple(exact_rational(v) for v in race.breakthrough[0]),
                      tuple(exact_rational(v) for v in race.breakthrough[1])),
    )


_NONE = (sympy.Integer(0), sympy.Integer(0))


def conditions(
    numbers: _Numbers, lam: tuple[sympy.Expr, sympy.Expr], own_next: tuple[sympy.Expr, sympy.Expr],
    rival_next: tuple[sympy.Expr, sympy.Expr], x: tuple[sympy.Expr, sympy.Expr] = (_X1, _X2),
    breakthrough: tuple[sympy.Expr, sympy.Expr] = _NONE,
) -> tuple[sympy.Expr, sympy.Expr]:
    """The first-order conditions ``(F_1, F_2)`` of SPEC (1) at a state, as sympy expressions.

    With breakthrough hazards ``(b_1, b_2)`` at the state (SPEC.md §1, "Breakthroughs"),
    ``F_k = c_k'(x_k)(R + h_1 + h_2)/lambda_k - c_k(x_k) - R A_k - h_o (A_k - B_k) + b_k P + b_o L``
    with ``R = r + b_1 + b_2``; with ``b = 0`` the terms vanish and the expression is
    that of (1) itself.
    """
    rate = numbers.discount + breakthrough[0] + breakthrough[1]
    out = []
    for k in (0, 1):
        o = 1 - k
        total = rate + lam[k] * x[k] + lam[o] * x[o]
        out.append(numbers.marginal(k, x[k]) * total / lam[k] - numbers.cost(k, x[k])
                   - rate * own_next[k] - lam[o] * x[o] * (own_next[k] - rival_next[k])
                   + breakthrough[k] * numbers.prize + breakthrough[o] * numbers.loser)
    return out[0], out[1]


def _values(
    numbers: _Numbers, lam: tuple[sympy.Expr, sympy.Expr], own_next: tuple[sympy.Expr, sympy.Expr],
    rival_next: tuple[sympy.Expr, sympy.Expr], x: tuple[sympy.Expr, sympy.Expr],
    breakthrough: tuple[sympy.Expr, sympy.Expr] = _NONE,
) -> tuple[sympy.Expr, sympy.Expr]:
    """``V_k = [-c_k(x_k) + h_k A_k + h_o B_k + b_k P + b_o L] / (r + h_1 + h_2 + b_1 + b_2)`` (SPEC §1)."""
    total = numbers.discount + breakthrough[0] + breakthrough[1] + lam[0] * x[0] + lam[1] * x[1]
    return tuple(
        (-numbers.cost(k, x[k]) + lam[k] * x[k] * own_next[k] + lam[1 - k] * x[1 - k] * rival_next[k]
         + breakthrough[k] * numbers.prize + breakthrough[1 - k] * numbers.loser) / total
        for k in (0, 1)
    )


@dataclass(frozen=True)
class _State:
    effort: tuple[sympy.Expr, sympy.Expr]
    value: tuple[sympy.Expr, sympy.Expr]
    form: str
    residual: float


class SymbolicEquilibrium:
    """The equilibrium of a race as sympy expressions, exact or certified (see :func:`solve`).

    Attributes
    ----------
    model : Race
        The race.
    symbols : dict of str to sympy.Symbol
        The parameters kept symbolic, by name (``"prize"`` maps to ``P``, ...).
    digits : int
        Digits of the certified numbers.
    seconds : float
        Time taken by :func:`solve`.
    parameters : tuple of sympy.Symbol
        The symbolic parameters in a fixed order (that of ``PARAMETERS``).
    point : dict of sympy.Symbol to sympy.Rational
        The model's values of the symbolic parameters (``subs`` it to evaluate).

    Examples
    --------
    >>> import patentrace as pr
    >>> sym = solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> round(float(sym.value(0, 0, 0)), 10), sym.form(1, 1)     # SPEC.md §1's V(0, 0)
    (0.1795728262, 'closed form')
    """

    def __init__(self, model: Race, symbols: dict[str, sympy.Symbol], digits: int,
                 states: dict[tuple[int, int], _State], numbers: _Numbers,
                 polynomials: dict[tuple[str, int, int, int], sympy.Poly], seconds: float):
        self.model = model
        self.symbols = dict(symbols)
        self.digits = digits
        self.seconds = seconds
        self._states = states
        self._numbers = numbers
        self._polynomials = polynomials
        self.parameters = tuple(self.symbols[n] for n in PARAMETERS if n in self.symbols)
        self.point = {s: exact_rational(getattr(model, n) if n in ("prize", "discount", "loser_prize")
                                        else getattr(model.cost[0], n)) for n, s in self.symbols.items()}
        self._compiled: tuple[BranchFollower, list[Any], list[Any]] | None = None
        self._sequence: list[Any] = []
        self._win: dict[tuple[int, int, int], sympy.Expr] = {}

    def __repr__(self) -> str:
        forms = sorted({s.form for s in self._states.values()})
        return f"SymbolicEquilibrium(stages={self.model.stages}, symbols={sorted(self.symbols)}, forms={forms})"

    def _terminal(self, firm: int, i: int, j: int) -> sympy.Expr | None:
        n1, n2 = self.model.stages
        p, loser = self._numbers.prize, self._numbers.loser
        if i == n1:
            return p if firm == 0 else loser
        if j == n2:
            return loser if firm == 0 else p
        return None

    def _check(self, firm: int, i: int, j: int) -> tuple[int, int]:
        if firm not in (0, 1):
            raise ValueError(f"firm must be 0 or 1, got {firm!r}")
        return check_state((i, j), self.model.stages)

    def effort(self, firm: int, i: int, j: int) -> sympy.Expr:
        """Firm ``firm``'s effort at ``(i, j)`` (0 at terminal states).

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sym.effort(0, 0, 0)
        3/10 + sqrt(141)/30
        """
        i, j = self._check(firm, i, j)
        if self._terminal(firm, i, j) is not None:
            return sympy.Integer(0)
        return self._states[(i, j)].effort[firm]

    def value(self, firm: int, i: int, j: int) -> sympy.Expr:
        """Firm ``firm``'s value at ``(i, j)``; the prize or loser prize at terminal states.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sympy.nsimplify(sym.value(0, 0, 0) - (1 - sym.effort(0, 0, 0)))   # V = P - a x*
        0
        """
        i, j = self._check(firm, i, j)
        terminal = self._terminal(firm, i, j)
        if terminal is not None:
            return terminal
        return self._states[(i, j)].value[firm]

    def form(self, i: int, j: int) -> str:
        """How the state's solution is represented: "closed form", "implicit", "root of polynomial" or "certified".

        Examples
        --------
        >>> import patentrace as pr
        >>> solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).form(0, 0)
        'closed form'
        """
        i, j = self._check(0, i, j)
        return self._states[(i, j)].form

    def residual(self, i: int, j: int) -> float:
        """Bound on the residual of the state's conditions ``(F_1, F_2)`` at the stored numbers, relative to the prize.

        For closed forms and exact roots it is the bound at their ``digits``-digit values.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), digits=30)
        >>> sym.residual(0, 0) < 1e-30
        True
        """
        i, j = self._check(0, i, j)
        return self._states[(i, j)].residual

    def system(self, i: int, j: int) -> tuple[sympy.Expr, sympy.Expr]:
        """The per-state system ``(F_1, F_2)`` of SPEC (1) in the efforts ``x_1, x_2``.

        The continuation values of this equilibrium are substituted; symbolic
        parameters stay symbols.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sym.system(0, 0)[0]
        x_1**2/2 + x_1*x_2 + x_1/10 - x_2 - 1/10
        """
        i, j = self._check(0, i, j)
        if (i, j) not in self._states:
            raise ValueError(f"state {(i, j)} is terminal: it has no system")
        lam, own, rival = self._continuation(i, j)
        f1, f2 = conditions(self._numbers, lam, own, rival, breakthrough=self._numbers.rates(i, j))
        return sympy.expand(f1), sympy.expand(f2)

    def _continuation(self, i: int, j: int) -> tuple[Any, Any, Any]:
        lam = (self._numbers.productivity[0][i], self._numbers.productivity[1][j])
        own = (self.value(0, i + 1, j), self.value(1, i, j + 1))
        rival = (self.value(0, i, j + 1), self.value(1, i + 1, j))
        return lam, own, rival

    def win_probability(self, firm: int, i: int, j: int) -> sympy.Expr:
        """Firm ``firm``'s probability of winning from ``(i, j)`` under equilibrium play (SPEC.md §1, §4).

        The embedded jump chain with breakthroughs:
        ``W_1(i, j) = [h_1 W_1(i+1, j) + h_2 W_1(i, j+1) + b_1] / (h_1 + h_2 + b_1 + b_2)``,
        ``h_k = lambda_k x_k`` the stage hazards and ``b_k`` the breakthrough hazards at
        the state. Terminal states give 1 to the winner and 0 to the loser; a state
        where nothing can happen (both firms idle, no breakthrough) gives 0 to both,
        the race stalls there (the conventions of
        :attr:`patentrace.Equilibrium.win_probability`). The unreachable corner
        ``(N1, N2)`` raises ValueError, as for :meth:`effort`.
        The expression is in the same representation as the efforts (radicals,
        ``CRootOf``, implicit efforts or certified numbers); it is built once per state
        and cached.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
        ...                breakthrough=([0.2], [0.0]))
        >>> w = solve(race).win_probability(0, 0, 0)
        >>> round(float(w), 10) == round(float(pr.solve(race).win_probability[0, 0, 0]), 10)
        True
        """
        i, j = self._check(firm, i, j)
        n1, n2 = self.model.stages
        if i == n1 or j == n2:
            return sympy.Integer(1 if (i == n1) == (firm == 0) else 0)
        key = (firm, i, j)
        if key not in self._win:
            lam = (self._numbers.productivity[0][i], self._numbers.productivity[1][j])
            b = self._numbers.rates(i, j)
            h = (lam[0] * self.effort(0, i, j), lam[1] * self.effort(1, i, j))
            total = h[0] + h[1] + b[0] + b[1]
            if total == 0:
                self._win[key] = sympy.Integer(0)
            else:
                self._win[key] = (h[0] * self.win_probability(firm, i + 1, j)
                                  + h[1] * self.win_probability(firm, i, j + 1) + b[firm]) / total
        return self._win[key]

    def polynomial(
        self, quantity: str, firm: int, i: int, j: int
    ) -> tuple[sympy.Poly, tuple[sympy.Rational, sympy.Rational]]:
        """The polynomial with rational coefficients and the isolating interval of an exact root.

        Parameters
        ----------
        quantity : {"effort", "value"}
            Which number.
        firm, i, j : int
            Whose, and where.

        Raises
        ------
        ValueError
            If the number is not represented as a root of a polynomial.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sym.polynomial("effort", 0, 0, 0)[0].as_expr()
        15*x**2 - 9*x - 1
        """
        if quantity not in ("effort", "value"):
            raise ValueError(f"quantity must be 'effort' or 'value', got {quantity!r}")
        expr = self.value(firm, i, j) if quantity == "value" else self.effort(firm, i, j)
        key, mirror = (quantity, firm, i, j), (quantity, 1 - firm, j, i)
        if key in self._polynomials:
            poly = self._polynomials[key]
        elif mirror in self._polynomials and _symmetric(self.model):
            poly = self._polynomials[mirror]
        elif not expr.free_symbols:
            poly = sympy.Poly(sympy.minimal_polynomial(expr, _X), _X)
        else:
            names = sorted(map(str, expr.free_symbols))
            raise ValueError(f"{quantity} of firm {firm} at {(i, j)} depends on symbols {names}")
        interval = _isolate(poly, mp.mpf(sympy.N(expr, self.digits + 10)))
        return poly, interval

    def lambdify(self) -> Callable[..., tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """Fast numeric functions of the symbolic parameters: ``f(**parameters) -> (effort, value)``.

        The arrays have shape ``(2, N1 + 1, N2 + 1)`` as in :class:`~patentrace.Equilibrium`;
        parameters are passed by name (``prize=...``) and may be numpy arrays
        (the result then has their shape appended).

        Raises
        ------
        ValueError
            If no parameter is symbolic.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> f = solve(race, symbols=("discount",)).lambdify()
        >>> effort, value = f(discount=0.1)
        >>> round(float(effort[0, 0, 0]), 10)
        0.6958114029
        """
        if not self.symbols:
            raise ValueError("lambdify needs symbolic parameters: pass symbols=(...) to solve")
        names = [n for n in PARAMETERS if n in self.symbols]

        def evaluate(**parameters: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
            unknown = sorted(set(parameters) - set(names))
            missing = sorted(set(names) - set(parameters))
            if unknown or missing:
                raise ValueError(f"pass exactly the symbolic parameters {sorted(names)}; unknown {unknown}, "
                                 f"missing {missing}")
            return self.numeric(tuple(parameters[n] for n in names))

        return evaluate

    def evaluate(self, expr: sympy.Expr, digits: int | None = None, **parameters: Any) -> sympy.Float:
        """An expression of this equilibrium (e.g. a :meth:`derivative`) as a number to ``digits`` digits.

        The symbols take the model's values, or those passed by name (``prize=...``);
        implicit efforts and named values are replaced by their certified numbers first,
        which is much faster than ``sympy.N`` on a large derivative.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> sym = solve(race, symbols=("prize", "discount"))
        >>> sym.evaluate(sym.value(0, 0, 0), 12)                 # SPEC §1: V(0, 0)
        0.179572826168
        """
        digits = self.digits if digits is None else digits
        unknown = sorted(set(parameters) - set(self.symbols))
        if unknown:
            raise ValueError(f"evaluate: {unknown} are not symbolic parameters of this solution; "
                             f"choose from {sorted(self.symbols)}")
        values = dict(self.point)
        values.update({self.symbols[n]: exact_rational(v) if isinstance(v, float) else sympy.sympify(v)
                       for n, v in parameters.items()})
        memo: dict[sympy.Expr, sympy.Expr] = {}
        return sympy.Float(sympy.N(self._number(sympy.sympify(expr), values, digits + 10, memo), digits), digits)

    def _number(self, expr: sympy.Expr, values: dict[sympy.Symbol, sympy.Expr], dps: int,
                memo: dict[sympy.Expr, sympy.Expr]) -> sympy.Expr:
        """``expr`` at ``values``: derivatives of implicit quantities expanded state by state, with memo."""
        replace: dict[sympy.Expr, sympy.Expr] = {}
        for d in expr.atoms(sympy.Derivative):
            if not isinstance(d.expr, (ImplicitEffort, StateValue)):
                continue
            if d not in memo:
                if len(d.variable_count) != 1 or d.variable_count[0][1] != 1:
                    raise ValueError(f"evaluate: only first derivatives of implicit quantities are supported, got {d}")
                index = d.expr.args.index(d.variable_count[0][0]) + 1
                memo[d] = sympy.Float(sympy.N(self._number(d.expr.fdiff(index), values, dps, memo), dps), dps)
            replace[d] = memo[d]
        at = expr.xreplace(replace).xreplace(values)
        for a in at.atoms(ImplicitEffort, StateValue):
            if a not in memo:
                memo[a] = a.evalf(dps)
            replace[a] = memo[a]
        return at.xreplace(replace)

    def numeric(self, values: tuple[Any, ...]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Efforts and values, shape ``(2, N1 + 1, N2 + 1, *shape)``, at the symbolic parameters' ``values``.

        ``values`` follow :attr:`parameters`' order and broadcast together. Implicit
        efforts follow the model's branch (:class:`~patentrace.solvers.symbolic.implicit.BranchFollower`);
        the other states evaluate their expressions.

        Raises
        ------
        ValueError
            If the branch cannot be followed there, or an expression is not finite there
            (a closed form leaves its branch's region).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> effort, value = solve(race, symbols=("discount",)).numeric((0.1,))
        >>> round(float(effort[0, 0, 0]), 10)
        0.6958114029
        """
        n1, n2 = self.model.stages
        if self._compiled is None:
            follower = BranchFollower(self.parameters, [float(self.point[p]) for p in self.parameters], self._sequence)
            cells = [(k, i, j) for k in (0, 1) for i in range(n1 + 1) for j in range(n2 + 1) if (i, j) != (n1, n2)]
            self._compiled = (follower, [(c, follower.expression(self.effort(*c)),
                                          follower.expression(self.value(*c))) for c in cells], cells)
        follower, functions, _ = self._compiled
        arrays = [np.asarray(v, dtype=float) for v in values]
        shape = np.broadcast_shapes(*(v.shape for v in arrays))
        known = follower.follow(arrays)
        effort = np.zeros((2, n1 + 1, n2 + 1, *shape))
        value = np.zeros((2, n1 + 1, n2 + 1, *shape))
        value[:, n1, n2] = float(self.model.prize + self.model.loser_prize) / 2.0
        fine = True
        for cell, fe, fv in functions:
            for out, fn in ((effort, fe), (value, fv)):
                out[cell], ok = real(fn(arrays, known), shape)
                fine = fine and bool(ok.all())
        self._check_idle(arrays, effort, value)
        if not fine:
            at = dict(zip(map(str, self.parameters), values, strict=True))
            raise ValueError(f"the symbolic solution is not finite or not real at {at}: a closed form "
                             f"leaves the region where its branch is the equilibrium")
        return effort, value

    def isolate(self, i: int, j: int) -> tuple[tuple[sympy.Rational, sympy.Rational],
                                               tuple[sympy.Rational, sympy.Rational]]:
        """A box around an implicit state's efforts at the model's values that holds exactly one root of its system.

        Krawczyk's test in interval arithmetic at ``digits + 20`` digits: for the box
        ``X = y +- rho`` around the certified efforts ``y`` (``rho = 10**-(digits - 5)``
        relative), ``K(X) = y - Y F(y) + (I - Y J(X))(X - y)`` with ``Y = J(y)^-1``; if
        ``K(X)`` lies inside ``X``, the system has exactly one root in ``X``. The system's
        coefficients (continuation values and symbols at the model's values) enter as
        intervals of relative width ``10**-(digits + 10)``, which covers their own error.
        This identifies the branch: the implicit effort is that root at the model's values.

        Raises
        ------
        ValueError
            If the state is not implicit.
        EquilibriumError
            If the test fails.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
        ...             symbols=("prize", "discount"))
        >>> (lo, hi), _ = sym.isolate(1, 0)
        >>> hi - lo < 1e-20 and abs(lo - sympy.Rational(4686350713, 10**10)) < 1e-10   # SPEC §1: x_1(1, 0)
        True
        """
        i, j = self._check(0, i, j)
        state = self._states.get((i, j))
        if state is None or state.form != "implicit":
            raise ValueError(f"state {(i, j)} is not implicit: isolate() applies to implicit efforts")
        dps = self.digits + 20
        f1, f2 = self.system(i, j)
        memo: dict[sympy.Expr, sympy.Expr] = {}
        values = dict(self.point)
        polys = [sympy.Poly(sympy.expand(self._number(f, values, dps, memo)), _X1, _X2) for f in (f1, f2)]
        old = mp.iv.dps
        mp.iv.dps = dps
        try:
            with mp.workdps(dps):
                width = mp.mpf(10) ** -(self.digits + 10)
                y = [mp.mpf(sympy.N(self.effort(k, i, j).subs(self.point), dps)) for k in (0, 1)]

                def coefficient(c: sympy.Expr) -> Any:
                    v = mp.mpf(sympy.N(c, dps))
                    return mp.iv.mpf([v - width * abs(v), v + width * abs(v)])

                terms = [[(e, coefficient(c)) for e, c in poly.terms()] for poly in polys]
                grads = [[[(e, coefficient(c)) for e, c in sympy.Poly(poly.diff(z), _X1, _X2).terms()]
                          for z in (_X1, _X2)] for poly in polys]

                def at(ts: list[Any], x: list[Any]) -> Any:
                    total = mp.iv.mpf(0)
                    for (p1, p2), c in ts:
                        total += c * x[0] ** p1 * x[1] ** p2
                    return total

                rho = mp.mpf(10) ** -(self.digits - 5) * (1 + max(abs(v) for v in y))
                box = [mp.iv.mpf([v - rho, v + rho]) for v in y]
                point = [mp.iv.mpf(v) for v in y]
                jy = mp.matrix([[mp.mpf(at(grads[a][b], point).mid) for b in (0, 1)] for a in (0, 1)])
                inverse = mp.inverse(jy)
                inv = {(a, b): mp.iv.mpf(inverse[a, b]) for a in (0, 1) for b in (0, 1)}
                fy = [at(terms[a], point) for a in (0, 1)]
                jx = [[at(grads[a][b], box) for b in (0, 1)] for a in (0, 1)]
                inside = True
                for a in (0, 1):
                    k_a = point[a] - (inv[a, 0] * fy[0] + inv[a, 1] * fy[1])
                    for b in (0, 1):
                        m_ab = (1 if a == b else 0) - (inv[a, 0] * jx[0][b] + inv[a, 1] * jx[1][b])
                        k_a += m_ab * (box[b] - point[b])
                    inside = inside and box[a].a < k_a.a and k_a.b < box[a].b
        finally:
            mp.iv.dps = old
        if not inside:
            raise EquilibriumError("Krawczyk's test failed: the box is not certified to hold exactly one root",
                                   (i, j), {"radius": float(rho)})
        def exact(v: Any) -> sympy.Rational:
            man, exp = mp.mpf(v).man_exp
            return sympy.Integer(man) * sympy.Integer(2) ** exp

        return ((exact(box[0].a), exact(box[0].b)), (exact(box[1].a), exact(box[1].b)))

    def _check_idle(self, arrays: list[NDArray[np.float64]], effort: NDArray[np.float64],
                    value: NDArray[np.float64]) -> None:
        """Raise where a firm idle at the model's values would invest (SPEC §1, with breakthroughs).

        The firm idles iff ``c'(0)(R + h_o)/lambda >= R A + h_o (A - B) - b_k P - b_o L``,
        ``R = r + b_1 + b_2``.
        """
        nb = self._numbers
        for (i, j), state in self._states.items():
            for k in (0, 1):
                if state.effort[k] != 0:
                    continue
                o = 1 - k
                lam = (nb.productivity[0][i], nb.productivity[1][j])
                b = nb.rates(i, j)
                m, r, p, loser = (np.real(sympy.lambdify(self.parameters, e, "numpy")(*arrays))
                                  for e in (nb.linear[k], nb.discount, nb.prize, nb.loser))
                rate = r + float(b[0] + b[1])
                h_o = float(lam[o]) * effort[o, i, j]
                own = value[0, i + 1, j] if k == 0 else value[1, i, j + 1]
                rival = value[0, i, j + 1] if k == 0 else value[1, i + 1, j]
                slack = (m * (rate + h_o) / float(lam[k]) - rate * own - h_o * (own - rival)
                         + float(b[k]) * p + float(b[o]) * loser)
                if np.any(slack < -1e-12 * (1.0 + np.abs(rate * own))):
                    raise ValueError(f"firm {k} idles at state {(i, j)} at the model's parameters but would invest "
                                     f"at some of the values passed: the closed form there no longer holds")

    def derivative(self, quantity: str, parameter: str, firm: int = 0, state: tuple[int, int] = (0, 0)) -> sympy.Expr:
        """Comparative statics: d(quantity)/d(parameter) at a state (SPEC §1).

        Parameters
        ----------
        quantity : {"effort", "value"}
            ``x_k`` or ``V_k``.
        parameter : {"prize", "discount", "scale", "loser_prize", "linear"}
            With respect to what. ``"scale"`` and ``"linear"`` move both firms' cost.
        firm : int
            ``k``.
        state : (int, int)
            The state.

        Returns
        -------
        sympy.Expr
            If the parameter is symbolic: the exact derivative (``sympy.diff``), a
            function of the symbols. Implicit efforts are differentiated by the
            implicit function theorem, ``dx/dtheta = -J^-1 dF/dtheta`` with ``J`` the
            Jacobian of the state's system and ``dF/dtheta`` including the
            continuation values' own derivatives, so the result is exact through the
            backward induction; substitute :attr:`point` to evaluate it at the
            model's values. Otherwise a number to ``digits`` digits at the model's
            values: the central difference of the certified solution at
            ``2 digits + 20`` working digits with step ``10**-(digits + 5)``
            (truncation error about ``10**-(2 digits + 10)``).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> dx_dr = solve(race, symbols=("discount",)).derivative("effort", "discount")
        >>> round(float(dx_dr.subs(sympy.Symbol("r", positive=True), sympy.Rational(1, 10))), 10)
        0.2561730114
        """
        if quantity not in ("effort", "value"):
            raise ValueError(f"quantity must be 'effort' or 'value', got {quantity!r}")
        if parameter not in PARAMETERS:
            raise ValueError(f"parameter must be one of {PARAMETERS}, got {parameter!r}")
        i, j = self._check(firm, *state)
        expr = self.effort(firm, i, j) if quantity == "effort" else self.value(firm, i, j)
        if parameter in self.symbols:
            return sympy.diff(expr, self.symbols[parameter])
        dps = 2 * self.digits + 20
        step = mp.mpf(10) ** -(self.digits + 5)
        sides = []
        for sign in (1, -1):
            numbers = _shift(_substitute(self._numbers, self.point), parameter, sign * step, dps)
            effort, value, _ = _certified(self.model, numbers, dps, self.digits)
            array = effort if quantity == "effort" else value
            sides.append(array[firm][i][j])
        with mp.workdps(dps):
            slope = (sides[0] - sides[1]) / (2 * step)
        return sympy.Float(mp.nstr(slope, self.digits), self.digits)


_X = sympy.Symbol("x")


def _shift(numbers: _Numbers, parameter: str, step: mp.mpf, dps: int) -> _Numbers:
    """The parameters with one moved by ``step`` (a high-precision number)."""
    def moved(v: sympy.Expr) -> sympy.Expr:
        # the sum at dps digits: at mpmath's default precision the step would be rounded away
        with mp.workdps(dps):
            return sympy.Float(mp.mpf(sympy.N(v, dps + 10)) + step, dps)

    fields = dict(numbers.__dict__)
    if parameter == "prize":
        fields["prize"] = moved(numbers.prize)
    elif parameter == "loser_prize":
        fields["loser"] = moved(numbers.loser)
    elif parameter == "discount":
        fields["discount"] = moved(numbers.discount)
    elif parameter == "scale":
        fields["scale"] = tuple(moved(v) for v in numbers.scale)
    else:
        fields["linear"] = tuple(moved(v) for v in numbers.linear)
    return _Numbers(**fields)


def _substitute(numbers: _Numbers, values: dict[sympy.Symbol, sympy.Expr]) -> _Numbers:
    """The parameters with symbols replaced by ``values``."""
    def at(v: sympy.Expr) -> sympy.Expr:
        return v.xreplace(values) if isinstance(v, sympy.Basic) else v

    return _Numbers(prize=at(numbers.prize), loser=at(numbers.loser), discount=at(numbers.discount),
                    scale=(at(numbers.scale[0]), at(numbers.scale[1])),
                    linear=(at(numbers.linear[0]), at(numbers.linear[1])),
                    exponent=numbers.exponent, productivity=numbers.productivity,
                    breakthrough=numbers.breakthrough)


def _isolate(poly: sympy.Poly, point: mp.mpf) -> tuple[sympy.Rational, sympy.Rational]:
    """The isolating interval of ``poly``'s real root nearest ``point``."""
    intervals = poly.intervals(eps=sympy.Rational(1, 10**12))
    best = min(intervals, key=lambda iv: abs(mp.mpf(sympy.Rational((iv[0][0] + iv[0][1]) / 2).evalf(40)) - point))
    return best[0][0], best[0][1]


def _mp(v: Any, dps: int) -> mp.mpf:
    return mp.mpf(sympy.N(v, dps + 10)) if not isinstance(v, mp.mpf) else v


def _certified(
    race: Race, numbers: _Numbers, dps: int, digits: int, start: NDArray[np.float64] | None = None
) -> tuple[list[list[list[mp.mpf]]], list[list[list[mp.mpf]]], dict[tuple[int, int], float]]:
    """Backward induction at ``dps`` digits, started at :func:`patentrace.solve`'s equilibrium (or ``start``).

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
    """``(F_1, F_2)`` of SPEC (1) with breakthroughs ``bs`` at efforts ``x``, for mpmath numbers or intervals.

    ``F_k = c_k'(x_k)(R + h_1 + h_2)/lambda_k - c_k(x_k) - R A_k - h_o (A_k - B_k) + b_k P + b_o L``,
    ``R = r + b_1 + b_2`` (SPEC.md §1, "Breakthroughs"; ``b = 0`` is (1)).
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


def _validate(race: Race, symbols: Sequence[str], digits: int) -> dict[str, sympy.Symbol]:
    if not isinstance(race, Race):
        raise TypeError(f"race must be a patentrace.Race, got {type(race).__name__}")
    for firm, cost in enumerate(race.cost):
        if not isinstance(cost, Power):
            raise ValueError(f"cost for firm {firm} must be a patentrace.costs.Power (c = m x + a x^g / g), "
                             f"got {type(cost).__name__}")
    if isinstance(symbols, str):
        raise TypeError(f"symbols must be a sequence of parameter names, got the string {symbols!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 15 <= digits <= 1000:
        raise ValueError(f"digits must be an int in [15, 1000], got {digits!r}")
    out = {}
    for name in symbols:
        if name == "breakthrough":
            raise ValueError("symbols: 'breakthrough' cannot stay symbolic; breakthrough hazards enter as the exact "
                             "rationals of the race's numbers (SPEC.md §1, \"Breakthroughs\"); vary them by "
                             f"solving several races, or keep symbols among {PARAMETERS}")
        if name not in PARAMETERS:
            raise ValueError(f"symbols: {name!r} is not a model parameter; choose from {PARAMETERS}")
        if name in ("scale", "linear") and getattr(race.cost[0], name) != getattr(race.cost[1], name):
            raise ValueError(f"symbols: {name!r} can stay symbolic only when both firms share it, "
                             f"got {getattr(race.cost[0], name)!r} and {getattr(race.cost[1], name)!r}")
        assumptions = {"nonnegative": True} if name in ("linear", "loser_prize") else {"positive": True}
        out[name] = sympy.Symbol(_SYMBOL_NAMES[name], **assumptions)
    return out


def solve(
    race: Race, symbols: Sequence[str] = (), *, digits: int = 30, exact: bool | None = None
) -> SymbolicEquilibrium:
    """The equilibrium of a race with power costs as sympy expressions (SPEC.md §1).

    Parameters
    ----------
    race : Race
        The model; costs must be :class:`~patentrace.costs.Power` (the exact forms need
        integer exponents). Breakthrough hazards ``b_k(i)`` (SPEC.md §1,
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
        form; ``None`` (default): exact when it stays within :data:`MAX_DEGREE`, else certified.

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

    With breakthrough hazards that grow with experience (SPEC.md §1):

    >>> jumpy = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.05, 0.4])
    >>> sym = solve(jumpy)
    >>> sym.form(1, 1), sym.form(1, 0), sym.effort(0, 1, 1)
    ('closed form', 'root of polynomial', 1/30 + sqrt(301)/30)
    >>> bool(abs(float(sym.win_probability(0, 1, 0)) - pr.solve(jumpy).win_probability[0, 1, 0]) < 1e-14)
    True
    """
    symbol_map = _validate(race, symbols, digits)
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


def _symmetric(race: Race) -> bool:
    """Whether swapping the firms leaves the race unchanged (then state ``(j, i)`` mirrors ``(i, j)``)."""
    return bool(race.cost[0] == race.cost[1] and race.stages[0] == race.stages[1]
                and race.productivity[0] == race.productivity[1] and race.breakthrough[0] == race.breakthrough[1])


class _TooLargeError(Exception):
    def __init__(self, state: tuple[int, int], degree: int):
        self.state, self.degree = state, degree


class _Builder:
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
            # in a symmetric race, solve i >= j and mirror the rest: then V_2(j, i) is V_1(i, j), the same object
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

    def implicit(self, i: int, j: int, system: tuple[sympy.Expr, sympy.Expr], target: list[mp.mpf],
                 idle: list[bool], residual: float) -> _State:
        """Efforts as :class:`~.implicit.ImplicitEffort`: the system's root on the model's branch."""
        if any(idle):
            raise ValueError(f"state {(i, j)}: a firm idles and its rival's condition has no closed form "
                             f"(non-integer exponent); keep every parameter numeric (symbols=()) there")
        point = tuple(self.at_point[s] for s in self.parameters)
        x = implicit_pair((i, j), system, self.parameters, point, (target[0], target[1]), self.evaluate)
        lam, own, rival, jump = self.context[(i, j)]
        return _State(x, _values(self.numbers, lam, own, rival, x, jump), "implicit", residual)

    def name_values(self, i: int, j: int, state: _State) -> _State:
        """Name the state's values (:class:`~.implicit.StateValue`) if they involve implicit ones."""
        if state.form == "implicit":
            self.sequence.append(state.effort)
        named = []
        for k in (0, 1):
            v = state.value[k]
            if v.atoms(ImplicitEffort, StateValue):
                v = named_value(k, (i, j), v, self.parameters, self.evaluate)
                self.sequence.append(v)
            named.append(v)
        return _State(state.effort, (named[0], named[1]), state.form, state.residual)

    def evaluate(self, quantity: ImplicitEffort | StateValue, values: tuple[sympy.Expr, ...], dps: int) -> mp.mpf:
        """An implicit effort's or named value's number at parameter values ``values`` to ``dps`` digits (cached).

        At the model's values: the certified root; elsewhere the branch is followed in
        floats (:class:`~patentrace.solvers.symbolic.implicit.BranchFollower`) and every state is
        polished by Newton's method at ``dps + 20`` digits, with the residual bound of
        :func:`solve` at ``10**-dps``.
        """
        cls = type(quantity)
        i, j = cls.state
        point = tuple(self.at_point[s] for s in self.parameters)
        at_model = values == point
        if at_model and dps <= self.digits + 15:
            return (self.effort_mp if isinstance(quantity, ImplicitEffort) else self.value_mp)[cls.firm][i][j]
        stored = self.cache.get(values)
        if stored is None or stored[0] < dps:
            dps = 50 * (dps // 50 + 1)  # sympy asks for ever more digits as it cancels: compute in few sizes
            start = None
            if not at_model:
                if self.owner is None:
                    raise ValueError("implicit efforts can be evaluated away from the model's parameters "
                                     "only once solve() has finished")
                start = self.owner.numeric(tuple(float(v) for v in values))[0]
            numbers = _substitute(self.numbers, dict(zip(self.parameters, values, strict=True)))
            effort, value, _ = _certified(self.race, numbers, dps + 20, dps, start)
            stored = (dps, effort, value)
            self.cache[values] = stored
        return (stored[1] if isinstance(quantity, ImplicitEffort) else stored[2])[cls.firm][i][j]

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
                # x_2 through a first-order condition (low degree in x_2), then x_1 through its polynomial
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


def single_firm(race: Race, firm: int = 0, symbols: Sequence[str] = ()) -> list[sympy.Expr]:
    """The lone firm's values ``V(i)``, ``i = 0 .. N``, in closed form (SPEC.md §1).

    With no rival hazard, (1) reads ``c'(x)(r + lambda x)/lambda - c(x) = r A``: one
    polynomial in ``x``; for ``c = a x^2/2`` and ``lambda = 1``,
    ``V(n) = (sqrt(V(n+1) + a r/2) - sqrt(a r/2))^2``.

    The firm's own breakthrough hazard ``b = b_k(i)`` counts (SPEC.md §1,
    "Breakthroughs", with no rival): ``c'(x)(r + b + lambda x)/lambda - c(x) = (r + b) A - b P``
    and ``V = [-c(x) + lambda x A + b P] / (r + b + lambda x)``. Where the right side
    is at most ``c'(0)(r + b)/lambda`` the firm idles (``x = 0``, ``V = b P/(r + b)``).
    The float :func:`patentrace.single_firm` solves the same equations.

    Parameters
    ----------
    race : Race
        Only ``firm``'s stages, cost, productivity and breakthrough hazards and the
        prize matter.
    firm : int
        0 or 1.
    symbols : sequence of str
        As for :func:`solve`.

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
