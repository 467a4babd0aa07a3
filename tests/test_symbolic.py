"""pr.symbolic: closed forms proved by sympy, exact roots, certified values against two other solvers."""

import time

import mpmath as mp
import numpy as np
import oracle_quadratic as oracle
import pytest
import sympy

import patentrace as pr


def quadratic(stages, prize=1.0, discount=0.1, scale=1.0, loser_prize=0.0, **kw):
    return pr.Race(stages=stages, prize=prize, discount=discount, cost=pr.costs.Quadratic(scale=scale),
                   loser_prize=loser_prize, **kw)


ASYMMETRIC = {"stages": (3, 2), "prize": 2.0, "loser_prize": 0.3, "discount": 0.03, "scales": (1.0, 0.4),
              "linears": (0.0, 0.02), "productivity": ([1.0, 1.5, 2.0], [0.7, 1.0])}


def asymmetric_race(stages=(3, 2)):
    spec = ASYMMETRIC
    cost = tuple(pr.costs.Quadratic(scale=a, linear=m) for a, m in zip(spec["scales"], spec["linears"], strict=True))
    lam = (spec["productivity"][0][: stages[0]], spec["productivity"][1][: stages[1]])
    return pr.Race(stages=stages, prize=spec["prize"], loser_prize=spec["loser_prize"], discount=spec["discount"],
                   cost=cost, productivity=lam)


def test_one_stage_effort_is_the_lee_wilde_closed_form_exactly():
    sym = pr.symbolic.solve(quadratic(1), symbols=("prize", "discount", "scale"))
    p, r, a = (sym.symbols[k] for k in ("prize", "discount", "scale"))
    closed = (p - a * r + sympy.sqrt(p**2 + 4 * a * p * r + a**2 * r**2)) / (3 * a)
    assert sympy.simplify(sym.effort(0, 0, 0) - closed) == 0
    assert sympy.simplify(sym.effort(1, 0, 0) - closed) == 0
    assert sympy.simplify(sym.value(0, 0, 0) - (p - a * closed)) == 0  # race.md (10): V = P - a x*
    assert sym.form(0, 0) == "closed form"


def test_symmetric_state_closed_form_with_a_loser_prize():
    # one stage, loser prize L: the symmetric state with A = P, B = L (docs/theory/race.md (10))
    sym = pr.symbolic.solve(quadratic(1, loser_prize=0.2), symbols=("prize", "discount", "scale", "loser_prize"))
    p, r, a, loser = (sym.symbols[k] for k in ("prize", "discount", "scale", "loser_prize"))
    gap = p - loser - a * r
    closed = (gap + sympy.sqrt(gap**2 + 6 * a * r * p)) / (3 * a)
    assert sympy.simplify(sym.effort(0, 0, 0) - closed) == 0


def test_single_firm_recursion_exactly():
    race = quadratic(3)
    values = pr.symbolic.single_firm(race, symbols=("prize", "discount", "scale"))
    p, r, a = (sympy.Symbol(n, positive=True) for n in ("P", "r", "a"))
    half = a * r / 2
    assert sympy.simplify(values[2] - (sympy.sqrt(p + half) - sympy.sqrt(half)) ** 2) == 0
    _, numeric = pr.single_firm(race)
    point = {p: 1, r: sympy.Rational(1, 10), a: 1}
    np.testing.assert_allclose([float(v.subs(point)) for v in values], numeric, rtol=1e-14)


def test_symmetric_two_stage_race_matches_spec_numbers():
    sym = pr.symbolic.solve(quadratic(2))
    assert sym.form(1, 1) == "closed form" and sym.form(0, 0) == "closed form"
    assert sym.form(1, 0) == "root of polynomial"
    # docs/theory/race.md: x(1,0) = (0.4686350713, 0.2494666666), x(0,0) = 0.3517921025, V(0,0) = 0.1795728262
    assert float(sym.effort(0, 1, 0)) == pytest.approx(0.4686350713, abs=1e-10)
    assert float(sym.effort(1, 1, 0)) == pytest.approx(0.2494666666, abs=1e-10)
    assert float(sym.effort(0, 0, 0)) == pytest.approx(0.3517921025, abs=1e-10)
    assert float(sym.value(1, 0, 0)) == pytest.approx(0.1795728262, abs=1e-10)
    poly, (lo, hi) = sym.polynomial("effort", 0, 1, 0)
    assert poly.is_irreducible and poly.degree() >= 2
    x = sym.effort(0, 1, 0)
    assert lo <= sympy.N(x, 40) <= hi
    assert abs(sympy.N(poly.as_expr().subs(poly.gen, sympy.N(x, 60)), 60)) < 1e-50


@pytest.mark.parametrize("race", [quadratic(2), quadratic(3), quadratic((2, 1)), asymmetric_race((3, 2)),
                                  asymmetric_race((2, 2))], ids=["N2", "N3", "N21", "asym32", "asym22"])
def test_values_at_30_digits_agree_with_solve_and_the_60_digit_oracle(race):
    sym = pr.symbolic.solve(race, digits=30)
    reference = pr.solve(race)
    def dec(v):  # the decimal the user meant, at the oracle's 60 digits (as pr.symbolic reads floats)
        return mp.mpf(repr(float(v)))

    firms = [oracle.QuadraticFirm(dec(c.scale), dec(c.linear)) for c in race.cost]
    effort, value, _ = oracle.solve(race.stages, dec(race.prize), dec(race.loser_prize), dec(race.discount), firms,
                                    [[dec(v) for v in p] for p in race.productivity])
    n1, n2 = race.stages
    for i in range(n1):
        for j in range(n2):
            assert sym.residual(i, j) < 1e-30
            for k in (0, 1):
                for name, ours, theirs, float_ in (("effort", sym.effort, effort, reference.effort),
                                                    ("value", sym.value, value, reference.value)):
                    exact = mp.mpf(sympy.N(ours(k, i, j), 35))
                    assert abs(exact - theirs[k][i][j]) <= mp.mpf(10) ** -28 * abs(theirs[k][i][j]), (name, k, i, j)
                    assert float(exact) == pytest.approx(float_[k, i, j], rel=1e-12)


