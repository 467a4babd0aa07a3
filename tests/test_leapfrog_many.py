"""pr.leapfrog_many and pr.LeapfrogMeasure (issue 20): the batched report equals pr.leapfrog, report by report.

Every number is compared exactly (==, assert_array_equal) with the one-at-a-time report,
which has its own tests against a sparse linear solve, closed forms and simulation
(tests/test_leapfrog.py). Batches mix stage counts, breakthroughs, loser prizes and
participation costs (idle followers, stalled races, underflow), so a state of one race
is computed next to states of very different races.
"""

import dataclasses
import functools
import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import races

import patentrace as pr
from patentrace.reports.leapfrog_batch import leapfrog_outcomes

FIELDS = ("state", "remaining", "follower", "leader", "win_probability", "tie_probability",
          "follower_win_probability", "leapfrog_probability", "catch_up_probability", "can_leapfrog",
          "epsilon_preemption", "tolerance", "contested_gap", "can_lead", "lead_probability",
          "lead_probability_by_grid")


def assert_same_report(batched: pr.LeapfrogReport, alone: pr.LeapfrogReport) -> None:
    for name in FIELDS:
        got, want = getattr(batched, name), getattr(alone, name)
        assert got == want, (name, got, want)
        assert type(got) is type(want), (name, type(got), type(want))  # int stays int, float stays float
        if isinstance(want, tuple):
            assert [type(v) for v in got] == [type(v) for v in want], name
    for name in ("preemption_region", "underflow_region"):
        got, want = getattr(batched, name), getattr(alone, name)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert str(batched) == str(alone)


@st.composite
def breakthroughs(draw: st.DrawFn, race: pr.Race) -> pr.Race:
    """The race with breakthrough hazards per firm and stage (some zero), or as it is."""
    if not draw(st.booleans()):
        return race
    rates = tuple(draw(st.lists(st.one_of(st.just(0.0), st.floats(0.0, 0.6)), min_size=n, max_size=n))
                  for n in race.stages)
    return dataclasses.replace(race, breakthrough=rates)


@st.composite
def dropouts(draw: st.DrawFn) -> pr.Race:
    """Races where followers idle: a participation cost that is large against the prize, or a large loser prize."""
    n1, n2 = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    linear = draw(st.floats(0.0, 0.4))
    loser = draw(st.floats(0.0, 0.6))
    discount = draw(st.sampled_from([0.05, 0.3, 1.0]))
    cost = pr.costs.Power(scale=draw(st.floats(0.5, 2.0)), exponent=draw(st.sampled_from([1.5, 2.0, 3.0])),
                          linear=linear)
    return pr.Race(stages=(n1, n2), prize=1.0, loser_prize=loser, discount=discount, cost=cost)


batches = st.lists(st.one_of(races(max_stages=5), dropouts()).flatmap(breakthroughs), min_size=1, max_size=6)


@given(batches, st.tuples(st.integers(0, 5), st.integers(0, 5)), st.sampled_from(["distance", "expected_time"]),
       st.sampled_from([0.0, 1e-300, 1e-6, 0.3]))
def test_batched_reports_equal_the_reports_one_at_a_time(models, state, follower_by, tolerance):
    with warnings.catch_warnings():  # efforts below the float range are reported (underflow_region), not an error
        warnings.simplefilter("ignore", pr.UnderflowWarning)
        eqs = pr.solve_many(models)
    outcomes = leapfrog_outcomes(eqs, state, tolerance, follower_by)
    assert len(outcomes) == len(eqs)
    for eq, outcome in zip(eqs, outcomes, strict=True):
        if isinstance(outcome, Exception):  # the state is outside this race: the same error, in its place
            assert type(outcome) is ValueError
            with pytest.raises(ValueError, match=re.escape(str(outcome))):
                pr.leapfrog(eq, state, tolerance, follower_by)
            continue
        assert_same_report(outcome, pr.leapfrog(eq, state, tolerance, follower_by))


