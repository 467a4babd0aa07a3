"""The equations of docs/theory/race.md as sympy expressions, and the race's parameters as exact numbers.

The first-order conditions ``(F_0, F_1)`` of docs/theory/race.md (1) and the HJB values at a state,
with breakthrough hazards; the parameters of a race as exact rationals or symbols;
the check of what [`solve`][patentrace.symbolic.solve] accepts. Every other
module of the symbolic solver builds on these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from patentrace.models import Race
from patentrace.models.costs import Power, exact_rational
from patentrace.solvers import _mp as mp

PARAMETERS: tuple[str, ...] = ("prize", "discount", "scale", "loser_prize", "linear")

_SYMBOL_NAMES = {"prize": "P", "discount": "r", "scale": "a", "loser_prize": "L", "linear": "m"}

_X1, _X2, _V = sympy.symbols("x_0 x_1 v")

FORMS = ("closed form", "implicit", "root of polynomial", "certified")

_X = sympy.Symbol("x")


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
        """The breakthrough hazards ``(b_0(i), b_1(j))`` at state ``(i, j)`` (0 without breakthroughs)."""
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
    """The first-order conditions ``(F_0, F_1)`` of docs/theory/race.md (1) at a state, as sympy expressions.

    With breakthrough hazards ``(b_0, b_1)`` at the state (docs/theory/race.md (14)-(15), "Breakthroughs"),
    ``F_k = c_k'(x_k)(R + h_0 + h_1)/lambda_k - c_k(x_k) - R A_k - h_o (A_k - B_k) + b_k P + b_o L``
    with ``R = r + b_0 + b_1``; with ``b = 0`` the terms vanish and the expression is
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
    """``V_k = [-c_k(x_k) + h_k A_k + h_o B_k + b_k P + b_o L] / (r + h_0 + h_1 + b_0 + b_1)`` (docs/theory/race.md)."""
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


def _symmetric(race: Race) -> bool:
    """Whether swapping the firms leaves the race unchanged (then state ``(j, i)`` mirrors ``(i, j)``)."""
    return bool(race.cost[0] == race.cost[1] and race.stages[0] == race.stages[1]
                and race.productivity[0] == race.productivity[1] and race.breakthrough[0] == race.breakthrough[1])


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
                             "rationals of the race's numbers (docs/theory/race.md (14)-(15)); vary them by "
                             f"solving several races, or keep symbols among {PARAMETERS}")
        if name not in PARAMETERS:
            raise ValueError(f"symbols: {name!r} is not a model parameter; choose from {PARAMETERS}")
        if name in ("scale", "linear") and getattr(race.cost[0], name) != getattr(race.cost[1], name):
            raise ValueError(f"symbols: {name!r} can stay symbolic only when both firms share it, "
                             f"got {getattr(race.cost[0], name)!r} and {getattr(race.cost[1], name)!r}")
        assumptions = {"nonnegative": True} if name in ("linear", "loser_prize") else {"positive": True}
        out[name] = sympy.Symbol(_SYMBOL_NAMES[name], **assumptions)
    return out


class _BuilderState:
    """What the builder's steps (closed forms, exact algebraic values, implicit quantities) share.

    The race, its exact numbers and symbols, the certified efforts and values per state
    (``[firm][i][j]``), their residuals and working digits, and the point at which
    symbolic parameters are evaluated. ``induction._Builder`` fills them in.
    """

    race: Race
    numbers: _Numbers
    symbols: dict[str, sympy.Symbol]
    effort_mp: list[list[list[mp.mpf]]]
    value_mp: list[list[list[mp.mpf]]]
    residual: dict[tuple[int, int], float]
    digits: int
    integer: bool
    at_point: dict[sympy.Symbol, Any]
    parameters: tuple[sympy.Symbol, ...]
