"""The race in periods (docs/theory/periods.md): binary oracle (P5), exact oracle, small-lag limit, invariants."""

import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import patentrace as pr
from patentrace.equations.periods import period_game, terminal_values
from patentrace.solvers.stagegame import state_equilibria
from tests import oracle_bimatrix as oracle

P, R, LAG, PROB = 1.0, 0.05, 1.0, 0.5
BETA = math.exp(-R * LAG)
HIGH = BETA * PROB * P  # H = beta p P
LOW = HIGH * (1 - PROB / 2)  # L = beta p P (1 - p/2)


def binary(cost: float, stages: int = 1) -> pr.LaggedRace:
    work, shirk = pr.Action(cost, {1: PROB, 0: 1 - PROB}), pr.Action(0.0, {0: 1.0})
    return pr.LaggedRace(stages=stages, prize=P, lag=LAG, discount=R, actions=[work, shirk])


def equilibria(race: pr.LaggedRace):
    game = period_game(race, terminal_values(race), 0, 0)
    found = state_equilibria(game)
    profiles = sorted(
        (tuple(np.round(a, 12)), tuple(np.round(b, 12)), tuple(v)) for a, b, v in
        zip(found.strategy[0], found.strategy[1], found.value, strict=True)
    )
    return game, found, profiles


def test_oracle_cheap_work_both_work():
    k = 0.5 * LOW
    _game, _found, profiles = equilibria(binary(k))
    assert len(profiles) == 1
    (s1, s2, v), = profiles
    assert s1 == (1.0, 0.0) and s2 == (1.0, 0.0)
    # v = [-k + beta P (p^2/2 + p(1-p))] / (1 - beta (1-p)^2)
    expected = (-k + BETA * P * (PROB**2 / 2 + PROB * (1 - PROB))) / (1 - BETA * (1 - PROB) ** 2)
    assert v == pytest.approx((expected, expected), rel=1e-12)


def test_oracle_middle_regime_three_equilibria():
    k = 0.5 * (LOW + HIGH)
    game, found, profiles = equilibria(binary(k))
    assert len(profiles) == 3
    alone = (-k + HIGH) / (1 - BETA * (1 - PROB))  # the worker's value when the rival shirks
    q = (2 / PROB) * (1 - k / HIGH)  # Pr(work) in the mixed equilibrium
    expected = sorted([
        ((0.0, 1.0), (1.0, 0.0), (0.0, alone)),
        ((1.0, 0.0), (0.0, 1.0), (alone, 0.0)),
        ((q, 1 - q), (q, 1 - q), (0.0, 0.0)),
    ])
    for (a, b, v), (ea, eb, ev) in zip(profiles, expected, strict=True):
        np.testing.assert_allclose(a, ea, atol=1e-12)
        np.testing.assert_allclose(b, eb, atol=1e-12)
        np.testing.assert_allclose(v, ev, atol=1e-12)
    for s1, s2, v in zip(found.strategy[0], found.strategy[1], found.value, strict=True):
        assert oracle.is_extreme_equilibrium(game.payoff(0, v[0]), game.payoff(1, v[1]), s1, s2, atol=1e-12)


def test_oracle_dear_work_nobody_works():
    _game, _found, profiles = equilibria(binary(1.2 * HIGH))
    assert profiles == [((0.0, 1.0), (0.0, 1.0), (0.0, 0.0))]


@pytest.mark.parametrize("factor", [0.99, 0.999, 1.001, 1.01])
def test_oracle_regimes_switch_at_the_thresholds(factor: float):
    count_low = len(equilibria(binary(factor * LOW))[2])
    count_high = len(equilibria(binary(factor * HIGH))[2])
    assert count_low == (1 if factor < 1 else 3)
    assert count_high == (3 if factor < 1 else 1)


