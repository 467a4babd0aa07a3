"""pr.symbolic with symbolic parameters where no closed form exists: implicit efforts (docs/theory/race.md).

Checked against the 60-digit oracle (tests/oracle_quadratic.py), pr.solve at other parameter
values, finite differences of pr.solve, and the certified central-difference derivative.
"""

import time

import mpmath as mp
import numpy as np
import oracle_quadratic as oracle
import pytest
import sympy

import patentrace as pr
from patentrace.solvers.symbolic.implicit import ImplicitEffort, StateValue


def quadratic(stages, prize=1.0, discount=0.1, scale=1.0, loser_prize=0.0):
    return pr.Race(stages=stages, prize=prize, discount=discount, cost=pr.costs.Quadratic(scale=scale),
                   loser_prize=loser_prize)


def asymmetric(prize=2.0, discount=0.03, loser_prize=0.3):
    return pr.Race(stages=(3, 2), prize=prize, loser_prize=loser_prize, discount=discount,
                   cost=(pr.costs.Quadratic(scale=1.0), pr.costs.Quadratic(scale=0.4)),
                   productivity=([1.0, 1.5, 2.0], [0.7, 1.0]))


def oracle_solution(race):
    def dec(v):
        return mp.mpf(repr(float(v)))

    firms = [oracle.QuadraticFirm(dec(c.scale), dec(c.linear)) for c in race.cost]
    effort, value, _ = oracle.solve(race.stages, dec(race.prize), dec(race.loser_prize), dec(race.discount), firms,
                                    [[dec(v) for v in p] for p in race.productivity])
    return effort, value


@pytest.mark.timing
def test_symmetric_two_stage_race_with_symbolic_prize_and_discount_is_fast():
    race = quadratic(2)
    pr.solve(race)  # compile the float path outside the timed part
    started = time.perf_counter()
    pr.symbolic.solve(race, symbols=("prize", "discount"))
    elapsed = time.perf_counter() - started
    assert elapsed < 10.0  # measured 0.25 s (2-core machine, warm); 4.8 s with sympy's first-call costs


def test_symmetric_two_stage_race_with_symbolic_prize_and_discount():
    race = quadratic(2)
    sym = pr.symbolic.solve(race, symbols=("prize", "discount"))
    assert sym.form(1, 1) == "closed form" and sym.form(0, 0) == "closed form"
    assert sym.form(1, 0) == "implicit" and sym.form(0, 1) == "implicit"
    x = sym.effort(0, 1, 0)
    assert isinstance(x, ImplicitEffort) and x.free_symbols == {sym.symbols["prize"], sym.symbols["discount"]}
    assert isinstance(sym.value(0, 0, 0), StateValue)
    # docs/theory/race.md: x(1,0) = (0.4686350713, 0.2494666666), x(0,0) = 0.3517921025, V(0,0) = 0.1795728262
    for expr, spec in ((sym.effort(0, 1, 0), 0.4686350713), (sym.effort(1, 1, 0), 0.2494666666),
                       (sym.effort(0, 0, 0), 0.3517921025), (sym.value(1, 0, 0), 0.1795728262)):
        assert float(expr.subs(sym.point)) == pytest.approx(spec, abs=1e-10)


@pytest.mark.parametrize(("race", "symbols"), [(quadratic(2), ("prize", "discount")),
                                           (quadratic(3), ("discount", "scale")),
                                           (asymmetric(), ("prize", "discount", "loser_prize"))],
                         ids=["N2", "N3", "asym32"])