def test_the_batch_covers_idling_underflow_breakthroughs_and_stalls():
    # Fixed races with the features the property test draws, so that its coverage is not left to chance;
    # each feature is asserted present in the one-at-a-time reports.
    models = [
        pr.Race(stages=2, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.3)),          # ε-preemption
        pr.Race(stages=(1, 8), prize=1.0, discount=1.0, cost=pr.costs.Power(scale=2.0, exponent=1.5)),  # underflow
        pr.Race(stages=(8, 1), prize=1.0, discount=1.0, cost=pr.costs.Power(scale=2.0, exponent=1.5)),  # of firm 0
        pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.3)),           # stalls
        pr.Race(stages=(1, 5), prize=1.0, discount=1.0, cost=pr.costs.Quadratic(), loser_prize=0.5),  # idles
        pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
                breakthrough=([0.0, 0.2, 0.4], [0.3, 0.0])),
        pr.Race(stages=(3, 3), prize=1.0, discount=1.0, cost=pr.costs.Power(scale=1.0, exponent=2.0, linear=0.125)),
    ]
    with pytest.warns(pr.UnderflowWarning):
        eqs = pr.solve_many(models)
    seen = {"epsilon": False, "underflow": False, "idle": False, "jump": False, "stall": False, "inf": False}
    for follower_by in ("distance", "expected_time"):
        for i in range(9):
            for j in range(9):
                outcomes = leapfrog_outcomes(eqs, (i, j), 0.0, follower_by)
                for eq, outcome in zip(eqs, outcomes, strict=True):
                    if isinstance(outcome, ValueError):
                        with pytest.raises(ValueError, match=re.escape(str(outcome))):
                            pr.leapfrog(eq, (i, j), follower_by=follower_by)
                        continue
                    alone = pr.leapfrog(eq, (i, j), follower_by=follower_by)
                    assert_same_report(outcome, alone)
                    seen["epsilon"] |= alone.epsilon_preemption
                    seen["underflow"] |= bool(alone.underflow_region.any())
                    seen["idle"] |= bool(alone.preemption_region.any())
                    seen["jump"] |= eq.model.has_breakthroughs and bool(alone.follower_win_probability)
                    seen["stall"] |= sum(alone.win_probability) == 0.0
                    seen["inf"] |= np.inf in alone.remaining
    assert all(seen.values()), seen


def test_leapfrog_many_of_the_two_stage_race_of_the_theory():
    # docs/theory's two-stage race (P = 1, r = 0.1, c = x^2 / 2): the follower at (0, 1) wins with 0.173698693
    eqs = pr.solve_many([pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for n in (2, 3, 2)])
    reports = pr.leapfrog_many(eqs, state=(0, 1))
    assert [round(r.follower_win_probability, 9) for r in (reports[0], reports[2])] == [0.173698693, 0.173698693]
    assert reports[0].leapfrog_probability == reports[0].follower_win_probability  # only a win gets it ahead


def test_lagged_and_deterministic_equilibria_are_reported_in_place():
    work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    lagged = pr.solve(pr.LaggedRace(stages=2, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk]))
    race = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    reports = pr.leapfrog_many([race, lagged, race], state=(0, 1))
    for eq, report in zip([race, lagged, race], reports, strict=True):
        assert_same_report(report, pr.leapfrog(eq, (0, 1)))
    assert reports[1].tie_probability == float(lagged.tie_probability[0, 1])