def test_every_equilibrium_passes_the_exact_oracle_on_random_menus():
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(30):
        menus = []
        for _firm in range(2):
            menu = []
            for _a in range(int(rng.integers(2, 5))):
                p = rng.dirichlet(np.ones(3))
                menu.append(pr.Action(float(rng.uniform(0, 0.3)), {0: p[0], 1: p[1], 2: p[2]}))
            menus.append(menu)
        race = pr.LaggedRace(stages=(2, 3), prize=1.0, lag=0.5, discount=0.1, actions=menus, loser_prize=0.1)
        eq = pr.solve(race)
        for i in range(2):
            for j in range(3):
                game = period_game(race, eq.value, i, j)
                found = state_equilibria(game)
                for s1, s2, v in zip(found.strategy[0], found.strategy[1], found.value, strict=True):
                    # complete either way: every extreme equilibrium (exact), or the definition where the game
                    # is degenerate and an equilibrium may lie inside a component (none of these 180 is)
                    first, second = game.payoff(0, float(v[0])), game.payoff(1, float(v[1]))
                    assert oracle.is_enumerated_equilibrium(first, second, s1, s2, atol=1e-9)
                    checked += 1
                selected = (eq.strategy[0][i, j], eq.strategy[1][i, j])
                assert any(np.allclose(selected[0], s1, atol=1e-12) and np.allclose(selected[1], s2, atol=1e-12)
                           for s1, s2 in zip(found.strategy[0], found.strategy[1], strict=True))
    assert checked > 100


def test_small_lags_approach_the_continuous_race_linearly():
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    exact = pr.solve(race).value[0, 0, 0]
    efforts = np.concatenate([[0.0], np.arange(0.2, 0.75, 0.0025)])  # covers every state's effort
    errors = []
    for lag in (0.2, 0.1, 0.05):
        lagged = pr.solve(pr.LaggedRace.from_race(race, lag, efforts))
        errors.append(exact - lagged.value[0, 0, 0])
    assert all(e > 0 for e in errors) and errors[-1] < 2e-3
    assert 1.6 < errors[0] / errors[1] < 2.4 and 1.6 < errors[1] / errors[2] < 2.4  # O(lag)


@st.composite
def lagged_races(draw: st.DrawFn) -> pr.LaggedRace:
    def menu() -> list[pr.Action]:
        actions = []
        for _ in range(draw(st.integers(1, 3))):
            weights = draw(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3).filter(lambda w: sum(w) > 0.1))
            total = sum(weights)
            actions.append(pr.Action(draw(st.floats(0.0, 0.4)), {d: w / total for d, w in enumerate(weights)}))
        return actions

    shared = draw(st.booleans())
    first = menu()
    actions = first if shared else (first, menu())
    return pr.LaggedRace(
        stages=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        prize=1.0,
        lag=draw(st.floats(0.1, 2.0)),
        discount=draw(st.floats(0.01, 1.0)),
        actions=actions,
        loser_prize=draw(st.sampled_from([0.0, 0.2])),
        tie=draw(st.sampled_from(["split", "loss", 0.3])),
    )


@given(lagged_races())
def test_bellman_residuals_and_no_profitable_action(race: pr.LaggedRace):
    eq = pr.solve(race)
    gain, residual = eq.verify()
    assert gain < 1e-9 and residual < 1e-9


@given(lagged_races())
@example(  # found by the thorough profile: a stay of 1e-323 made numpy's det warn (divide by zero)
    pr.LaggedRace(stages=(1, 1), prize=1.0, lag=1.0, discount=1.0, tie="loss",
                  actions=[pr.Action(0.0, {2: 1.0}), pr.Action(1e-15, {0: 1e-323, 2: 1.0})])
)
def test_probabilities_sum_to_one_with_ties(race: pr.LaggedRace):
    eq = pr.solve(race)
    total = eq.win_probability.sum(axis=0) + eq.tie_probability
    moving = np.isfinite(eq.expected_duration)
    np.testing.assert_allclose(total[moving], 1.0, atol=1e-12)
    assert np.all(total <= 1.0 + 1e-12)


