"""pr.symbolic with breakthrough hazards b > 0 (docs/theory/race.md (14)-(15), "Breakthroughs").

Checked against: pr.solve (the float path, which solves the shifted game of
``patentrace.equations.hjb.breakthrough_shift``); the conditions (14)-(15) of docs/theory/race.md, written
out again below in mpmath from the formulas (not with library helpers); closed forms derived
by hand; finite differences of pr.solve; and the race without breakthroughs, whose
expressions must not change.
"""

import dataclasses

import mpmath as mp
import numpy as np
import pytest
import sympy

import patentrace as pr

DPS = 50


def race(stages, breakthrough, *, prize=1.0, loser_prize=0.0, discount=0.1, cost=None, productivity=None):
    return pr.Race(stages=stages, prize=prize, loser_prize=loser_prize, discount=discount,
                   cost=cost if cost is not None else pr.costs.Quadratic(), productivity=productivity,
                   breakthrough=breakthrough)


# name: (race, the representations its open states must take)
RACES = {
    "one stage, constant b": (race(1, [0.2]), {"closed form"}),
    "one stage, b per firm, loser prize": (race(1, ([0.3], [0.1]), loser_prize=0.25), {"root of polynomial"}),
    "two stages, b grows, loser prize": (race(2, [0.05, 0.4], loser_prize=0.3), {"closed form", "root of polynomial"}),
    "two stages, b per firm": (race(2, ([0.1, 0.3], [0.0, 0.2])), {"root of polynomial", "certified"}),
    "a firm idles although c'(0) = 0": (race(2, ([1.5, 0.2], [0.0, 0.0])),
                                        {"closed form", "root of polynomial", "certified"}),
    "stages (2, 1), cubic cost": (race((2, 1), ([0.1, 0.3], [0.2]), cost=pr.costs.Power(scale=1.0, exponent=3)),
                                  {"root of polynomial", "certified"}),
    "stages (3, 2), asymmetric firms": (
        race((3, 2), ([0.1, 0.2, 0.3], [0.05, 0.4]), prize=2.0, loser_prize=0.3, discount=0.03,
             cost=(pr.costs.Quadratic(scale=1.0), pr.costs.Quadratic(scale=0.4, linear=0.02)),
             productivity=([1.0, 1.5, 2.0], [0.7, 1.0])),
        {"certified"}),
}


def dec(v):
    """The decimal the user meant, as pr.symbolic reads floats, at the working precision."""
    return mp.mpf(repr(float(v)))


def conditions_hold(rc, effort, value, win):
    """Largest residual of docs/theory/race.md (14)-(15) over every open state, relative to the prize.

    ``effort[k][i][j]`` etc. are mpmath numbers. Written from the formulas of docs/theory/race.md:
    c'(x)(r + lam x + h_o + b_0 + b_1)/lam - c(x) = (r + b_0 + b_1) A + h_o (A - B) - b_k P - b_o L (or, for an
    idle firm, the left side at 0 at least the right side), V = [-c(x) + h A + h_o B + b_k P + b_o L]/(r + h + h_o
    + b_0 + b_1) and W = [h_0 W(i+1, j) + h_1 W(i, j+1) + b_k]/(h_0 + h_1 + b_0 + b_1).
    """
    p, loser, r = dec(rc.prize), dec(rc.loser_prize), dec(rc.discount)
    n1, n2 = rc.stages
    worst = mp.mpf(0)
    for i in range(n1):
        for j in range(n2):
            lam = (dec(rc.productivity[0][i]), dec(rc.productivity[1][j]))
            b = (dec(rc.breakthrough[0][i]), dec(rc.breakthrough[1][j]))
            h = (lam[0] * effort[0][i][j], lam[1] * effort[1][i][j])
            for k in (0, 1):
                o = 1 - k
                cost = rc.cost[k]
                a, m, g = dec(cost.scale), dec(cost.linear), dec(cost.exponent)
                x = effort[k][i][j]
                c = m * x + a * x**g / g
                slope = m + a * x ** (g - 1)
                own = value[k][i + 1][j] if k == 0 else value[k][i][j + 1]
                rival = value[k][i][j + 1] if k == 0 else value[k][i + 1][j]
                right = (r + b[0] + b[1]) * own + h[o] * (own - rival) - b[k] * p - b[o] * loser
                left = slope * (r + h[k] + h[o] + b[0] + b[1]) / lam[k] - c
                if x == 0:
                    assert left >= right, (k, i, j)  # idling is a best response
                else:
                    worst = max(worst, abs(left - right) / p)
                v = (-c + h[k] * own + h[o] * rival + b[k] * p + b[o] * loser) / (r + h[0] + h[1] + b[0] + b[1])
                worst = max(worst, abs(value[k][i][j] - v) / p)
                after = (win[k][i + 1][j], win[k][i][j + 1])
                w = (h[0] * after[0] + h[1] * after[1] + b[k]) / (h[0] + h[1] + b[0] + b[1])
                worst = max(worst, abs(win[k][i][j] - w))
    return worst