def test_errors_name_the_position_of_the_race():
    eqs = pr.solve_many([pr.Race(stages=n, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for n in (3, 1)])
    with pytest.raises(ValueError, match=r"state \(2, 0\) is outside the race") as caught:
        pr.leapfrog_many(eqs, state=(2, 0))
    assert "position 1 of eqs" in "".join(caught.value.__notes__)
    with pytest.raises(TypeError, match="got str"):
        pr.leapfrog_many([eqs[0], "not an equilibrium"], state=(0, 0))
    with pytest.raises(ValueError, match="follower_by"):
        pr.leapfrog_many(eqs, state=(0, 0), follower_by="time")
    with pytest.raises(ValueError, match="tolerance"):
        pr.leapfrog_many(eqs, state=(0, 0), tolerance=1.0)
    assert pr.leapfrog_many([], state=(0, 0)) == []


def test_measure_is_checked_at_construction():
    with pytest.raises(ValueError, match="quantity must be one of"):
        pr.LeapfrogMeasure((0, 1), quantity="leapfrog")
    with pytest.raises(ValueError, match="follower_by"):
        pr.LeapfrogMeasure((0, 1), follower_by="time")
    with pytest.raises(ValueError, match="tolerance"):
        pr.LeapfrogMeasure((0, 1), tolerance=-0.1)
    with pytest.raises(ValueError, match="state must be a pair"):
        pr.LeapfrogMeasure(3)


def make_race(stages, discount, loser_prize):
    return pr.Race(stages=stages, prize=1.0, discount=discount, loser_prize=loser_prize,
                   cost=pr.costs.Quadratic(linear=0.05))


GRID = {"stages": [(2, 2), (3, 1), (3, 4), (4, 4)], "discount": [0.02, 0.1, 0.5], "loser_prize": [0.0, 0.3]}


@pytest.mark.parametrize("quantity", ["leapfrog_probability", "catch_up_probability", "follower_win_probability",
                                      "can_leapfrog", "follower", "win_probability", "epsilon_preemption"])
def test_sweep_with_the_measure_equals_a_sweep_of_the_report_one_at_a_time(quantity):
    state = (0, 1)
    batched = pr.sweep(make_race, GRID, measure=pr.LeapfrogMeasure(state, quantity), chunk_size=5)

    def alone(eq):
        return getattr(pr.leapfrog(eq, state), quantity)

    one_by_one = pr.sweep(make_race, GRID, measure=alone, chunk_size=5)
    # at (0, 1): in (2, 2) firm 0 follows; in (3, 1) firm 1 has won; in (3, 4) the firms are level
    assert not batched.failed[1].any() and not batched.failed[0].any()
    if quantity in ("win_probability", "epsilon_preemption"):
        assert not batched.failed.any()
    else:  # no follower at a level state: the point fails, saying why (the report itself has None there)
        assert batched.failed[2].all()
        assert "is level" in batched.errors[(2, 0, 0)]
    # the report's None at a level state fails the one-at-a-time point too (never a silent NaN)
    np.testing.assert_array_equal(one_by_one.failed, batched.failed)
    np.testing.assert_array_equal(np.ma.getdata(batched.values)[~batched.failed],
                                  np.ma.getdata(one_by_one.values)[~batched.failed])


def test_sweep_measure_called_alone_is_the_report_quantity():
    eq = pr.solve(make_race((2, 2), 0.1, 0.0))
    assert pr.LeapfrogMeasure((0, 1))(eq) == pr.leapfrog(eq, (0, 1)).leapfrog_probability
    assert_same_report(pr.LeapfrogMeasure((0, 1), quantity=None)(eq), pr.leapfrog(eq, (0, 1)))
    with pytest.raises(ValueError, match="is level"):
        pr.LeapfrogMeasure((1, 1))(eq)


def test_a_measure_whose_many_fails_is_applied_point_by_point(caplog):
    class Flaky:
        def __call__(self, eq):
            return float(eq.value[0, 0, 0])

        def many(self, eqs):
            raise RuntimeError("broken batch")

    grid = {"discount": [0.05, 0.1]}
    result = pr.sweep(functools.partial(pr.Race, stages=2, prize=1.0, cost=pr.costs.Quadratic()), grid,
                      measure=Flaky())
    assert result.values.round(10).tolist() == [0.2142360871, 0.1795728262]  # docs/theory's V(0, 0) at r = 0.1
    assert "measuring its points one by one" in caplog.text


@given(st.lists(st.sampled_from([0.01, 0.05, 0.2, 1.0]), min_size=1, max_size=4),
       st.sampled_from(["leapfrog_probability", "catch_up_probability", "can_leapfrog"]))
def test_sweep_measure_over_breakthrough_races_equals_the_report(discounts, quantity):
    def make(discount, jump):
        return pr.Race(stages=(3, 2), prize=1.0, discount=discount, cost=pr.costs.Quadratic(linear=0.02),
                       breakthrough=([0.0, jump, 0.3], [jump, 0.0]))

    grid = {"discount": sorted(set(discounts)), "jump": [0.0, 0.1]}
    result = pr.sweep(make, grid, measure=pr.LeapfrogMeasure((0, 1), quantity, follower_by="expected_time"))
    for a, discount in enumerate(grid["discount"]):
        for b, jump in enumerate(grid["jump"]):
            report = pr.leapfrog(pr.solve(make(discount, jump)), (0, 1), follower_by="expected_time")
            if report.follower is None:
                assert result.failed[a, b]
            else:
                assert result.values[a, b] == float(getattr(report, quantity))




def test_measure_pickles_and_a_checkpointed_sweep_resumes_with_it(tmp_path):
    # Executors (process pools, dask) pickle the measure; a checkpoint describes it by its repr.
    measure = pr.LeapfrogMeasure((0, 1), "catch_up_probability")
    assert pickle.loads(pickle.dumps(measure)) == measure
    make = functools.partial(pr.Race, stages=(3, 2), prize=1.0, cost=pr.costs.Quadratic(linear=0.02))
    grid = {"discount": [0.05, 0.1, 0.2]}
    path = tmp_path / "sweep.ckpt"
    first = pr.sweep(make, grid, measure=measure, checkpoint=path)
    again = pr.sweep(make, grid, measure=measure, checkpoint=path)  # resumed: nothing computed again
    expected = [pr.leapfrog(pr.solve(make(discount=r)), (0, 1)).catch_up_probability for r in grid["discount"]]
    assert first.values.tolist() == again.values.tolist() == expected
    with pytest.raises(pr.CheckpointError, match="quantity='leapfrog_probability'"):
        pr.sweep(make, grid, measure=pr.LeapfrogMeasure((0, 1)), checkpoint=path)
