"""FGST's deterministic race (docs/theory/deterministic.md): the model, the lone firm's path, the grid race."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import patentrace as pr
from patentrace.equations.lone_firm import _numeric_path, single_firm_path
from patentrace.equations.periods import period_game
from patentrace.solvers.deterministic import solve_grid
from patentrace.solvers.lemke import lemke_howson, symmetric_lemke_howson
from tests.oracle_bimatrix import is_extreme_equilibrium
from tests.strategies import examples


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
        with pytest.raises(ValueError, match=r"w \(experience\) must lie in \[0, 1\]"):
            path.value(bad)
    with pytest.raises(TypeError, match=r"cost must be one patentrace\.costs\.Cost"):
        pr.DeterministicRace(prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(), pr.costs.Quadratic()))
    with pytest.raises(ValueError, match="lag > 0"):
        quadratic_race().lagged(steps=10)
    with pytest.raises(ValueError, match="steps >= 10"):
        quadratic_race(lag=0.1, max_speed=1.0).lagged(steps=5)




# --- Lemke-Howson, against an exact enumeration of every extreme equilibrium ------------------------------


@settings(max_examples=examples(40), deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 6), n=st.integers(1, 6), dropped=st.integers(0, 11))
# nashpy's support_enumeration returned no equilibrium of this generic 3 x 6 game (issue 15); it has one
@example(seed=3, m=3, n=6, dropped=0)
def test_lemke_howson_finds_an_extreme_equilibrium(seed: int, m: int, n: int, dropped: int):
    rng = np.random.default_rng(seed)
    first, second = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    found = lemke_howson(first, second, dropped % (m + n))
    assert found is not None
    x, y = found
    assert np.all(first @ y <= x @ first @ y + 1e-12) and np.all(x @ second <= x @ second @ y + 1e-12)
    # Lemke-Howson ends at a completely labelled vertex pair: one of the game's extreme equilibria, all of which
    # the exact oracle lists (degenerate or not), so the check is complete
    assert is_extreme_equilibrium(first, second, x, y, atol=1e-9)


@settings(max_examples=examples(40), deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 7), dropped=st.integers(0, 6))
def test_symmetric_lemke_howson_finds_a_symmetric_equilibrium(seed: int, m: int, dropped: int):
    payoff = np.random.default_rng(seed).normal(size=(m, m))
    x = symmetric_lemke_howson(payoff, dropped % m)
    assert x is not None
    assert np.all(payoff @ x <= x @ payoff @ x + 1e-12)  # no pure action beats x against x


def test_lemke_howson_refuses_bad_labels():
    with pytest.raises(ValueError, match=r"dropped must be a label in 0 \.\. 3"):
        lemke_howson(np.eye(2), np.eye(2), 4)
    with pytest.raises(ValueError, match="payoff must be square"):
        symmetric_lemke_howson(np.ones((2, 3)))


# --- the grid race: each state's equilibrium against every extreme equilibrium, exactly --------------------------


def test_grid_equilibria_are_among_every_equilibrium_of_their_period_games():
    # 10 cells, 5 speeds: small enough to enumerate every vertex of every state's game in rationals. Lemke-Howson
    # ends at an extreme equilibrium, and the oracle lists all of them, degenerate game or not
    race = quadratic_race(lag=0.4, max_speed=1.0)
    grid = solve_grid(race, 10)
    gain, residual = grid.verify()
    assert gain < 1e-12 and residual < 1e-12
    n = grid.model.stages[0]
    for i in range(n):
        for j in range(n):
            game = period_game(grid.model, grid.value, i, j)
            first, second = game.payoff(0, float(grid.value[0, i, j])), game.payoff(1, float(grid.value[1, i, j]))
            ours = (grid.strategy[0][i, j], grid.strategy[1][i, j])
            assert is_extreme_equilibrium(first, second, *ours, atol=1e-8), (i, j)


def test_grid_is_symmetric_under_swapping_the_firms():
    grid = solve_grid(quadratic_race(lag=0.2, max_speed=2.0), 20)
    np.testing.assert_allclose(grid.value[0], grid.value[1].T, atol=1e-12)
    np.testing.assert_allclose(grid.strategy[0], np.swapaxes(grid.strategy[1], 0, 1), atol=1e-12)
    np.testing.assert_allclose(grid.win_probability[0], grid.win_probability[1].T, atol=1e-12)


# --- FGST's claims about the lag (docs/theory/deterministic.md) ---------------------------------------------------


def test_epsilon_preemption_at_lag_zero_for_leads_down_to_a_millionth():
    eq = pr.solve(quadratic_race())
    for lead in (1e-6, 1e-3, 0.3):
        for w in (0.35, 0.5, 0.9):
            report = pr.leapfrog(eq, state=(w, w - lead))
            assert report.follower == 1 and report.can_leapfrog is False
            assert report.leapfrog_probability == 0.0 and report.follower_win_probability == 0.0
            assert report.epsilon_preemption and report.contested_gap == 0.0
            leader_speed, follower_speed = eq.strategy(w, w - lead)
            assert follower_speed[0] == 0.0
            assert leader_speed[0] == pytest.approx(math.sqrt(0.2) - 0.1 * (1 - w), rel=1e-12)


def cap_threshold(lag: float, w: float) -> float:
    # deterministic.md (D5): with a speed cap the leader is safe at the lone pace iff its lead >= (x_max - x_m) lag
    return (2.0 - (math.sqrt(0.2) - 0.1 * (1.0 - w))) * lag


def test_contested_gap_is_positive_grows_with_the_lag_and_vanishes_with_it():
    lags = (0.05, 0.1, 0.2, 0.4)
    gaps = []
    for lag in lags:
        steps = round(8 / (2.0 * lag))  # 9 speeds on every grid
        eq = pr.solve(quadratic_race(lag=lag, max_speed=2.0), steps=[steps])
        gap = eq.contested_gap(0.5)
        gaps.append(gap)
        # within a quarter of the threshold (D5) plus a cell: so it tends to 0 with the lag
        assert abs(gap - cap_threshold(lag, 0.5)) <= 0.25 * cap_threshold(lag, 0.5) + 1.0 / steps
    assert all(g > 0 for g in gaps)
    assert all(a < b for a, b in itertools.pairwise(gaps))


def test_contested_gap_converges_as_the_grid_is_refined():
    race = quadratic_race(lag=0.1, max_speed=2.0)
    eq = pr.solve(race, steps=[20, 40, 80])
    target = cap_threshold(0.1, 0.5)
    errors = [abs(r.gap[4] - target) for r in eq.refinement]  # positions[4] is w = 0.5
    assert eq.positions[4] == 0.5
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] <= 1.0 / 80
    assert eq.refinement[-1].change <= 0.04 and eq.converged


def test_without_a_cap_the_gap_stays_below_the_sufficient_threshold():
    # deterministic.md (D6): g >= sqrt(2 lag V_m / a) - x_m lag suffices for epsilon-preemption: the gap is below it
    race = quadratic_race(lag=0.2)
    eq = pr.solve(race, steps=[10, 20])
    for w in (0.3, 0.5, 0.7):
        bound = math.sqrt(2 * 0.2 * float(eq.single_firm_value(w))) - float(eq.single_firm_speed(w)) * 0.2
        assert 0.0 < eq.contested_gap(w) <= bound


def test_follower_in_the_contested_region_mixes_and_can_leapfrog():
    eq = pr.solve(quadratic_race(lag=0.2, max_speed=2.0), steps=[20])
    report = pr.leapfrog(eq, state=(0.5, 0.4))
    follower = eq.strategy(0.5, 0.4)[1]
    assert 0.0 < follower[0] < 1.0 and np.count_nonzero(follower) >= 2  # mixes idling with running
    assert report.can_leapfrog and 0.0 < report.leapfrog_probability < 1.0
    assert not report.epsilon_preemption
    far = pr.leapfrog(eq, state=(0.7, 0.2))  # a lead beyond the contested gap: safe
    assert far.can_leapfrog is False and far.follower_win_probability == 0.0
    assert eq.strategy(0.7, 0.2)[1][0] == 1.0


def test_deterministic_equilibrium_refuses_bad_states():
    eq = pr.solve(quadratic_race())
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        eq.contested_gap(1.2)
    with pytest.raises(ValueError, match="needs a leader"):
        pr.leapfrog(eq, state=(0.3, 0.3))
    with pytest.raises(ValueError, match=r"state\[1\] \(experience\) must lie in \[0, 1\]"):
        pr.leapfrog(eq, state=(0.3, -0.1))
    with pytest.raises(ValueError, match="steps must be a non-empty increasing sequence"):
        pr.solve(quadratic_race(lag=0.2), steps=[20, 10])


@settings(max_examples=examples(40), deadline=None)
@given(prize=st.floats(0.5, 4.0), discount=st.floats(0.02, 0.5), scale=st.floats(0.3, 3.0),
       exponent=st.sampled_from([1.5, 2.0, 3.0]), loser=st.floats(0.0, 0.5), lag=st.floats(0.1, 0.6),
       cap=st.one_of(st.none(), st.floats(0.8, 3.0)), steps=st.integers(4, 12))
# found by the thorough profile: a support pair's quadratic had a root near 1e300 far out on its line, and the
# point there overflowed (a warning, an error under the suite's filter) before it was thrown away
@example(prize=1.25, discount=0.03125, scale=2.5, exponent=1.5, loser=0.125, lag=0.5, cap=1.0, steps=11)
def test_grid_equilibria_are_verified_symmetric_and_end_the_race(
    prize: float, discount: float, scale: float, exponent: float, loser: float, lag: float, cap: float | None,
    steps: int,
):
    cost = pr.costs.Power(scale=scale, exponent=exponent)
    race = pr.DeterministicRace(prize=prize, discount=discount, cost=cost, lag=lag, max_speed=cap,
                                loser_prize=loser * prize)
    try:
        menu = len(race.lagged(steps).menus[0][0])
    except ValueError:  # the grid is too coarse for the cap: refused, with the fix in the message
        return
    if menu > 9:
        return
    grid = solve_grid(race, steps)
    gain, residual = grid.verify()
    assert gain < 1e-9 and residual < 1e-9
    np.testing.assert_allclose(grid.value[0], grid.value[1].T, atol=1e-12 * prize)
    assert np.all(grid.value >= -1e-12 * prize) and np.all(grid.value <= prize * (1 + 1e-12))
    total = grid.win_probability[0] + grid.win_probability[1] + grid.tie_probability
    moving = np.isfinite(grid.expected_duration)  # where the race cannot stall, someone wins or it is a tie
    np.testing.assert_allclose(total[moving], 1.0, atol=1e-10)


def test_a_level_state_where_the_fixed_point_iteration_cycles_is_solved_exactly():
    # Found by a random scan: at the level state (3, 3) Lemke-Howson alternates between two equilibria of M(v)
    # as v moves; the state's 2 x 2 undominated game is then enumerated exactly (its symmetric equilibrium mixes)
    race = pr.DeterministicRace(prize=0.6386195233102114, discount=0.23735342866707565,
                                cost=pr.costs.Power(scale=2.003896862832088, exponent=1.5),
                                lag=0.3753734756341258, loser_prize=0.18942361683514983)
    grid = solve_grid(race, 7)
    gain, residual = grid.verify()
    assert gain < 1e-12 and residual < 1e-12
    np.testing.assert_allclose(grid.strategy[0][3, 3], grid.strategy[1][3, 3], atol=1e-12)
    assert 0.0 < grid.strategy[0][3, 3][0] < 1.0
