"""The leapfrog report (docs/theory/leapfrog.md) against a second solver path and a simulation."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from scipy.sparse.linalg import spsolve
from strategies import races

import patentrace as pr


def absorption_by_linear_system(hazard: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Probability of reaching ``target`` before any other terminal state: one sparse solve.

    A second path to the jump-chain recursion: (h1 + h2) U(s) - h1 U(s1) - h2 U(s2) = 0 on open
    states outside the target, U = 1 on the target, U = 0 on other terminal states and stalls.
    """
    _, rows, cols = hazard.shape
    n1, n2 = rows - 1, cols - 1
    index = np.arange(rows * cols).reshape(rows, cols)
    matrix = sp.lil_matrix((rows * cols, rows * cols))
    rhs = np.zeros(rows * cols)
    for i in range(rows):
        for j in range(cols):
            k = index[i, j]
            matrix[k, k] = 1.0
            if target[i, j]:
                rhs[k] = 1.0
            elif i < n1 and j < n2 and hazard[:, i, j].sum() > 0:
                h1, h2 = hazard[0, i, j], hazard[1, i, j]
                matrix[k, k] = h1 + h2
                matrix[k, index[i + 1, j]] -= h1
                matrix[k, index[i, j + 1]] -= h2
    return spsolve(matrix.tocsr(), rhs).reshape(rows, cols)


def test_two_stage_report_of_spec():
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    report = pr.leapfrog(eq, state=(0, 1))
    assert (report.follower, report.leader, report.remaining) == (0, 1, (2, 1))
    assert report.follower_win_probability == pytest.approx(0.1736986930, abs=1e-9)
    # two stages behind one: to be strictly ahead, the follower must win
    assert report.leapfrog_probability == pytest.approx(report.follower_win_probability, abs=1e-15)
    # symmetric firms: once level each wins half, so the follower wins half of its catch-ups
    assert report.follower_win_probability == pytest.approx(report.catch_up_probability / 2, rel=1e-14)
    assert report.can_leapfrog is True
    assert not report.preemption_region.any() and report.epsilon_preemption is False
    text = str(report)
    assert "follower: firm 0" in text and "0.1736986930" in text and "can leapfrog:           yes" in text


@given(races(max_stages=5))
def test_probabilities_match_a_sparse_linear_solve(race: pr.Race):
    eq = pr.solve(race)
    n1, n2 = race.stages
    rows, cols = np.indices((n1 + 1, n2 + 1))
    left_0, left_1 = n1 - rows, n2 - cols
    win_0 = absorption_by_linear_system(eq.hazard, (rows == n1) & (cols < n2))
    np.testing.assert_allclose(eq.win_probability[0, :n1 + 1, :n2][:, :], win_0[:, :n2], atol=1e-12)
    for i in range(n1 + 1):
        for j in range(n2 + 1):
            if (i, j) == (n1, n2) or left_0[i, j] == left_1[i, j]:
                continue
            report = pr.leapfrog(eq, (i, j))
            gap = (left_0 - left_1) if report.follower == 0 else (left_1 - left_0)
            leap = absorption_by_linear_system(eq.hazard, gap < 0)[i, j]
            catch = absorption_by_linear_system(eq.hazard, gap <= 0)[i, j]
            assert report.leapfrog_probability == pytest.approx(leap, abs=1e-12)
            assert report.catch_up_probability == pytest.approx(catch, abs=1e-12)


@given(races(max_stages=6, linear=False, loser=False))
def test_follower_can_always_leapfrog_without_participation_costs(race: pr.Race):
    # docs/theory/leapfrog.md: with c'(0) = 0 both firms always invest, so leapfrogging is possible (FGST claim 3).
    # Only without a loser prize: with L > 0 a firm far behind may prefer the rival to win soon
    # (its consolation prize comes sooner), and idles although c'(0) = 0.
    eq = pr.solve(race)
    n1, n2 = race.stages
    for i in range(n1):
        for j in range(n2):
            report = pr.leapfrog(eq, (i, j))
            if report.follower is None or eq.underflow.any():
                continue
            assert report.can_leapfrog  # exact; the probability itself may underflow to 0
    assert not pr.preemption_region(eq).any()


def test_a_loser_prize_can_make_the_follower_idle_without_participation_cost():
    race = pr.Race(stages=(1, 5), prize=1.0, discount=1.0, cost=pr.costs.Quadratic(), loser_prize=0.5)
    eq = pr.solve(race)
    assert eq.effort[1, 0, 0] == 0.0 and not eq.underflow.any()
    # firm 1 idles because advancing is worth less than the rival's win: A < B and r A + h (A - B) <= 0
    a, b, h = eq.value[1, 0, 1], eq.value[1, 1, 0], eq.hazard[0, 0, 0]
    assert a < b and 1.0 * a + h * (a - b) <= 0
    assert pr.leapfrog(eq, (0, 0)).preemption_region[0, 0]


def test_can_leapfrog_is_exact_when_the_probability_underflows():
    # g = 1.5: a firm's effort is about its gain squared, so six stages behind it is 1e-296
    race = pr.Race(stages=(1, 6), prize=1.0, discount=1.0, cost=pr.costs.Power(scale=2.0, exponent=1.5))
    eq = pr.solve(race)
    assert 0.0 < eq.effort[1, 0, 0] < 1e-290
    report = pr.leapfrog(eq, (0, 0))
    assert report.leapfrog_probability == 0.0  # a product of tiny probabilities
    assert report.can_leapfrog  # ... but every step on the way has a positive hazard
    assert "below the float range" in str(report)
    assert not pr.leapfrog(eq, (0, 0), tolerance=1e-300).can_leapfrog