def arrays(sym, number):
    """Effort, value and win probability of every state as nested lists [firm][i][j] of ``number(expr)``."""
    n1, n2 = sym.model.stages
    return [[[[number(q(k, i, j)) if (i, j) != (n1, n2) else mp.nan for j in range(n2 + 1)] for i in range(n1 + 1)]
             for k in (0, 1)] for q in (sym.effort, sym.value, sym.win_probability)]


@pytest.mark.parametrize("name", list(RACES))
def test_every_state_agrees_with_solve_and_satisfies_the_breakthrough_conditions(name):
    rc, forms = RACES[name]
    sym = pr.symbolic.solve(rc)
    eq = pr.solve(rc)
    n1, n2 = rc.stages
    assert {sym.form(i, j) for i in range(n1) for j in range(n2)} == forms
    with mp.workdps(DPS):
        effort, value, win = arrays(sym, lambda e: mp.mpf(str(sympy.N(e, DPS))))
        assert conditions_hold(rc, effort, value, win) < 1e-25
    corner = np.zeros((2, n1 + 1, n2 + 1), dtype=bool)
    corner[:, n1, n2] = True  # unreachable; conventions differ there
    for ours, theirs in ((effort, eq.effort), (value, eq.value), (win, eq.win_probability)):
        np.testing.assert_allclose(np.array(ours, dtype=float)[~corner], theirs[~corner], rtol=1e-12, atol=1e-15)
    for i in range(n1):
        for j in range(n2):
            assert sym.residual(i, j) < 1e-30


def test_one_stage_symmetric_breakthrough_closed_form_by_hand():
    # N = 1, c = a x^2/2, b_0 = b_1 = b. At (0, 0): A = P, B = L, h_o = x, R = r + 2b, and docs/theory/race.md reads
    #   a x (R + 2x) - a x^2/2 = R P + x (P - L) - b P - b L,
    # i.e. (3a/2) x^2 + (a R - (P - L)) x - ((r + b) P - b L) = 0, whose positive root is below. The FOC
    # lambda (A - V) = c'(x) holds with breakthroughs as well, so V = P - a x.
    b = sympy.Rational(1, 5)
    sym = pr.symbolic.solve(race(1, [0.2], loser_prize=0.1), symbols=("prize", "discount", "scale", "loser_prize"))
    p, r, a, loser = (sym.symbols[k] for k in ("prize", "discount", "scale", "loser_prize"))
    rate = r + 2 * b
    gap = p - loser - a * rate
    by_hand = (gap + sympy.sqrt(gap**2 + 6 * a * ((r + b) * p - b * loser))) / (3 * a)
    assert sym.form(0, 0) == "closed form"
    for k in (0, 1):
        assert sympy.simplify(sym.effort(k, 0, 0) - by_hand) == 0
    assert sympy.simplify(sym.value(0, 0, 0) - (p - a * by_hand)) == 0
    assert sympy.simplify(sym.win_probability(0, 0, 0) - sympy.Rational(1, 2)) == 0


