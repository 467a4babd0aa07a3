"""The n-firm leapfrog report with ``follower_by="expected_time"`` (issue 17; docs/theory/leapfrog.md).

Numbers come from the two-firm report with the same option (a third firm that never invests
leaves the two-firm race), and from the closed form of the one-stage race, where each firm's
expected time to discovery is ``1 / h_k`` and the follower leapfrogs exactly when it wins.
"""

import numpy as np
import pytest

import patentrace as pr
from patentrace.reports.leapfrog import time_to_discovery as two_firm_times
from patentrace.reports.nfirm import time_to_discovery

IDLE = pr.costs.Quadratic(scale=1.0, linear=50.0)  # a participation cost above every gain: this firm never invests

# firm 0 has more stages left but works far more cheaply: by expected time it often leads
CHEAP = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(scale=0.1),
                pr.costs.Quadratic(scale=1.0, linear=0.02)))
TWO = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(linear=0.03), pr.costs.Power(
    scale=1.5, exponent=2.5)), productivity=([1.0, 1.2, 1.5], [0.8, 1.0]), breakthrough=[0.02, 0.05, 0.1])


def with_idle_third_firm(race: pr.Race, stages: int = 2) -> pr.Race:
    return pr.Race(stages=(*race.stages, stages), prize=race.prize, loser_prize=race.loser_prize,
                   discount=race.discount, cost=(*race.cost, IDLE),
                   productivity=(*race.productivity, (1.0,) * stages),
                   breakthrough=(*race.breakthrough, (0.0,) * stages))


@pytest.mark.parametrize("race", [CHEAP, TWO], ids=["cheap-follower", "learning-breakthroughs"])
def test_an_idle_third_firm_gives_the_two_firm_report_by_expected_time(race):
    two, three = pr.solve(race), pr.solve(with_idle_third_firm(race))
    np.testing.assert_allclose(time_to_discovery(three)[:2, :, :, 0], two_firm_times(two), rtol=1e-12)
    idle = time_to_discovery(three)[2]
    assert np.all(idle[:, :, :-1] == np.inf) and np.all(idle[:, :, -1] == 0.0)  # never moves; 0 once finished
    compared = differ = 0
    for i in range(race.stages[0]):
        for j in range(race.stages[1]):
            report2 = pr.leapfrog(two, (i, j), follower_by="expected_time")
            if report2.follower is None:
                continue
            differ += report2.follower != pr.leapfrog(two, (i, j)).follower
            report3 = pr.leapfrog(three, (i, j, 0), follower_by="expected_time", follower=report2.follower)
            assert report3.leader == report2.leader
            np.testing.assert_allclose(report3.remaining[:2], report2.remaining, rtol=1e-12)
            for name in ("follower_win_probability", "leapfrog_probability", "catch_up_probability"):
                assert getattr(report3, name) == pytest.approx(getattr(report2, name), rel=1e-12, abs=1e-15), name
            assert report3.can_leapfrog == report2.can_leapfrog
            compared += 1
    assert compared >= 4
    if race is CHEAP:
        assert differ >= 1  # the option matters here: some follower by time is the leader by stages


def test_the_one_stage_race_by_expected_time_against_its_closed_form():
    # One stage each: T_k = 1 / h_k; the firm with the smallest hazard is the follower, the largest the
    # leader; from the start the follower gets ahead of anyone only by winning: h_f / (h_0 + h_1 + h_2).
    race = pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1,
                   cost=(pr.costs.Quadratic(scale=0.5), pr.costs.Quadratic(scale=2.0), pr.costs.Quadratic()))
    eq = pr.solve(race)
    h = eq.hazard[:, 0, 0, 0]
    report = pr.leapfrog(eq, (0, 0, 0), follower_by="expected_time")
    assert (report.follower, report.leader) == (int(np.argmin(h)), int(np.argmax(h))) == (1, 0)
    np.testing.assert_allclose(report.remaining, 1.0 / h, rtol=1e-15)
    win = h[1] / h.sum()
    for value in (report.follower_win_probability, report.leapfrog_probability, report.catch_up_probability,
                  report.leapfrog_all_probability, report.catch_up_all_probability, report.leapfrog_by_rival[0],
                  report.leapfrog_by_rival[2]):
        assert value == pytest.approx(win, rel=1e-12)
    assert "expected time to discovery" in str(report)
    # by stages left all are level: firm 0 is named follower, firm 1 its leader, and catching up is immediate
    by_stages = pr.leapfrog(eq, (0, 0, 0))
    assert (by_stages.follower, by_stages.leader, by_stages.catch_up_probability) == (0, 1, 1.0)


def test_follower_by_is_checked_for_n_firms():
    eq = pr.solve(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    with pytest.raises(ValueError, match="follower_by must be one of"):
        pr.leapfrog(eq, (0, 0, 0), follower_by="time")


def test_alike_firms_are_level_in_time_whatever_the_rounding():
    # Firms 1 and 2 are alike, firm 0 is not: the solver makes no state exactly symmetric, so their times agree
    # only to rounding, and which is larger varied between solver paths (found when the compiled sweep landed).
    # Times within 1e-9 are equal: firm 1, the lower-numbered, is the follower, and firm 2 is level with it.
    race = pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.1,
                   cost=(pr.costs.Quadratic(scale=0.05), pr.costs.Quadratic(), pr.costs.Quadratic()))
    eq = pr.solve(race)
    times = time_to_discovery(eq)
    np.testing.assert_allclose(times[1], np.swapaxes(times[2], 1, 2), rtol=1e-12)  # alike up to rounding
    report = pr.leapfrog(eq, (0, 0, 0), follower_by="expected_time")
    assert (report.follower, report.leader) == (1, 0)
    assert report.remaining[1] == pytest.approx(report.remaining[2], rel=1e-12)
    # named follower 2: its leader is firm 0 (the fastest), and firm 1 is level with it from the start, so
    # "ever ahead of firm 1" needs a strict lead and "ever level with every rival" does not count firm 1
    two = pr.leapfrog(eq, (0, 0, 0), follower=2, follower_by="expected_time")
    assert two.leader == 0 and two.leapfrog_by_rival[1] < 1.0
    # the rule itself, on rounding-level differences in either direction
    from patentrace.reports.nfirm import _roles
    assert _roles([0.3, 1.0, 1.0 + 4e-16], None) == _roles([0.3, 1.0 + 4e-16, 1.0], None) == (1, 0)
    assert _roles([2.0, 0.5 + 1e-16, 0.5], None) == (0, 1)
    assert _roles([3, 1, 1], None) == (0, 1)  # stages left: exact integers
