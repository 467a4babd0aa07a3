"""FGST's deterministic race (SPEC.md §3): the model, the lone firm's path, the grid race."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import patentrace as pr
from patentrace.solvers.deterministic import _numeric_path, single_firm_path


def quadratic_race(**kwargs: float) -> pr.DeterministicRace:
    options = {"prize": 1.0, "discount": 0.1, "cost": pr.costs.Quadratic(scale=1.0)} | kwargs
    return pr.DeterministicRace(**options)  # type: ignore[arg-type]


def test_lone_value_matches_the_numbers_of_spec():
    path = single_firm_path(quadratic_race())
    np.testing.assert_allclose(path.value([0.0, 0.5, 0.9]), [0.60279, 0.78889, 0.95578], atol=5e-6)
    assert path.method == "closed form"


@given(prize=st.floats(0.2, 20.0), scale=st.floats(0.1, 10.0), discount=st.floats(0.01, 2.0),
       w=st.floats(0.0, 1.0))
def test_closed_form_solves_the_lone_hjb(prize: float, scale: float, discount: float, w: float):
    # r V = -a x^2 / 2 + x V'(w) with V' = a x (first-order condition); V' from the closed form directly
    race = pr.DeterministicRace(prize=prize, discount=discount, cost=pr.costs.Quadratic(scale=scale))
    path = single_firm_path(race)
    value, speed = float(path.value(w)), float(path.speed(w))
    root = math.sqrt(prize) - math.sqrt(scale * discount / 2.0) * (1.0 - w)
    slope = 2.0 * root * math.sqrt(scale * discount / 2.0) if root > 0 else 0.0
    assert slope == pytest.approx(scale * speed, rel=1e-10, abs=1e-12 * prize)
    assert discount * value == pytest.approx(-scale * speed**2 / 2 + speed * slope, rel=1e-10, abs=1e-12 * prize)


@pytest.mark.parametrize(("prize", "scale", "discount"), [(1.0, 1.0, 0.1), (1.0, 4.0, 0.5), (2.0, 1.0, 3.0)])
def test_numeric_hjb_matches_the_closed_form(prize: float, scale: float, discount: float):
    race = pr.DeterministicRace(prize=prize, discount=discount, cost=pr.costs.Quadratic(scale=scale))
    closed, numeric = single_firm_path(race), _numeric_path(race)
    w = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(numeric.value(w), closed.value(w), atol=1e-6 * prize)
    np.testing.assert_allclose(numeric.speed(w), closed.speed(w), atol=1e-6)
    assert numeric.start == pytest.approx(closed.start, abs=1e-6)


@pytest.mark.parametrize("cost", [pr.costs.Power(scale=1.0, exponent=3.0), pr.costs.Power(scale=0.5, exponent=1.5),
                                  pr.costs.Power(scale=1.0, exponent=2.0, linear=0.3)])
def test_numeric_path_solves_the_lone_hjb(cost: pr.costs.Power):
    # r V = x c'(x) - c(x) and dV/dw = c'(x): checked with a centred difference of the computed value
    race = pr.DeterministicRace(prize=1.0, discount=0.2, cost=cost)
    path = single_firm_path(race)
    assert path.method == "numeric HJB"
    w = np.linspace(max(path.start, 0.0) + 0.05, 0.95, 19)
    h = 1e-5
    slope = (path.value(w + h) - path.value(w - h)) / (2 * h)
    speed = path.speed(w)
    np.testing.assert_allclose(slope, cost.marginal(speed), rtol=1e-6)
    np.testing.assert_allclose(0.2 * path.value(w), speed * cost.marginal(speed) - cost.value(speed), rtol=1e-9)


def test_a_linear_cost_makes_the_lone_firm_wait_far_from_the_finish():
    race = pr.DeterministicRace(prize=1.0, discount=0.5, cost=pr.costs.Quadratic(scale=1.0, linear=0.8))
    path = single_firm_path(race)
    assert 0.0 < path.start < 1.0
    assert path.value(path.start / 2) == 0.0 and path.speed(path.start / 2) == 0.0
    assert path.value(min(path.start + 0.1, 1.0)) > 0.0


def test_grid_race_near_the_finish_against_its_closed_form():
    # 4 cells, speeds 0, 0.5, 1 (0, 1, 2 cells a period). At (3, 0) the leader crosses in one period whatever
    # it runs, so it takes the cheapest move; the follower cannot reach the finish and stays idle.
    race = quadratic_race(lag=0.5, max_speed=1.0)
    lagged = race.lagged(steps=4)
    eq = pr.solve(lagged)
    beta = math.exp(-0.1 * 0.5)
    assert eq.value[0, 3, 0] == pytest.approx(beta * 1.0 - race.period_cost(0.5), abs=1e-12)
    assert eq.value[1, 3, 0] == pytest.approx(0.0, abs=1e-12)
    assert eq.strategy[1][3, 0, 0] == pytest.approx(1.0)
    assert race.period_cost(0.5) == pytest.approx(0.125 * (1 - beta) / 0.1, rel=1e-12)


def test_grid_menu_without_a_cap_stops_where_a_period_costs_more_than_the_prize():
    race = quadratic_race(lag=0.5)
    menu = race.lagged(steps=10).menus[0][0]
    costs = [a.cost for a in menu]
    assert costs[-1] > 1.0 >= costs[-2]
    assert [a.progress for a in menu[:3]] == [((0, 1.0),), ((1, 1.0),), ((2, 1.0),)]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lag": -0.1}, "lag must be >= 0"),
    ({"max_speed": 0.0}, "max_speed must be > 0"),
    ({"max_speed": -1.0}, "max_speed must be > 0"),
    ({"discount": -0.1}, "discount must be > 0"),
    ({"loser_prize": -0.5}, "loser_prize must be >= 0"),
    ({"prize": 0.0}, "prize must be > 0"),
])
def test_bad_parameters_are_refused(kwargs: dict[str, float], match: str):
    with pytest.raises(ValueError, match=match):
        quadratic_race(**kwargs)


def test_bad_experience_and_costs_are_refused():
    path = single_firm_path(quadratic_race())
    for bad in (-0.01, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"experience w must lie in \[0, 1\]"):
            path.value(bad)
    with pytest.raises(TypeError, match=r"cost must be one patentrace\.costs\.Cost"):
        pr.DeterministicRace(prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(), pr.costs.Quadratic()))
    with pytest.raises(ValueError, match="lag > 0"):
        quadratic_race().lagged(steps=10)
    with pytest.raises(ValueError, match="steps >= 10"):
        quadratic_race(lag=0.1, max_speed=1.0).lagged(steps=5)


def test_solve_says_the_deterministic_race_is_not_solved_yet():
    with pytest.raises(TypeError, match="does not solve a DeterministicRace yet"):
        pr.solve(quadratic_race(lag=0.2))
