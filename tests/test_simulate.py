"""Simulated histories against the computed chances (docs/theory/leapfrog.md), closed forms and invariants.

The tolerance of a frequency over ``n`` paths whose computed probability is ``p`` is
``4 sqrt(p (1 - p) / n) + 1 / n``: four standard errors, plus one path's worth so that a
probability of 1e-7 seen once in 20 000 paths does not count as a disagreement. A mean
duration gets four of its estimated standard errors. Races and seeds are fixed
(hypothesis is derandomised), so a test that passes once passes always.
"""

import dataclasses
import importlib
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import patentrace as pr
from patentrace.results import chain
from tests.strategies import examples, races

simulation = importlib.import_module("patentrace.reports.simulate")  # the module; pr.simulate is the function

PATHS = 20_000


def close(frequency: float, probability: float, n: int) -> bool:
    return abs(frequency - probability) <= 4.0 * math.sqrt(probability * (1.0 - probability) / n) + 1.0 / n


def check_against_computed(eq, state: tuple[int, int], sim: pr.Simulation) -> None:
    i, j = state
    n = sim.paths
    for firm in (0, 1):
        assert close(sim.win_frequency[firm], eq.win_probability[firm, i, j], n), (firm, sim)
    tie = float(eq.tie_probability[i, j]) if isinstance(eq, pr.LaggedEquilibrium) else 0.0
    assert close(sim.tie_frequency, tie, n)
    stall = max(1.0 - eq.win_probability[0, i, j] - eq.win_probability[1, i, j] - tie, 0.0)
    assert close(sim.stall_frequency, stall, n)
    report = pr.leapfrog(eq, state)
    assert sim.follower == report.follower and sim.leader == report.leader
    if report.follower is not None:
        assert close(sim.leapfrog_frequency, report.leapfrog_probability, n), sim
        assert close(sim.catch_up_frequency, report.catch_up_probability, n), sim
    duration = eq.expected_duration[i, j]
    if math.isinf(duration):
        assert sim.stall_frequency > 0.0 or stall < 1e-9  # a stall reachable only with a tiny probability
    else:
        assert sim.stall_frequency == 0.0
        assert abs(sim.mean_duration - duration) <= 4.0 * sim.duration_standard_error + 1e-12 * duration, sim


def check_with_confirmation(eq, state: tuple[int, int], seed: int) -> None:
    """``check_against_computed``, and where a frequency misses by 4 standard errors, a second look.

    Over the thousands of comparisons of a thorough run, a miss by 4 standard errors happens by
    chance (about once in 16,000 comparisons; e.g. seed 36 of a one-stage race at 4.3). A miss
    is therefore confirmed on an independent simulation with four times the paths: a chance
    miss repeats with probability about 6e-5, while a real bias of the size that missed the
    first time misses the second by 8 standard errors.
    """
    try:
        check_against_computed(eq, state, pr.simulate(eq, state, PATHS, seed))
    except AssertionError:
        check_against_computed(eq, state, pr.simulate(eq, state, 4 * PATHS, seed + 1000))


@settings(max_examples=examples(25))
@example(  # found by the thorough profile: firm 0 won 0.4143 of 20,000 paths, 0.3994 computed (4.3 s.e.)
    race=pr.Race(stages=(1, 1), prize=1.0, discount=1.0,
                 cost=(pr.costs.Power(scale=3.0, exponent=3.0), pr.costs.Power(scale=1.0, exponent=2.0))),
    where=(0.0, 0.0), seed=36,
)
@given(race=races(max_stages=5), where=st.tuples(st.floats(0.0, 0.99), st.floats(0.0, 0.99)), seed=st.integers(0, 99))
def test_race_frequencies_agree_with_computed_probabilities(race, where, seed):
    eq = pr.solve(race)
    state = (int(where[0] * race.stages[0]), int(where[1] * race.stages[1]))
    check_with_confirmation(eq, state, seed)