def test_epsilon_preemption_with_a_high_participation_cost():
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.3)))
    report = pr.leapfrog(eq, state=(0, 1))
    assert report.epsilon_preemption
    assert report.preemption_region.tolist() == [[False, True, False], [True, False, False], [False, False, False]]
    assert report.follower_win_probability == 0.0 and not report.can_leapfrog
    assert "epsilon-preemption:     holds" in str(report)


def test_level_and_terminal_states():
    eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    level = pr.leapfrog(eq, (1, 0))
    assert level.follower is None and level.leader is None and level.can_leapfrog is None
    assert level.leapfrog_probability is None and "no leader" in str(level)
    assert sum(level.win_probability) == pytest.approx(1.0, abs=1e-14)
    done = pr.leapfrog(eq, (3, 0))  # firm 0 has won
    assert done.follower == 1 and done.follower_win_probability == 0.0 and done.leapfrog_probability == 0.0
    lost = pr.leapfrog(eq, (0, 2))  # firm 1 has won
    assert lost.follower == 0 and lost.win_probability == (0.0, 1.0) and lost.catch_up_probability == 0.0


def test_report_matches_a_simulation_of_the_race():
    race = pr.Race(stages=(4, 3), prize=1.0, discount=0.05, cost=(pr.costs.Quadratic(), pr.costs.Quadratic(0.7)))
    eq = pr.solve(race)
    report = pr.leapfrog(eq, (0, 1))
    rng = np.random.default_rng(20261128)
    paths = 40_000
    i = np.zeros(paths, dtype=int)
    j = np.ones(paths, dtype=int)
    ahead = np.zeros(paths, dtype=bool)
    level = np.zeros(paths, dtype=bool)
    running = np.ones(paths, dtype=bool)
    while running.any():
        h1, h2 = eq.hazard[0, i, j], eq.hazard[1, i, j]
        first = rng.random(paths) < h1 / np.where(running, h1 + h2, 1.0)
        i = np.where(running & first, i + 1, i)
        j = np.where(running & ~first, j + 1, j)
        ahead |= (4 - i) < (3 - j)
        level |= (4 - i) <= (3 - j)
        running = (i < 4) & (j < 3)
    for estimate, exact in ((ahead.mean(), report.leapfrog_probability), (level.mean(), report.catch_up_probability),
                            ((i == 4).mean(), report.follower_win_probability)):
        standard_error = np.sqrt(exact * (1 - exact) / paths)
        assert abs(estimate - exact) < 4 * standard_error


def test_a_stalled_race_is_reported():
    eq = pr.solve(pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.3)))
    report = pr.leapfrog(eq, (0, 1))
    assert report.win_probability == (0.0, 0.0)
    assert np.isinf(eq.expected_duration[0, 1])
    assert "both firms idle" in str(report)


def test_expected_time_where_neither_firm_ever_finishes():
    # Found by the thorough profile (issue 15), through test_breakthrough's zero-breakthrough test: with a
    # participation cost neither firm moves at (0, 0), so both expected times are infinite there, and inf - inf
    # made the follower's gap NaN (a RuntimeWarning, an error here). A state where both never finish is level,
    # as the report already says at such a state itself.
    race = pr.Race(stages=(3, 3), prize=1.0, discount=1.0, cost=pr.costs.Power(scale=1.0, exponent=2.0, linear=0.125))
    eq = pr.solve(race)
    assert np.all(eq.hazard[0, 0, :] == 0.0) and np.all(eq.hazard[1, :, 0] == 0.0)  # firm 0 idles in row 0
    level = pr.leapfrog(eq, (0, 0), follower_by="expected_time")
    assert level.remaining == (np.inf, np.inf) and level.follower is None
    for state in ((0, 1), (0, 2)):  # firm 0 never moves from row 0: it cannot leapfrog or catch up
        report = pr.leapfrog(eq, state, follower_by="expected_time")
        assert report.follower == 0 and report.remaining[0] == np.inf
        assert report.leapfrog_probability == 0.0 and report.catch_up_probability == 0.0 and not report.can_leapfrog
    for i in range(3):
        for j in range(3):
            report = pr.leapfrog(eq, (i, j), follower_by="expected_time")
            for p in (report.leapfrog_probability, report.catch_up_probability):
                assert p is None or 0.0 <= p <= 1.0


def test_expected_time_names_no_follower_at_a_symmetric_level_state():
    # Found by the thorough profile: the hazards at (2, 2) were 0.7232316562785759 and ...757 (2 ulps apart),
    # so a follower was named at a level state; symmetric selection now solves mirror states as mirrors.
    race = pr.Race(stages=(3, 3), prize=1.0, discount=1.0, cost=pr.costs.Power(scale=1.0, exponent=2.0, linear=0.125))
    report = pr.leapfrog(pr.solve(race), (2, 2), follower_by="expected_time")
    eq = pr.solve(race)
    assert eq.hazard[0, 2, 2] == eq.hazard[1, 2, 2]
    assert report.follower is None  # was firm 1, with leapfrog probability 0.5
