"""Breakthroughs: random discovery that grows with experience (docs/theory/race.md (14)-(15), "Breakthroughs").

Checked against: the race without breakthroughs, bit for bit, when every b is 0; the
direct HJB with breakthroughs (``verify()``: no profitable deviation on a fine effort
grid plus a local optimiser, residual of the unshifted HJB), which shares nothing with
the solvers' shifted form; the all-roots path against the compiled path; closed forms of
the one-stage race; Monte Carlo histories (four standard errors); and invariants
(win probabilities sum to one, symmetry under swapping the firms).
"""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import patentrace as pr
from patentrace.solvers.backward import solve_race
from tests.strategies import examples, races, swapped

FIELDS = ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity", "underflow")


@st.composite
def breakthrough_races(draw: st.DrawFn, max_stages: int = 5) -> pr.Race:
    """A random race of tests.strategies with random non-negative, growing breakthrough hazards."""
    race = draw(races(max_stages=max_stages))
    curves = []
    for n in race.stages:
        base = draw(st.floats(0.0, 0.3))
        growth = draw(st.floats(0.0, 2.0))
        curves.append([base * (1.0 + i) ** growth * draw(st.sampled_from([0.0, 1.0])) for i in range(n)])
    return dataclasses.replace(race, breakthrough=tuple(curves), stages=race.stages, cost=race.cost,
                               productivity=race.productivity)


def with_zero_breakthroughs(race: pr.Race) -> pr.Race:
    return dataclasses.replace(race, breakthrough=tuple([0.0] * n for n in race.stages))


@settings(max_examples=examples(30), deadline=None)
@given(race=races(max_stages=6))
@example(  # found by the thorough profile: both expected times infinite at (0, 0) made the leapfrog gap NaN
    race=pr.Race(stages=(3, 3), prize=1.0, discount=1.0, cost=pr.costs.Power(scale=1.0, exponent=2.0, linear=0.125))
)
def test_zero_breakthroughs_equal_the_plain_race_to_the_last_digit(race):
    zero = with_zero_breakthroughs(race)
    assert not zero.has_breakthroughs
    for compiled_path in (True, False):
        plain, jumped = solve_race(race, compiled_path=compiled_path), solve_race(zero, compiled_path=compiled_path)
        assert plain.solver.options["path"] == jumped.solver.options["path"]
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(plain, name), getattr(jumped, name), err_msg=name)
    plain, jumped = pr.solve(race), pr.solve(zero)
    np.testing.assert_array_equal(plain.deviation_gain(), jumped.deviation_gain())
    np.testing.assert_array_equal(plain.residual(), jumped.residual())
    state = (0, race.stages[1] - 1)
    for follower_by in ("distance", "expected_time"):
        a, b = pr.leapfrog(plain, state, follower_by=follower_by), pr.leapfrog(jumped, state, follower_by=follower_by)
        assert (a.follower, a.follower_win_probability, a.leapfrog_probability, a.catch_up_probability,
                a.can_leapfrog) == (b.follower, b.follower_win_probability, b.leapfrog_probability,
                                    b.catch_up_probability, b.can_leapfrog)
    assert pr.simulate(plain, (0, 0), 500, 3).to_dict() == pr.simulate(jumped, (0, 0), 500, 3).to_dict()


def test_zero_breakthroughs_equal_the_plain_race_in_solve_all():
    race = pr.Race(stages=(2, 3), prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=1.6), loser_prize=0.4)
    plain, jumped = pr.solve_all(race), pr.solve_all(with_zero_breakthroughs(race))
    assert len(plain) == len(jumped)
    for a, b in zip(plain, jumped, strict=True):
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@settings(max_examples=examples(30), deadline=None)
@given(race=breakthrough_races())
def test_every_state_is_an_equilibrium_probabilities_sum_to_one_and_symmetry_holds(race):
    eq = pr.solve(race)
    check = eq.verify()
    assert check.max_deviation_gain <= 1e-8 and check.max_residual <= 1e-8, check
    # the race ends surely wherever it cannot stall (a stall: both idle with no breakthrough)
    ends = pr.lattice.open_states(race.stages) & np.isfinite(eq.expected_duration)
    total = eq.win_probability[0] + eq.win_probability[1]
    np.testing.assert_allclose(total[ends], 1.0, rtol=0, atol=1e-12)
    assert np.all(total <= 1.0 + 1e-12)
    assert np.all(eq.value <= race.prize + 1e-12)
    mirror = pr.solve(swapped(race))
    np.testing.assert_allclose(mirror.value[::-1].transpose(0, 2, 1), eq.value, rtol=1e-9, atol=1e-12 * race.prize)
    np.testing.assert_allclose(mirror.win_probability[::-1].transpose(0, 2, 1), eq.win_probability,
                               rtol=1e-9, atol=1e-12)