@settings(max_examples=examples(6))
@given(
    race=races(max_stages=3, linear=True),
    lag=st.sampled_from([0.5, 1.0, 2.0]),
    tie=st.sampled_from(["split", "loss", 0.3]),
    seed=st.integers(0, 99),
)
def test_lagged_frequencies_agree_with_computed_probabilities(race, lag, tie, seed):
    eq = pr.solve(pr.LaggedRace.from_race(race, lag=lag, efforts=[0.0, 0.4, 1.2], tie=tie))
    for state in [(0, 0), (0, race.stages[1] - 1), (race.stages[0] - 1, 0)]:
        check_with_confirmation(eq, state, seed)


def test_lagged_ties_and_self_loops_against_the_chain():
    # stochastic progress by 0, 1 or 2 stages: ties, jumps over the leader, and long self-loops
    slow = pr.Action(0.0, {0: 0.9, 1: 0.1})
    fast = pr.Action(0.15, {0: 0.3, 1: 0.4, 2: 0.3})
    race = pr.LaggedRace(stages=(3, 2), prize=1.0, lag=1.0, discount=0.05, actions=[slow, fast])
    eq = pr.solve(race)
    for state in [(0, 0), (0, 1), (1, 0), (2, 0)]:
        check_against_computed(eq, state, pr.simulate(eq, state, 50_000, seed=11))
    timed = pr.LaggedRace(stages=(3, 2), prize=1.0, lag=0.25, discount=0.2, actions=[slow, fast])  # same beta
    sim = pr.simulate(pr.solve(timed), (0, 0), 50_000, seed=11)
    mean, error = sim.mean_time
    assert mean == sim.mean_duration * 0.25 and error == sim.duration_standard_error * 0.25
    assert abs(mean - pr.solve(timed).expected_time[0, 0]) <= 4 * error


def test_tie_rule_first_is_decided_by_speed():
    # one action each: firm 0 always advances 2 stages a period, firm 1 always 1
    two, one = pr.Action(0.1, {2: 1.0}), pr.Action(0.1, {1: 1.0})
    race = pr.LaggedRace(stages=(3, 2), prize=1.0, lag=1.0, discount=0.1, actions=([two], [one]), tie="first")
    eq = pr.solve(race)
    # (2, 1): firm 0 crosses after 1/2 of the period, firm 1 after all of it -> firm 0 wins
    # (1, 1): both after the whole period -> a tie; (0, 0): to (2, 1), then firm 0 wins
    expected = {(2, 1): ([1.0, 0.0], 0.0, 1.0), (1, 1): ([0.0, 0.0], 1.0, 1.0), (0, 0): ([1.0, 0.0], 0.0, 2.0)}
    for state, (win, tie, periods) in expected.items():
        sim = pr.simulate(eq, state, 100, seed=0)
        assert sim.win_frequency.tolist() == win and sim.tie_frequency == tie
        assert sim.mean_duration == periods and sim.duration_standard_error == 0.0
        check_against_computed(eq, state, sim)


def test_tie_rule_first_with_mixed_strategies_against_the_chain():
    step, leap = pr.Action(0.1, {1: 1.0}), pr.Action(0.25, {2: 1.0})
    race = pr.LaggedRace(stages=(3, 4), prize=1.0, lag=1.0, discount=0.1, actions=[step, leap], tie="first")
    eq = pr.solve(race)
    for state in [(0, 0), (0, 2), (1, 2), (2, 2)]:
        check_against_computed(eq, state, pr.simulate(eq, state, PATHS, seed=3))