def test_lone_firm_with_its_own_breakthrough_by_hand():
    # alone, one stage left: (a/2) x^2 + a (r + b) x = (r + b) P - b P = r P,
    # so x = -(r + b) + sqrt((r + b)^2 + 2 r P/a), and V = P - a x (the FOC)
    values = pr.symbolic.single_firm(race(2, [0.05, 0.3]), symbols=("prize", "discount", "scale"))
    p, r, a = (sympy.Symbol(n, positive=True) for n in ("P", "r", "a"))
    b = sympy.Rational(3, 10)
    x = -(r + b) + sympy.sqrt((r + b) ** 2 + 2 * r * p / a)
    assert sympy.simplify(values[1] - (p - a * x)) == 0
    # a stage whose own breakthrough is worth more than working on: the lone firm idles, V = b P / (r + b)
    idle = pr.symbolic.single_firm(race(2, [2.0, 0.2]))
    assert idle[0] == sympy.Rational(2, 1) / sympy.Rational(21, 10)


ZERO = {  # (race, symbols, exact): closed forms, implicit efforts, roots of polynomials, certified numbers
    "N1 symbols": (race(1, None, loser_prize=0.1), ("prize", "discount", "scale", "loser_prize"), None),
    "N2 symbols": (race(2, None, loser_prize=0.2), ("prize", "discount"), None),
    "N1 two costs": (race(1, None, loser_prize=0.1, cost=(pr.costs.Quadratic(), pr.costs.Quadratic(scale=0.5))),
                     (), None),
    "N2 certified": (race(2, None, loser_prize=0.2), (), False),
}


@pytest.mark.parametrize("name", list(ZERO))
def test_zero_breakthroughs_give_the_expressions_of_the_race_without_them(name):
    rc, symbols, exact = ZERO[name]
    zeros = dataclasses.replace(rc, breakthrough=tuple([0.0] * n for n in rc.stages))
    plain, zero = pr.symbolic.solve(rc, symbols=symbols, exact=exact), pr.symbolic.solve(zeros, symbols=symbols,
                                                                                          exact=exact)
    n1, n2 = rc.stages
    for i in range(n1 + 1):
        for j in range(n2 + 1):
            if (i, j) == (n1, n2):
                continue
            for q in ("effort", "value", "win_probability"):
                for k in (0, 1):
                    assert sympy.srepr(getattr(plain, q)(k, i, j)) == sympy.srepr(getattr(zero, q)(k, i, j))
            if i < n1 and j < n2:
                assert (plain.form(i, j), plain.residual(i, j)) == (zero.form(i, j), zero.residual(i, j))
                assert sympy.srepr(plain.system(i, j)) == sympy.srepr(zero.system(i, j))
    # and each system is race.md (1) itself (here lambda = 1, c_k = a_k x^2 / 2), with no breakthrough term in it
    x = sympy.symbols("x_0 x_1")
    r = plain.symbols.get("discount", sympy.Rational(repr(rc.discount)))
    scales = [plain.symbols.get("scale", sympy.Rational(repr(c.scale))) for c in rc.cost]
    for i in range(n1):
        for j in range(n2):
            own = (plain.value(0, i + 1, j), plain.value(1, i, j + 1))
            rival = (plain.value(0, i, j + 1), plain.value(1, i + 1, j))
            spec = [scales[k] * x[k] * (r + x[0] + x[1]) - scales[k] * x[k] ** 2 / 2 - r * own[k]
                    - x[1 - k] * (own[k] - rival[k]) for k in (0, 1)]
            assert sympy.srepr([sympy.expand(f) for f in spec]) == sympy.srepr(list(plain.system(i, j)))