@settings(max_examples=examples(40), deadline=None)
@given(race=breakthrough_races(max_stages=5))
def test_compiled_and_all_roots_paths_agree_with_breakthroughs(race):
    fast, slow = solve_race(race), solve_race(race, compiled_path=False)
    np.testing.assert_allclose(fast.value, slow.value, rtol=0, atol=1e-10 * race.prize)
    np.testing.assert_allclose(fast.win_probability, slow.win_probability, rtol=0, atol=1e-10)
    if fast.solver.options["path"] == "compiled":  # its certificates claimed uniqueness: the search agrees
        np.testing.assert_array_equal(fast.multiplicity, slow.multiplicity)


@pytest.mark.parametrize(("stages", "discount", "scale", "exponent"),
                         [(10, 0.005, 1e-3, 2.0), (10, 0.02, 1e-4, 2.0), (30, 0.01, 1e-3, 3.0), (12, 0.05, 0.02, 2.5)])
def test_races_where_a_firm_invests_only_when_pressed_stay_compiled(stages, discount, scale, exponent):
    # With breakthroughs a firm far behind can have A - K < 0: it idles against an idle rival and
    # invests when pressed. The certificates for that (compiled_kernels._kinked_concavity and
    # compiled_kernels._idle_by_elimination) keep such races on the compiled path; the all-roots search
    # must find one equilibrium at every state and the same numbers.
    race = pr.Race(stages=stages, prize=1.0, discount=discount, cost=pr.costs.Power(exponent=exponent),
                   breakthrough=[scale * (1 + i) for i in range(stages)])
    fast, slow = solve_race(race), solve_race(race, compiled_path=False)
    assert fast.solver.options["path"] == "compiled"
    opened = pr.lattice.open_states(race.stages)
    assert np.all(slow.multiplicity[opened] == 1)
    np.testing.assert_allclose(fast.value, slow.value, rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.effort, slow.effort, rtol=1e-8, atol=1e-10)
    assert fast.verify().max_deviation_gain <= 1e-10


def test_symmetric_one_stage_race_closed_form():
    # N = 1, quadratic cost, hazard b for each firm, L = 0: condition (14) of docs/theory/race.md at the
    # symmetric state (A = P, B = 0, h = x, R = r + 2b) is a x (R + 2x) - a x^2/2 = R P + x P - b P,
    # i.e. 1.5 a x^2 + (a R - P) x - (R - b) P = 0, solved by the quadratic formula.
    p, r, a, b = 1.0, 0.1, 1.0, 0.3
    rate = r + 2 * b
    x = (-(a * rate - p) + math.sqrt((a * rate - p) ** 2 + 6 * a * (rate - b) * p)) / (3 * a)
    race = pr.Race(stages=1, prize=p, discount=r, cost=pr.costs.Quadratic(scale=a), breakthrough=[b])
    for compiled_path in (True, False):
        eq = solve_race(race, compiled_path=compiled_path)
        assert eq.effort[0, 0, 0] == pytest.approx(x, rel=1e-13)
        value = (-a * x**2 / 2 + (x + b) * p) / (r + 2 * x + 2 * b)
        assert eq.value[0, 0, 0] == pytest.approx(value, rel=1e-13)
        assert eq.win_probability[0, 0, 0] == pytest.approx(0.5, abs=1e-15)
        assert eq.expected_duration[0, 0] == pytest.approx(1 / (2 * x + 2 * b), rel=1e-13)