def test_implicit_values_at_30_digits_agree_with_the_oracle_and_their_systems(race, symbols):
    sym = pr.symbolic.solve(race, symbols=symbols)
    effort, value = oracle_solution(race)
    n1, n2 = race.stages
    forms = set()
    for i in range(n1):
        for j in range(n2):
            forms.add(sym.form(i, j))
            assert sym.residual(i, j) < 1e-30
            for k in (0, 1):
                for ours, theirs in ((sym.effort(k, i, j), effort[k][i][j]), (sym.value(k, i, j), value[k][i][j])):
                    here = mp.mpf(sym.evaluate(ours, 35))
                    assert abs(here - theirs) <= mp.mpf(10) ** -28 * abs(theirs), (k, i, j)
            # the state's system, with symbols, vanishes at the implicit efforts
            x1, x2 = sympy.symbols("x_0 x_1")
            point = {x1: sym.effort(0, i, j), x2: sym.effort(1, i, j)}
            for f in sym.system(i, j):
                assert abs(sym.evaluate(f.xreplace(point), 40)) < 1e-30
    assert "implicit" in forms


def test_lambdify_follows_the_branch_and_agrees_with_solve_elsewhere():
    rng = np.random.default_rng(3)
    cases = [(quadratic(2), {"prize": rng.uniform(0.3, 3.0, 8), "discount": rng.uniform(0.01, 0.8, 8)}),
             (asymmetric(), {"prize": rng.uniform(1.0, 4.0, 8), "discount": rng.uniform(0.01, 0.3, 8),
                             "loser_prize": rng.uniform(0.0, 0.5, 8)})]
    for race, grid in cases:
        sym = pr.symbolic.solve(race, symbols=tuple(grid))
        effort, value = sym.lambdify()(**grid)
        n1, n2 = race.stages
        open_states = np.ones((n1 + 1, n2 + 1), dtype=bool)
        open_states[n1, n2] = False
        for n in range(8):
            kw = {name: float(v[n]) for name, v in grid.items()}
            eq = pr.solve(quadratic(2, **kw) if race.stages == (2, 2) else asymmetric(**kw))
            np.testing.assert_allclose(effort[..., n], eq.effort, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(value[..., n][:, open_states], eq.value[:, open_states], rtol=1e-10)


def test_evaluation_away_from_the_model_is_certified_against_the_oracle():
    sym = pr.symbolic.solve(quadratic(2), symbols=("prize", "discount"))
    effort, value = oracle_solution(quadratic(2, prize=2.5, discount=0.3))
    for k in (0, 1):
        here = mp.mpf(sym.evaluate(sym.effort(k, 1, 0), 32, prize=2.5, discount=0.3))
        assert abs(here - effort[k][1][0]) < mp.mpf(10) ** -30
    here = mp.mpf(sym.evaluate(sym.value(0, 0, 0), 32, prize=2.5, discount=0.3))
    assert abs(here - value[0][0][0]) < mp.mpf(10) ** -30


@pytest.mark.parametrize(("quantity", "parameter", "firm", "state"), [
    ("effort", "discount", 0, (0, 0)), ("value", "prize", 0, (0, 0)), ("effort", "prize", 1, (1, 0)),
    ("value", "discount", 0, (1, 0)),
])
def test_implicit_derivatives_match_finite_differences_and_the_certified_derivative(quantity, parameter, firm, state):
    race = quadratic(2)
    sym = pr.symbolic.solve(race, symbols=("prize", "discount"))
    slope = sym.derivative(quantity, parameter, firm, state)
    assert slope.free_symbols <= {sym.symbols["prize"], sym.symbols["discount"]}  # exact in the symbols
    exact = mp.mpf(sym.evaluate(slope, 30))
    certified = mp.mpf(pr.symbolic.solve(race, exact=False).derivative(quantity, parameter, firm, state))
    assert abs(exact - certified) < mp.mpf(10) ** -25 * (1 + abs(certified))
    h = 1e-6
    base = {"prize": 1.0, "discount": 0.1}
    sides = []
    for s in (h, -h):
        kw = dict(base, **{parameter: base[parameter] + s})
        sides.append(getattr(pr.solve(quadratic(2, **kw)), quantity)[(firm, *state)])
    assert float(exact) == pytest.approx((sides[0] - sides[1]) / (2 * h), rel=1e-6)


def test_asymmetric_derivative_with_respect_to_the_loser_prize():
    sym = pr.symbolic.solve(asymmetric(), symbols=("loser_prize",))
    exact = float(sym.evaluate(sym.derivative("effort", "loser_prize", 1, (1, 1)), 20))
    h = 1e-6
    fd = (pr.solve(asymmetric(loser_prize=0.3 + h)).effort[1, 1, 1]
          - pr.solve(asymmetric(loser_prize=0.3 - h)).effort[1, 1, 1]) / (2 * h)
    assert exact == pytest.approx(fd, rel=1e-6)


def test_a_lost_branch_raises_instead_of_returning_numbers():
    # with a participation cost the follower drops out when m is large: the interior branch ends
    race = pr.Race(stages=(2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.01))
    sym = pr.symbolic.solve(race, symbols=("linear",))
    effort, _ = sym.lambdify()(linear=0.02)
    np.testing.assert_allclose(effort, pr.solve(pr.Race(stages=(2, 2), prize=1.0, discount=0.1,
                                                        cost=pr.costs.Quadratic(linear=0.02))).effort, rtol=1e-10)
    with pytest.raises(ValueError, match="could not be followed"):
        sym.lambdify()(linear=0.9)
    with pytest.raises(ValueError, match="not symbolic parameters"):
        sym.evaluate(sym.effort(0, 0, 0), prize=2.0)


def test_derivative_through_four_stages_matches_the_certified_derivative():
    race = quadratic(4)
    sym = pr.symbolic.solve(race, symbols=("discount",))
    slope = sym.derivative("value", "discount", 1, (0, 1))
    assert sympy.count_ops(slope) < 2000  # derivatives stay per state (Derivative objects), not nested
    exact = mp.mpf(sym.evaluate(slope, 30))
    certified = mp.mpf(pr.symbolic.solve(race, exact=False).derivative("value", "discount", 1, (0, 1)))
    assert abs(exact - certified) < mp.mpf(10) ** -25 * (1 + abs(certified))
    h = 1e-6
    fd = (pr.solve(quadratic(4, discount=0.1 + h)).value[1, 0, 1]
          - pr.solve(quadratic(4, discount=0.1 - h)).value[1, 0, 1]) / (2 * h)
    assert float(exact) == pytest.approx(fd, rel=1e-6)


def test_an_idle_firm_that_would_invest_elsewhere_raises():
    # at m = 0.05 firm 1 idles at (1, 0) (race.md (7)); at m = 0.01 it invests, so its closed form 0 is wrong there
    def race(m):
        return pr.Race(stages=(2, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=m))

    sym = pr.symbolic.solve(race(0.05), symbols=("linear", "discount"))
    assert sym.effort(1, 1, 0) == 0 and pr.solve(race(0.01)).effort[1, 1, 0] > 0
    effort, _ = sym.lambdify()(linear=0.06, discount=0.1)
    np.testing.assert_allclose(effort, pr.solve(race(0.06)).effort, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match=r"firm 1 idles at state \(1, 0\)"):
        sym.lambdify()(linear=0.01, discount=0.1)


@pytest.mark.parametrize(("race", "symbols", "state"), [(quadratic(2), ("prize", "discount"), (1, 0)),
                                                  (asymmetric(), ("loser_prize",), (1, 1))], ids=["N2", "asym"])
def test_krawczyk_box_holds_the_exact_root_from_the_resultant_path(race, symbols, state):
    sym = pr.symbolic.solve(race, symbols=symbols)
    box = sym.isolate(*state)
    numeric = pr.symbolic.solve(race, exact=False) if race.stages != (2, 2) else pr.symbolic.solve(race)
    for k, (lo, hi) in enumerate(box):
        assert hi - lo < 1e-20
        reference = sympy.N(numeric.effort(k, *state), 60)   # CRootOf (N = 2) or certified (asymmetric)
        assert lo < reference < hi
    assert sym.form(*state) == "implicit"


def test_isolate_refuses_states_that_are_not_implicit():
    sym = pr.symbolic.solve(quadratic(2), symbols=("prize",))
    with pytest.raises(ValueError, match="not implicit"):
        sym.isolate(0, 0)