@given(lagged_races())
def test_symmetry_under_swapping_firms(race: pr.LaggedRace):
    swapped = pr.LaggedRace(stages=race.stages[::-1], prize=race.prize, lag=race.lag, discount=race.discount,
                            actions=race.menus[::-1], loser_prize=race.loser_prize, tie=race.tie)
    eq, mirror = pr.solve(race), pr.solve(swapped)
    assume(eq.multiplicity.max() <= 1)
    for k in (0, 1):
        np.testing.assert_allclose(eq.value[k], mirror.value[1 - k].T, atol=1e-12)
        np.testing.assert_allclose(eq.win_probability[k], mirror.win_probability[1 - k].T, atol=1e-12)
        np.testing.assert_allclose(eq.strategy[k], np.swapaxes(mirror.strategy[1 - k], 0, 1), atol=1e-10)
    np.testing.assert_allclose(eq.tie_probability, mirror.tie_probability.T, atol=1e-12)


def test_first_to_cross_breaks_ties():
    fast, slow = pr.Action(0.3, {3: 1.0}), pr.Action(0.1, {2: 1.0})
    race = pr.LaggedRace(stages=(2, 3), prize=1.0, lag=1.0, discount=0.1, actions=([slow], [fast]), tie="first")
    eq = pr.solve(race)
    # both cross in the first period: firm 0 needs 2/2 = 1 period, firm 1 needs 3/3 = 1: a tie, split
    assert eq.tie_probability[0, 0] == pytest.approx(1.0)
    ahead = pr.LaggedRace(stages=(1, 3), prize=1.0, lag=1.0, discount=0.1, actions=([slow], [fast]), tie="first")
    assert pr.solve(ahead).win_probability[0, 0, 0] == pytest.approx(1.0)  # 1/2 of a period beats 1


def test_lagged_leapfrog_report_counts_jumps_and_ties():
    eq = pr.solve(binary(0.03, stages=3))
    report = pr.leapfrog(eq, (0, 1))
    assert report.follower == 0 and report.can_leapfrog
    assert report.tie_probability > 0  # both can cross in the same period
    assert report.follower_win_probability <= report.leapfrog_probability <= report.catch_up_probability <= 1
    assert sum(report.win_probability) + report.tie_probability == pytest.approx(1.0, abs=1e-12)
    assert "tie" in str(report)
    dear = pr.leapfrog(pr.solve(binary(0.1, stages=3)), (0, 1))  # too dear for the firm behind
    assert dear.preemption_region[0, 1] and not dear.can_leapfrog and dear.epsilon_preemption


def test_expected_duration_of_one_stage_both_working():
    eq = pr.solve(binary(0.5 * LOW))
    # the race ends in a period with probability 1 - (1 - p)^2
    assert eq.expected_duration[0, 0] == pytest.approx(1 / (1 - (1 - PROB) ** 2), rel=1e-12)
    assert eq.expected_time[0, 0] == pytest.approx(LAG / (1 - (1 - PROB) ** 2), rel=1e-12)


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: pr.Action(0.1, {1: 0.5, 0: 0.4}), "progress must sum to 1"),
        (lambda: pr.Action(0.1, {1: 1.2, 0: -0.2}), r"progress\[0\]"),
        (lambda: pr.Action(-0.1, {1: 1.0}), "cost"),
        (lambda: pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=[]), "actions"),
        (lambda: pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=([pr.Action(0, {0: 1})], [])),
         r"actions\[1\] must not be empty"),
        (lambda: pr.LaggedRace(stages=1, prize=1.0, lag=0.0, discount=0.1, actions=[pr.Action(0, {0: 1})]), "lag"),
        (lambda: pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=[pr.Action(0, {0: 1})],
                               tie="coin"), "tie"),
        (lambda: pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=[pr.Action(0, {0: 0.5, 1: 0.5})],
                               tie="first"), "tie"),
    ],
)
def test_bad_input(build, name: str):
    with pytest.raises(ValueError, match=name):
        build()


def test_from_race_keeps_the_technology_per_unit_of_time():
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=2.0), productivity=[1.0, 3.0])
    lagged = pr.LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 0.4])
    action = lagged.menus[0][1][1]  # firm 0 at stage 1 (productivity 3), effort 0.4: mean 0.6, one stage left
    assert dict(action.progress)[0] == pytest.approx(math.exp(-0.6), rel=1e-14)
    assert dict(action.progress)[1] == pytest.approx(1 - math.exp(-0.6), rel=1e-14)
    assert action.cost == pytest.approx(2.0 * 0.16 / 2 * (1 - math.exp(-0.05)) / 0.1, rel=1e-14)