def test_a_firm_idles_when_its_own_breakthrough_makes_a_stage_worth_little():
    # c'(0) = 0, yet firm 0 at stage 0 idles: its breakthrough hazard there is high and the
    # next stage has none, so (r + b) A - b P < 0 (the right side of (14), docs/theory/race.md).
    race = pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=([2.0, 0.0], [0.0]))
    eq = pr.solve(race, verify=True)
    a = eq.value[0, 1, 0]
    assert (0.1 + 2.0) * a - 2.0 * 1.0 + eq.hazard[1, 0, 0] * (a - eq.value[0, 0, 1]) < 0.0
    assert eq.effort[0, 0, 0] == 0.0
    assert eq.effort[0, 1, 0] > 0.0
    assert not eq.underflow.any()


def check_against_the_chain(eq: pr.Equilibrium, n: int, seed: int) -> None:
    """Simulated frequencies from the start and from a state behind, each within 4 standard errors of the chain."""
    sim = pr.simulate(eq, (0, 0), n, seed)

    def close(frequency: float, probability: float) -> bool:
        return abs(frequency - probability) <= 4.0 * math.sqrt(probability * (1.0 - probability) / n) + 1.0 / n

    for firm in (0, 1):
        assert close(sim.win_frequency[firm], eq.win_probability[firm, 0, 0]), sim
    assert abs(sim.mean_duration - eq.expected_duration[0, 0]) <= 4.0 * sim.duration_standard_error + 1e-12, sim
    race = eq.model
    state = (0, race.stages[1] - 1) if race.stages[1] > 1 else (race.stages[0] - 1, 0)
    report = pr.leapfrog(eq, state)
    if report.follower is not None:
        sim = pr.simulate(eq, state, n, seed)
        assert close(sim.leapfrog_frequency, report.leapfrog_probability), (sim, report)
        assert close(sim.catch_up_frequency, report.catch_up_probability), (sim, report)


@settings(max_examples=examples(15), deadline=None)
@example(  # thorough profile: from (0, 1) the follower caught up on 0.40565 of 20,000 paths, 0.39145 computed
    # (4.1 s.e.); over seeds 0-59 the frequency's mean is 0.39172 and its spread 0.0036 against an s.e. of 0.0035
    race=pr.Race(stages=(2, 2), prize=1.0, discount=0.01, cost=pr.costs.Quadratic()), seed=36,
)
@given(race=breakthrough_races(max_stages=4), seed=st.integers(0, 99))
def test_monte_carlo_agrees_with_the_chain_within_four_standard_errors(race, seed):
    # a miss by 4 standard errors happens by chance over a thorough run's many comparisons: it is confirmed on an
    # independent run with four times the paths (as tests/test_simulate.py's check_with_confirmation)
    eq = pr.solve(race)
    try:
        check_against_the_chain(eq, 20_000, seed)
    except AssertionError:
        check_against_the_chain(eq, 80_000, seed + 1000)


def test_follower_by_expected_time_reads_the_breakthrough_hazard():
    # Firm 0 is a stage behind but breaks through fast: by expected time it is the leader.
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=([5.0, 5.0], [0.0, 0.0]))
    eq = pr.solve(race)
    assert pr.leapfrog(eq, (0, 1)).follower == 0
    times = pr.leapfrog(eq, (0, 1), follower_by="expected_time")
    assert times.follower == 1
    h = eq.hazard[0]
    t0 = (1 + h[0, 1] / (h[1, 1] + 5.0)) / (h[0, 1] + 5.0)  # T_0 = [1 + h T_0(1, 1)] / (h + b), by hand
    assert times.remaining[0] == pytest.approx(t0, rel=1e-14)
    assert times.remaining[1] == pytest.approx(1 / eq.hazard[1, 0, 1], rel=1e-14)
    assert times.follower_win_probability == eq.win_probability[1, 0, 1]