def test_certified_path_when_exact_is_off():
    sym = pr.symbolic.solve(quadratic(2), exact=False)
    assert sym.form(1, 0) == "certified"
    exact = pr.symbolic.solve(quadratic(2))
    assert abs(sympy.N(sym.value(0, 1, 0) - exact.value(0, 1, 0), 40)) < 1e-29


def test_exact_limit_is_refused_with_the_limit():
    with pytest.raises(ValueError, match=r"too large for exact solving.*limit is 2 stages"):
        pr.symbolic.solve(quadratic(3), exact=True)
    with pytest.raises(ValueError, match=r"too large for exact solving.*MAX_DEGREE=16"):
        pr.symbolic.solve(asymmetric_race((2, 2)), exact=True)


@pytest.mark.timing
def test_symmetric_two_stage_exact_is_fast():
    started = time.perf_counter()
    pr.symbolic.solve(quadratic(2), exact=True)
    assert time.perf_counter() - started < 10.0


def test_system_vanishes_at_the_solution():
    sym = pr.symbolic.solve(quadratic((2, 2)))
    x1, x2 = sympy.symbols("x_0 x_1")
    for state in [(1, 0), (0, 0)]:
        point = {x1: sympy.N(sym.effort(0, *state), 60), x2: sympy.N(sym.effort(1, *state), 60)}
        for f in sym.system(*state):
            assert abs(sympy.N(f.subs(point), 50)) < 1e-40


def test_derivatives_match_finite_differences_of_solve():
    h = 1e-6
    # N = 1, symbolic: d x*/d r exactly
    sym = pr.symbolic.solve(quadratic(1), symbols=("discount",))
    slope = float(sym.derivative("effort", "discount").subs(sym.symbols["discount"], sympy.Rational(1, 10)))
    fd = (pr.solve(quadratic(1, discount=0.1 + h)).effort[0, 0, 0]
          - pr.solve(quadratic(1, discount=0.1 - h)).effort[0, 0, 0]) / (2 * h)
    assert slope == pytest.approx(fd, rel=1e-7)
    # N = 2, no closed form at (1, 0): the certified derivative
    sym = pr.symbolic.solve(quadratic(2), exact=False)
    for quantity, parameter, build in (("effort", "discount", lambda t: quadratic(2, discount=t)),
                                       ("value", "prize", lambda t: quadratic(2, prize=1.0 + t - 0.1))):
        slope = float(sym.derivative(quantity, parameter, firm=0, state=(0, 0)))
        base = 0.1
        arrays = [getattr(pr.solve(build(base + s)), quantity)[0, 0, 0] for s in (h, -h)]
        assert slope == pytest.approx((arrays[0] - arrays[1]) / (2 * h), rel=1e-6)


def test_lambdify_matches_solve():
    sym = pr.symbolic.solve(quadratic(1), symbols=("prize", "discount"))
    f = sym.lambdify()
    prizes, discounts = np.array([0.5, 1.0, 3.0]), np.array([0.01, 0.1, 0.7])
    effort, value = f(prize=prizes, discount=discounts)
    for k, (p, r) in enumerate(zip(prizes, discounts, strict=True)):
        eq = pr.solve(quadratic(1, prize=p, discount=r))
        np.testing.assert_allclose(effort[..., k], eq.effort, rtol=1e-12)
        np.testing.assert_allclose(value[..., k][:, :1, :1], eq.value[:, :1, :1], rtol=1e-12)
    with pytest.raises(ValueError, match="unknown"):
        f(prize=1.0, discount=0.1, scale=1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="'cost'"):
        pr.symbolic.solve(quadratic(1), symbols=("cost",))
    with pytest.raises(ValueError, match="both firms share"):
        pr.symbolic.solve(asymmetric_race((2, 2)), symbols=("scale",))
    with pytest.raises(ValueError, match="lambdify needs symbolic"):
        pr.symbolic.solve(quadratic(1)).lambdify()
    with pytest.raises(ValueError, match="digits"):
        pr.symbolic.solve(quadratic(1), digits=5)
    with pytest.raises(ValueError, match="parameter must be one of"):
        pr.symbolic.solve(quadratic(1)).derivative("effort", "lag")


def test_certified_derivative_keeps_its_step_at_mpmath_default_precision():
    # The central difference moves a parameter by 10**-(digits + 5); the move must survive at mpmath's default
    # 15 digits (the oracle imported above sets 60 globally, which once hid a step rounded away to 0).
    sym = pr.symbolic.solve(quadratic(2), exact=False)
    h = 1e-6
    with mp.workdps(15):
        for parameter in ("discount", "prize", "scale"):
            slope = float(sym.derivative("value", parameter, firm=0, state=(0, 0)))
            sides = [pr.solve(quadratic(2, **{parameter: base + s})).value[0, 0, 0]
                     for base in [{"discount": 0.1, "prize": 1.0, "scale": 1.0}[parameter]] for s in (h, -h)]
            assert slope == pytest.approx((sides[0] - sides[1]) / (2 * h), rel=1e-6), parameter