def deterministic_game():
    """State (18, 19) of a deterministic race on a 20-point experience grid: a payoff-tied game."""
    from patentrace.equations.periods import PeriodGame
    from patentrace.solvers.stagegame import _select

    rate, lag, steps = 0.1, 0.5, 20
    per_unit = (1 - math.exp(-rate * lag)) / rate
    menu = [pr.Action(cost=(k / (steps * lag)) ** 2 / 2 * per_unit, progress={k: 1.0}) for k in range(11)]
    race = pr.LaggedRace(stages=steps, prize=1.0, lag=lag, discount=rate, actions=menu, tie="first")
    value = terminal_values(race)
    last = period_game(race, value, 19, 19)
    found = state_equilibria(last)
    value[:, 19, 19] = found.value[_select(found, last, "fastest")]
    game = period_game(race, value, 18, 19)
    keep = np.array([0, 1, 2, 3, 5, 6, 10])  # the speeds its equilibria use, and a few more
    return PeriodGame(other=game.other[:, keep][:, :, keep], stay=(game.stay[0][keep], game.stay[1][keep]),
                      beta=game.beta, progress=(game.progress[0][keep], game.progress[1][keep]),
                      outcomes=game.outcomes)


def test_degenerate_period_game_is_solved_and_flagged():
    game = deterministic_game()
    found = state_equilibria(game)
    assert found.degenerate and found.complete
    # the leader (one step to go) gets its prize less the cost of ending it; the follower nothing
    np.testing.assert_allclose(found.value[:, 1], 0.8634423890, atol=1e-9)
    np.testing.assert_allclose(found.value[:, 0], 0.0, atol=1e-12)
    for s1, s2, v in zip(found.strategy[0], found.strategy[1], found.value, strict=True):
        # degenerate: the definition is the complete test (a vertex enumeration may miss non-extreme equilibria)
        assert oracle.is_equilibrium(game.payoff(0, v[0]), game.payoff(1, v[1]), s1, s2, atol=1e-9)
        best = (np.sum(game.payoff(0, v[0]) @ s2 >= v[0] - 1e-9), np.sum(s1 @ game.payoff(1, v[1]) >= v[1] - 1e-9))
        assert best[0] > np.sum(s1 > 0) or best[1] > np.sum(s2 > 0)  # more best responses than support


def test_perturbation_recovers_equilibria_the_plain_search_misses():
    from unittest import mock

    from patentrace.solvers import stagegame

    game = deterministic_game()
    plain = stagegame._enumerate
    calls = []

    def first_finds_nothing(game_, other, max_pairs, tol):
        calls.append(other)
        return ([], True) if len(calls) == 1 else plain(game_, other, max_pairs, tol)

    with mock.patch.object(stagegame, "_enumerate", first_finds_nothing):
        found = state_equilibria(game)
    assert len(calls) == 2 and not np.array_equal(calls[0], calls[1])  # the second saw perturbed payoffs
    assert found.degenerate
    for s1, s2, v in zip(found.strategy[0], found.strategy[1], found.value, strict=True):
        assert oracle.is_equilibrium(game.payoff(0, v[0]), game.payoff(1, v[1]), s1, s2, atol=1e-9)  # original game


def test_incomplete_search_says_so():
    menu = [pr.Action(0.01 * k, {k % 3: 1.0}) for k in range(9)]
    race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.1, actions=menu)
    # each dearer copy of an advance (k and k + 3 advance alike) is strictly dominated: 3 actions are left
    assert pr.solve(race, max_pairs=1).solver.options["complete"] is True
    technology = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    grid = pr.LaggedRace.from_race(technology, lag=0.1, efforts=[k / 8 for k in range(9)])  # 4 undominated each
    with pytest.warns(pr.IncompleteEnumerationWarning):
        eq = pr.solve(grid, max_pairs=10)
    assert eq.solver.options["complete"] is False
    assert pr.solve(grid).solver.options["complete"] is True