@pytest.mark.parametrize(
    ("breakthrough", "error", "message"),
    [
        ([0.1, -0.2], ValueError, r"breakthrough\[0\]\[1\] must be >= 0"),
        ([0.1, math.inf], ValueError, r"breakthrough\[0\]\[1\] must be finite"),
        ([0.1, math.nan], ValueError, r"breakthrough\[0\]\[1\] must be finite"),
        ([0.1], ValueError, r"breakthrough for firm 0 must have one entry per stage \(2\)"),
        (([0.1, 0.1], [0.1]), ValueError, r"breakthrough for firm 1 must have one entry per stage \(2\)"),
        (([0.1], [0.1], [0.1]), ValueError, r"breakthrough as one sequence per firm needs exactly 2"),
        (0.1, TypeError, r"breakthrough must be None, a sequence"),
        ("ab", TypeError, r"breakthrough must be None, a sequence"),
    ],
)
def test_bad_breakthrough_is_refused_naming_it(breakthrough, error, message):
    with pytest.raises(error, match=message):
        pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=breakthrough)


def test_bad_follower_by_is_refused():
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    with pytest.raises(ValueError, match="follower_by must be one of"):
        pr.leapfrog(eq, (0, 1), follower_by="speed")


def test_symbolic_path_solves_breakthroughs_and_refuses_them_as_symbols_plainly():
    # tests/test_symbolic_breakthrough.py checks every representation; here only that the door is open
    race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.1])
    assert float(pr.symbolic.solve(race).effort(0, 0, 0)) == pytest.approx(pr.solve(race).effort[0, 0, 0], rel=1e-14)
    with pytest.raises(ValueError, match="'breakthrough' cannot stay symbolic"):
        pr.symbolic.solve(race, symbols=("breakthrough",))


def test_lagged_race_with_zero_breakthroughs_equals_the_plain_one():
    work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.05, {2: 0.3, 0: 0.7})
    plain = pr.LaggedRace(stages=(2, 3), prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    zero = dataclasses.replace(plain, breakthrough=([0.0, 0.0], [0.0, 0.0, 0.0]), actions=plain.actions)
    a, b = pr.solve(plain), pr.solve(zero)
    for name in ("value", "win_probability", "tie_probability", "expected_duration", "multiplicity"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for firm in (0, 1):
        np.testing.assert_array_equal(a.strategy[firm], b.strategy[firm])


def test_lagged_one_stage_breakthrough_oracle():
    # N = 1, one action "wait" (free, never advances), breakthrough probability q per period each,
    # tie split: V = beta [q (1 - q) P + q^2 P / 2] / (1 - beta (1 - q)^2), win probability 1/2.
    wait = pr.Action(0.0, {0: 1.0})
    q, beta = 0.3, math.exp(-0.05)
    race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[wait], breakthrough=[q])
    eq = pr.solve(race, verify=True)
    value = beta * (q * (1 - q) + q * q / 2) / (1 - beta * (1 - q) ** 2)
    assert eq.value[0, 0, 0] == pytest.approx(value, rel=1e-14)
    assert eq.win_probability[0, 0, 0] == pytest.approx((1 - q) * q / (1 - (1 - q) ** 2), rel=1e-14)
    assert eq.tie_probability[0, 0] == pytest.approx(q * q / (1 - (1 - q) ** 2), rel=1e-14)


def test_from_race_maps_the_hazard_and_converges_to_the_race():
    race = pr.Race(stages=(2, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.1, 0.3, 0.6])
    lagged = pr.LaggedRace.from_race(race, lag=0.02, efforts=list(np.linspace(0.0, 1.5, 31)))
    assert lagged.breakthrough[0] == pytest.approx([1 - math.exp(-0.1 * 0.02), 1 - math.exp(-0.3 * 0.02)], rel=1e-15)
    eq, exact = pr.solve(lagged, verify=True), pr.solve(race)
    # the effort grid (steps of 0.05) and the period (0.02) both cost accuracy: within 1% of the prize here
    np.testing.assert_allclose(eq.value[:, 0, 0], exact.value[:, 0, 0], atol=0.01)
    np.testing.assert_allclose(eq.win_probability[:, 0, 0], exact.win_probability[:, 0, 0], atol=0.01)
    sim = pr.simulate(eq, (0, 0), 20_000, 5)
    p = float(eq.win_probability[0, 0, 0])
    assert abs(sim.win_frequency[0] - p) <= 4 * math.sqrt(p * (1 - p) / 20_000) + 1 / 20_000


def test_lagged_breakthrough_must_be_a_probability():
    work = pr.Action(0.2, {1: 0.5, 0: 0.5})
    with pytest.raises(ValueError, match=r"breakthrough\[0\]\[0\] is a probability per period: must be in \[0, 1\]"):
        pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work], breakthrough=[1.5])
    with pytest.raises(ValueError, match=r"breakthrough\[0\]\[0\] must be >= 0"):
        pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work], breakthrough=[-0.1])


