"""Bad input is refused at the door, naming the parameter (issue 21, "Validation gaps").

Each case comes from a reproducer in ``shared/repro/reliability/``: its ``.out``
showed the input accepted (or failing deep inside with a numpy or str error).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import sympy

import patentrace as pr
from patentrace.costs import Cost, Power, Quadratic

Q = Quadratic()
RACE = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Q)
WORK, SHIRK = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
LAGGED = pr.LaggedRace(stages=2, prize=1.0, lag=1.0, discount=0.05, actions=[WORK, SHIRK])


@pytest.fixture(scope="module")
def solved() -> pr.Equilibrium:
    return pr.solve(RACE)


# input_validation.py / bad_detail.py "D": tolerance=nan was accepted (verify=True could never fail),
# tolerance=-1 raised a misleading "verification failed", tolerance="x" a numpy UFuncTypeError.
@pytest.mark.parametrize(("bad", "error"), [(math.nan, ValueError), (-1.0, ValueError), (math.inf, ValueError),
                                        ("x", TypeError), (True, TypeError)])
@pytest.mark.parametrize("model", [RACE, LAGGED], ids=["Race", "LaggedRace"])
def test_solve_refuses_a_bad_tolerance_naming_it(model, bad, error):
    with pytest.raises(error, match=r"tolerance must be a finite number > 0, got"):
        pr.solve(model, verify=True, tolerance=bad)


@pytest.mark.parametrize("bad", [math.nan, -1e-12])
def test_solve_many_refuses_a_bad_tolerance(bad):
    with pytest.raises(ValueError, match="tolerance must be a finite number > 0"):
        pr.solve_many([RACE], verify=True, tolerance=bad)


def test_a_zero_tolerance_is_refused_and_a_tiny_one_certifies_the_spec_race():
    # Every solve checks the HJB residual against ``tolerance``; a residual of exactly 0 cannot be promised in
    # floating point, so 0 is refused. docs/theory/race.md: N = 2, P = 1, r = 0.1, a = 1 gives V(0,0) = 0.1795728262.
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=Q)
    with pytest.raises(ValueError, match=r"tolerance must be a finite number > 0, got 0.0"):
        pr.solve(race, tolerance=0.0)
    eq = pr.solve(race, verify=True, tolerance=1e-13)
    assert abs(eq.value[0, 0, 0] - 0.1795728262) < 1e-10


# input_validation.py "leapfrog(tolerance=...)": nan, -1 and 2 were accepted, giving can_leapfrog False,
# True and False for the same leapfrog_probability 0.0214.
@pytest.mark.parametrize(("bad", "error"), [(math.nan, ValueError), (-1.0, ValueError), (1.0, ValueError),
                                        (2.0, ValueError), ("x", TypeError)])
def test_leapfrog_refuses_a_tolerance_outside_0_1(solved, bad, error):
    with pytest.raises(error, match=r"tolerance must be a finite number in \[0, 1\), got"):
        pr.leapfrog(solved, (0, 1), tolerance=bad)


def test_leapfrog_tolerance_is_compared_with_the_probability(solved):
    report = pr.leapfrog(solved, (0, 1))
    below, above = report.leapfrog_probability * 0.99, report.leapfrog_probability * 1.01
    assert pr.leapfrog(solved, (0, 1), tolerance=below).can_leapfrog is True
    assert pr.leapfrog(solved, (0, 1), tolerance=above).can_leapfrog is False


# bad_detail.py "E": solve(LaggedRace, max_pairs=0 / -1) were accepted while solve_all refused them.
@pytest.mark.parametrize(("bad", "error"), [(0, ValueError), (-1, ValueError), (1.5, ValueError), (True, ValueError)])
def test_solve_and_solve_all_refuse_the_same_max_pairs(bad, error):
    with pytest.raises(error, match="max_pairs must be an int >= 1"):
        pr.solve(LAGGED, max_pairs=bad)
    with pytest.raises(error, match="max_pairs must be an int >= 1"):
        pr.solve_all(LAGGED, max_pairs=bad)


def test_solve_and_solve_all_accept_a_numpy_int_max_pairs():
    # The same equilibria for max_pairs given as a numpy int and as an int.
    a, b = pr.solve(LAGGED, max_pairs=np.int64(1000)), pr.solve(LAGGED, max_pairs=1000)
    assert np.array_equal(a.value, b.value)
    every = pr.solve_all(LAGGED, max_pairs=np.int64(1000))
    assert [eq.value.tolist() for eq in every] == [eq.value.tolist() for eq in pr.solve_all(LAGGED, max_pairs=1000)]


# input_validation.py / bad_detail.py "J": Race(loser_prize=-0.5) was accepted (min V = -0.5, V1 + V2 < 0 at
# (0, 0)) while DeterministicRace refused it. docs/theory/race.md: 0 <= L <= P.
@pytest.mark.parametrize("make", [
    lambda loser: pr.Race(stages=2, prize=1.0, discount=0.1, cost=Q, loser_prize=loser),
    lambda loser: pr.LaggedRace(stages=2, prize=1.0, lag=1.0, discount=0.05, actions=[WORK, SHIRK], loser_prize=loser),
    lambda loser: pr.DeterministicRace(prize=1.0, discount=0.1, cost=Q, loser_prize=loser),
], ids=["Race", "LaggedRace", "DeterministicRace"])
def test_every_race_refuses_a_loser_prize_outside_0_and_the_prize(make):
    with pytest.raises(ValueError, match=r"loser_prize must be >= 0 and <= prize \(1.0\), got -0.5"):
        make(-0.5)
    with pytest.raises(ValueError, match=r"loser_prize must be <= prize \(1.0\) and >= 0, got 1.5"):
        make(1.5)
    assert make(0.0).loser_prize == 0.0 and make(1.0).loser_prize == 1.0


# bad_detail.py "A": prize=5e-324 (subnormal) was accepted and verify() gave a NaN residual.
@pytest.mark.parametrize("prize", [5e-324, sys.float_info.min / 2, 0.0, -1.0])
def test_a_prize_below_the_smallest_normal_float_is_refused(prize):
    with pytest.raises(ValueError, match=r"prize must be > 0 and finite, at least 2\.2250738585072014e-308"):
        pr.Race(stages=2, prize=prize, discount=0.1, cost=Q)


def test_the_smallest_normal_prize_is_accepted():
    assert pr.Race(stages=2, prize=sys.float_info.min, discount=0.1, cost=Q).prize == sys.float_info.min


# input_validation.py "DeterministicRace solve(steps='abc')": failed inside int() with "invalid literal".
@pytest.mark.parametrize(("steps", "error"), [("abc", TypeError), ([5, 5], ValueError), ([1, 4], ValueError),
                                          ([4.0, 8.0], ValueError), ([], ValueError)])
def test_deterministic_solve_refuses_bad_steps_naming_them(steps, error):
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=Q, lag=0.2, max_speed=2.0)
    with pytest.raises(error, match="steps"):
        pr.solve(race, steps=steps)


# input_validation.py "DeterministicRace(breakthrough=lambda w: 'x')": "could not convert string to float".
def test_a_breakthrough_that_returns_no_number_is_refused_naming_it():
    with pytest.raises(TypeError, match=r"breakthrough b\(w\) must return a real number >= 0, got b\(0.0\) = 'x'"):
        pr.DeterministicRace(prize=1.0, discount=0.1, cost=Q, breakthrough=lambda w: "x")


def test_a_breakthrough_returning_numpy_numbers_is_accepted():
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=Q, lag=0.2, breakthrough=lambda w: np.float64(0.1) * w)
    assert race.breakthrough_hazard([0.5]).tolist() == [0.05]
    zero_d = pr.DeterministicRace(prize=1.0, discount=0.1, cost=Q, lag=0.2, breakthrough=lambda w: np.asarray(w))
    assert zero_d.breakthrough_hazard([0.25]).tolist() == [0.25]


# input_validation.py "LaggedRace.from_race(efforts=[0, 1e300])": "cost must be finite, got inf" named no effort.
def test_from_race_names_the_effort_whose_cost_overflows():
    with pytest.raises(ValueError, match=r"efforts for firm 0: effort 1e\+300 costs inf a period"):
        pr.LaggedRace.from_race(RACE, lag=0.5, efforts=[0.0, 1e300])


# input_validation.py "DeterministicRace(lag=1e-300).lagged(4)": "cost must be finite, got inf".
def test_lagged_names_the_lag_and_steps_whose_speed_cost_overflows():
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=Q, lag=1e-300)
    with pytest.raises(ValueError, match=r"lag=1e-300 with steps=4"):
        race.lagged(4)


# input_validation.py "symbolic.solve(exact='no')": a truthy string asked for exact solving.
def test_symbolic_solve_refuses_a_non_bool_exact():
    with pytest.raises(TypeError, match="exact must be True, False or None, got 'no'"):
        pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=Q), exact="no")


# --- Cost.check: marginal() against difference quotients of value() ---------------------------------------

class _Inconsistent(Cost):
    """input_validation.py: marginal 2x for value x^2/2; solve returned a 4.9% profitable deviation."""

    def value(self, x):
        return np.asarray(x, dtype=float) ** 2 / 2

    def marginal(self, x):
        return 2 * np.asarray(x, dtype=float)

    def expression(self, x=None):
        return (x if x is not None else sympy.Symbol("x")) ** 2 / 2


class _Kinked(Cost):
    """Convex with kinks: c(x) = m x + x^2 / 2 + max(x - k, 0), right derivative at the kink k."""

    def __init__(self, kink: float, linear: float = 0.0, factor: float = 1.0):
        self.kink, self.linear, self.factor = kink, linear, factor

    def value(self, x):
        x = np.asarray(x, dtype=float)
        return self.linear * x + x**2 / 2 + np.maximum(x - self.kink, 0.0)

    def marginal(self, x):
        x = np.asarray(x, dtype=float)
        return self.factor * (self.linear + x + (x >= self.kink))

    def expression(self, x=None):
        x = x if x is not None else sympy.Symbol("x")
        return self.linear * x + x**2 / 2 + sympy.Max(x - self.kink, 0)


def test_a_marginal_that_is_not_the_derivative_is_refused_at_construction():
    with pytest.raises(ValueError, match=r"cost _Inconsistent: marginal\(\) is not the derivative of value\(\)"):
        pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=_Inconsistent())
    with pytest.raises(ValueError, match="not the derivative"):
        pr.DeterministicRace(prize=1.0, discount=0.1, cost=_Inconsistent())


@pytest.mark.parametrize("factor", [1.01, 0.99, 1.001])
def test_a_marginal_off_by_a_fraction_of_a_percent_is_refused(factor):
    with pytest.raises(ValueError, match="not the derivative"):
        _Kinked(kink=1e9, factor=factor).check()


def test_correct_costs_with_kinks_pass():
    grid = np.geomspace(1e-6, 1e3, 200)  # Cost.check's grid: a kink exactly on one of its points, and between
    for kink in (float(grid[120]), 0.5 * float(grid[120] + grid[121]), 1e9):
        _Kinked(kink=kink, linear=0.3).check()
    _Kinked(kink=float(grid[120]), linear=0.0).check()


@pytest.mark.parametrize("cost", [Quadratic(), Quadratic(scale=1e-3, linear=5.0), Power(scale=2.0, exponent=1.01),
                                  Power(scale=0.5, exponent=8.0, linear=0.2), Power(scale=1e4, exponent=1.5)])
def test_shipped_costs_pass_the_marginal_bracket(cost):
    # Cost.check skips the bracket for the power family's exact formulas; the bracket itself accepts them
    # (steep, flat, and with the participation kink m x at 0).
    grid = np.geomspace(1e-6, 1e3, 200)
    cost._check_marginal(grid, cost.value(grid), cost.marginal(np.concatenate([[0.0], grid])))
    with pytest.raises(ValueError, match="not the derivative"):
        cost._check_marginal(grid, cost.value(grid), 1.01 * cost.marginal(np.concatenate([[0.0], grid])))


def test_a_race_with_the_consistent_cost_has_no_profitable_deviation():
    # The fixed version of the reproducer's cost gives the docs/theory/race.md race back exactly: verify() is clean.
    class Consistent(_Inconsistent):
        def marginal(self, x):
            return np.asarray(x, dtype=float)

    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=Consistent()), verify=True)
    assert abs(eq.value[0, 0, 0] - 0.1795728262) < 1e-9


def test_a_power_subclass_with_a_wrong_marginal_is_checked_too():
    class Doubled(Power):
        def marginal(self, effort):
            return 2.0 * super().marginal(effort)

    with pytest.raises(ValueError, match="cost Doubled: marginal"):
        pr.Race(stages=2, prize=1.0, discount=0.1, cost=Doubled())