def test_one_stage_race_closed_form_duration():
    # Lee-Wilde: x* = [P - a r + sqrt(P^2 + 4aPr + a^2 r^2)] / (3a); the race ends at rate 2 x*
    p, a, r = 1.0, 1.0, 0.1
    x = (p - a * r + math.sqrt(p * p + 4 * a * p * r + a * a * r * r)) / (3 * a)
    eq = pr.solve(pr.Race(stages=1, prize=p, discount=r, cost=pr.costs.Quadratic(scale=a)))
    sim = pr.simulate(eq, (0, 0), 200_000, seed=5)
    assert abs(sim.mean_duration - 1 / (2 * x)) <= 4 * sim.duration_standard_error
    # exponential durations: the standard deviation equals the mean
    assert sim.duration_standard_error * math.sqrt(sim.paths) == pytest.approx(1 / (2 * x), rel=0.01)
    assert close(sim.win_frequency[0], 0.5, sim.paths)
    assert sim.follower is None and sim.leapfrog_frequency is None


def test_spec_number_firm_one_wins_from_zero_one():
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    sim = pr.simulate(eq, (0, 1), 100_000, seed=2)
    assert close(sim.win_frequency[0], 0.1736986930, sim.paths)  # docs/theory/race.md


def test_same_seed_same_numbers_and_another_seed_other_numbers():
    eq = pr.solve(pr.Race(stages=(4, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    first = pr.simulate(eq, (0, 1), 5000, seed=42, sample=5)
    again = pr.simulate(eq, (0, 1), 5000, seed=42, sample=5)
    other = pr.simulate(eq, (0, 1), 5000, seed=43)
    assert first.to_dict() == again.to_dict()
    assert first.mean_duration != other.mean_duration
    fresh = pr.simulate(eq, (0, 1), 200)
    assert fresh.to_dict() == pr.simulate(eq, (0, 1), 200, seed=fresh.seed).to_dict()


def test_stalls_are_reported_not_looped_over():
    # participation cost: both firms idle at (0, 0) of a long race, nobody ever moves
    eq = pr.solve(pr.Race(stages=6, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.1)))
    assert eq.hazard[:, 0, 0].sum() == 0.0
    sim = pr.simulate(eq, (0, 0), 1000, seed=1, sample=2)
    assert sim.stall_frequency == 1.0 and sim.win_frequency.tolist() == [0.0, 0.0]
    assert math.isinf(sim.mean_duration) and math.isinf(eq.expected_duration[0, 0])
    assert sim.sample is not None and sim.sample.outcome.tolist() == [simulation.STALLED] * 2
    assert sim.sample.length.tolist() == [1, 1]


def test_a_stall_reached_on_some_paths_only():
    # hazards of a solved race with state (1, 1) made a stall: paths reach it with probability q
    eq = pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    hazard = eq.hazard.copy()
    hazard[:, 1, 1] = 0.0
    stalled = np.zeros((4, 4), dtype=bool)
    stalled[1, 1] = True
    q = chain.hitting_probability(hazard, stalled)[0, 0]
    win = chain.win_probability(hazard)[:, 0, 0]
    assert 0.2 < q < 0.8 and win.sum() + q == pytest.approx(1.0, abs=1e-14)
    sim = pr.simulate(dataclasses.replace(eq, hazard=hazard), (0, 0), PATHS, seed=8)
    assert close(sim.stall_frequency, q, PATHS)
    assert close(sim.win_frequency[0], win[0], PATHS) and close(sim.win_frequency[1], win[1], PATHS)
    assert math.isinf(sim.mean_duration) and math.isinf(chain.expected_duration(hazard)[0, 0])


def test_sample_paths_follow_the_race():
    race = pr.Race(stages=(4, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    eq = pr.solve(race)
    sim = pr.simulate(eq, (1, 0), 3000, seed=9, sample=50)
    paths = sim.sample
    assert paths is not None and paths.i.shape == (50, 6)  # at most 3 + 3 - 1 events
    steps = np.diff(paths.i, axis=1) + np.diff(paths.j, axis=1)
    assert set(np.unique(steps)) <= {0, 1}  # one stage per event in continuous time
    assert np.all(np.diff(paths.time, axis=1) >= 0.0)
    last_i, last_j = paths.i[:, -1], paths.j[:, -1]
    np.testing.assert_array_equal(paths.outcome == simulation.FIRST_WINS, last_i == 4)
    np.testing.assert_array_equal(paths.outcome == simulation.SECOND_WINS, last_j == 3)
    np.testing.assert_array_equal(paths.length - 1, (last_i - 1) + last_j)
    assert not paths.i.flags.writeable and not sim.win_frequency.flags.writeable
    with pytest.raises(AttributeError):
        sim.paths = 3  # type: ignore[misc]


def test_start_at_a_finished_state():
    eq = pr.solve(pr.Race(stages=(2, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    sim = pr.simulate(eq, (2, 1), 10, seed=0)
    assert sim.win_frequency.tolist() == [1.0, 0.0] and sim.mean_duration == 0.0
    assert sim.leapfrog_frequency == 0.0  # firm 1 is behind and the race is over


def test_duration_moments_merged_by_chunks():
    values = np.random.default_rng(0).exponential(3.0, 10_001) + 1e6  # a large mean: no cancellation allowed
    moments = simulation._Moments()
    for piece in np.array_split(values, 7):
        moments.add(piece)
    mean, error = moments.mean_and_error()
    assert mean == pytest.approx(values.mean(), rel=1e-14)
    assert error == pytest.approx(values.std(ddof=1) / math.sqrt(values.size), rel=1e-9)


@pytest.mark.timing
def test_vectorised_speed_of_a_ten_by_ten_race():
    import time

    eq = pr.solve(pr.Race(stages=10, prize=1.0, discount=0.02, cost=pr.costs.Quadratic()))
    began = time.perf_counter()
    sim = pr.simulate(eq, (0, 0), 1_000_000, seed=1)
    assert time.perf_counter() - began < 20.0  # about 1 s on the 2-core CI machine
    assert close(sim.win_frequency[0], eq.win_probability[0, 0, 0], sim.paths)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"paths": 0}, ValueError, "paths must be >= 1, got 0"),
        ({"paths": -5}, ValueError, "paths must be >= 1"),
        ({"paths": 10.0}, TypeError, "paths must be an integer"),
        ({"paths": True}, TypeError, "paths must be an integer"),
        ({"start": (3, 0)}, ValueError, r"state \(3, 0\) is outside the race: need 0 <= i <= 2"),
        ({"start": (0, -1)}, ValueError, "outside the race"),
        ({"start": (2, 2)}, ValueError, "unreachable"),
        ({"start": "00"}, ValueError, "state must be a pair"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
        ({"sample": 11}, ValueError, "sample must be between 0 and 10"),
    ],
)
def test_bad_input_is_refused_with_the_parameter_named(kwargs, error, message):
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    arguments = {"start": (0, 0), "paths": 10, "seed": 0} | kwargs
    with pytest.raises(error, match=message):
        pr.simulate(eq, **arguments)


def test_wrong_equilibrium_type():
    with pytest.raises(TypeError, match=r"eq must be a patentrace\.Equilibrium"):
        pr.simulate("not solved", (0, 0), 10)  # type: ignore[arg-type]


# The thorough profile (test_breakthrough.py) met holding times near 1e164, whose squared deviations
# overflowed: the running variance must stay finite wherever the standard error is.
@pytest.mark.parametrize("chunks", [[[1e300, 3e300], [2e300]], [[2e-300], [1e300, 3e300]], [[5.0, 7.0, 9.0]]])
def test_the_running_mean_and_error_agree_with_exact_rational_arithmetic(chunks):
    from fractions import Fraction

    from patentrace.reports.simulate import _Moments

    moments = _Moments()
    for chunk in chunks:
        moments.add(np.array(chunk))
    values = [Fraction(v) for chunk in chunks for v in chunk]
    n = len(values)
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    got_mean, got_error = moments.mean_and_error()
    assert math.isfinite(got_error)
    assert got_mean == pytest.approx(float(mean), rel=1e-15)
    assert got_error == pytest.approx(math.sqrt(float(variance / n / 2**1000)) * 2**500, rel=1e-14)