def test_deterministic_race_breakthrough_reaches_the_grid_and_is_checked():
    race = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.2, max_speed=2.0,
                                breakthrough=lambda w: 0.1 + w)
    grid = race.lagged(10)
    assert grid.breakthrough[0] == pytest.approx([1 - math.exp(-(0.1 + i / 10) * 0.2) for i in range(10)], rel=1e-15)
    eq = pr.solve(race, steps=[10], verify=True)
    opened = pr.lattice.open_states(grid.stages)
    total = eq.grid.win_probability[0] + eq.grid.win_probability[1] + eq.grid.tie_probability
    np.testing.assert_allclose(total[opened], 1.0, atol=1e-12)
    assert eq.grid.win_probability[1, 5, 0] > 0.0  # far behind, discovery still gives a chance
    plain = pr.solve(dataclasses.replace(race, breakthrough=None), steps=[10])
    assert plain.grid.win_probability[1, 5, 0] < eq.grid.win_probability[1, 5, 0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lag": 0.2, "breakthrough": 0.3}, TypeError, "breakthrough must be None or a callable"),
        ({"lag": 0.2, "breakthrough": lambda w: -w}, ValueError, r"breakthrough b\(w\) must be finite and >= 0"),
        ({"lag": 0.2, "breakthrough": lambda w: math.inf}, ValueError, r"breakthrough b\(w\) must be finite"),
    ],
)
def test_bad_deterministic_breakthrough_is_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), max_speed=2.0, **kwargs)


def test_deterministic_race_with_zero_breakthrough_equals_the_plain_one():
    plain = pr.DeterministicRace(prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), lag=0.2, max_speed=2.0)
    zero = dataclasses.replace(plain, breakthrough=lambda w: 0.0)
    a, b = pr.solve(plain, steps=[10]), pr.solve(zero, steps=[10])
    for name in ("value", "win_probability", "tie_probability", "expected_duration"):
        np.testing.assert_array_equal(getattr(a.grid, name), getattr(b.grid, name), err_msg=name)
    assert a.contested_gap(0.5) == b.contested_gap(0.5)


@pytest.mark.parametrize("rates", [[0.0, 0.1, 0.4], [0.3, 0.3, 0.3], [2.0, 0.0, 0.05]])
def test_single_firm_counts_its_own_breakthrough(rates):
    """The lone firm with discovery: the float policy equals the symbolic one, and idles where it should.

    Independently: with quadratic cost the condition ``x (r + b + x) - x^2 / 2 = (r + b) A - b P`` is
    ``x^2 / 2 + (r + b) x - q = 0``, so ``x = -(r + b) + sqrt((r + b)^2 + 2 q)`` for ``q > 0`` and 0
    otherwise, with ``V = (-x^2 / 2 + x A + b P) / (r + b + x)``.
    """
    race = pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=rates)
    effort, value = pr.single_firm(race)
    symbolic = [float(v) for v in pr.symbolic.single_firm(race)]
    np.testing.assert_allclose(value, symbolic, rtol=1e-13)
    expected = 1.0
    for i in (2, 1, 0):
        b, total = rates[i], 0.1 + rates[i]
        q = total * expected - b * 1.0
        x = -total + math.sqrt(total * total + 2.0 * q) if q > 0.0 else 0.0
        expected = (-0.5 * x * x + x * expected + b) / (total + x)
        assert effort[i] == pytest.approx(x, rel=1e-12, abs=1e-15)
        assert value[i] == pytest.approx(expected, rel=1e-12)
    if rates[0] == 2.0:
        assert effort[0] == 0.0 and value[0] == pytest.approx(2.0 / 2.1, rel=1e-14)  # waiting for discovery