def test_symbolic_parameters_with_breakthroughs_agree_with_solve_and_finite_differences():
    rc = race(2, ([0.1, 0.3], [0.05, 0.2]), loser_prize=0.2)
    sym = pr.symbolic.solve(rc, symbols=("prize", "discount"))
    assert {sym.form(i, j) for i in range(2) for j in range(2)} == {"implicit"}
    f = sym.lambdify()
    prizes, discounts = np.array([0.8, 1.3]), np.array([0.07, 0.15])
    effort, value = f(prize=prizes, discount=discounts)
    for n, (p, r) in enumerate(zip(prizes, discounts, strict=True)):
        eq = pr.solve(dataclasses.replace(rc, prize=float(p), discount=float(r)))
        np.testing.assert_allclose(effort[..., n], eq.effort, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(value[..., n][:, :2, :], eq.value[:, :2, :], rtol=1e-12)
        np.testing.assert_allclose(value[..., n][:, 2, :2], eq.value[:, 2, :2], rtol=1e-12)
    eq = pr.solve(rc)
    with mp.workdps(DPS):
        got = arrays(sym, lambda e: mp.mpf(str(sym.evaluate(e, DPS))))
        assert conditions_hold(rc, *got) < 1e-25
    np.testing.assert_allclose(np.array(got[2], dtype=float)[:, :2, :], eq.win_probability[:, :2, :], rtol=1e-12)
    h = 1e-6
    for quantity, parameter, state, firm in (("effort", "discount", (0, 0), 0), ("value", "prize", (0, 1), 1),
                                             ("effort", "prize", (1, 0), 1)):
        slope = float(sym.evaluate(sym.derivative(quantity, parameter, firm, state), 20))
        base = getattr(rc, parameter)
        sides = [getattr(pr.solve(dataclasses.replace(rc, **{parameter: base + s})), quantity)[(firm, *state)]
                 for s in (h, -h)]
        assert slope == pytest.approx((sides[0] - sides[1]) / (2 * h), rel=1e-6)
    w = sym.win_probability(0, 0, 0)
    slope = float(sym.evaluate(sympy.diff(w, sym.symbols["discount"]), 20))
    sides = [pr.solve(dataclasses.replace(rc, discount=0.1 + s)).win_probability[0, 0, 0] for s in (h, -h)]
    assert slope == pytest.approx((sides[0] - sides[1]) / (2 * h), rel=1e-6)


def test_closed_forms_with_symbols_where_a_firm_idles_check_the_idling_condition():
    # b(0) = 1: the firm behind idles, and at (0, 0) both do (closed forms, x = 0); lambdify agrees with solve
    # nearby and raises at a prize of 10, where both invest at (0, 0).
    rc = race(2, [1.0, 0.1])
    sym = pr.symbolic.solve(rc, symbols=("prize", "discount"))
    assert sym.effort(0, 0, 1) == 0 and sym.form(0, 1) == "closed form"
    p, r = sym.symbols["prize"], sym.symbols["discount"]
    assert sym.effort(0, 0, 0) == sym.effort(1, 0, 0) == 0
    assert sym.value(0, 0, 0) == p / (r + 2)  # nobody works: V = (b P + b L)/(r + 2b), b = 1, L = 0
    effort, value = sym.lambdify()(prize=np.array([1.0, 1.2]), discount=np.array([0.1, 0.12]))
    for n, (prize, discount) in enumerate(((1.0, 0.1), (1.2, 0.12))):
        eq = pr.solve(dataclasses.replace(rc, prize=prize, discount=discount))
        np.testing.assert_allclose(effort[..., n], eq.effort, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(value[..., n][:, :2, :], eq.value[:, :2, :], rtol=1e-12)
    with pytest.raises(ValueError, match="idles"):
        sym.lambdify()(prize=10.0, discount=0.1)


def test_breakthrough_cannot_be_a_symbol():
    with pytest.raises(ValueError, match="'breakthrough' cannot stay symbolic"):
        pr.symbolic.solve(race(1, [0.2]), symbols=("breakthrough",))
