"""The tug-of-war (docs/theory/tug-of-war.md, issue 18): closed form, symmetry, equilibrium checks, validation.

Independent sources: the Lee-Wilde closed form of docs/theory/race.md (K = 2 is the one-stage
race), the symmetry V0(k) = V1(K - k) of docs/theory/tug-of-war.md, and the equilibrium invariants of
docs/theory/invariants.md (HJB residual and the best one-position deviation, found by a grid search
and a local optimiser, not by the first-order condition the solver uses).
"""

from __future__ import annotations

import json
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import patentrace as pr
from patentrace.errors import EquilibriumError
from patentrace.models.parameters import model_from_dict
from patentrace.results.serialization import ResultFormatError, strict_json
from patentrace.results.tug_equilibrium import expected_duration, reach_before, win_probabilities
from tests.strategies import examples
from tests.test_roundtrip import assert_same_arrays, same_bits, through_files, through_json


def lee_wilde(prize: float, scale: float, discount: float) -> tuple[float, float]:
    """docs/theory/race.md: x* = [P - a r + sqrt(P^2 + 4 a P r + a^2 r^2)] / (3 a), V = P - a x*."""
    p, a, r = prize, scale, discount
    x = (p - a * r + math.sqrt(p * p + 4 * a * p * r + a * a * r * r)) / (3 * a)
    return x, p - a * x


@pytest.mark.parametrize(("prize", "scale", "discount"),
                         [(1.0, 1.0, 0.1), (2.5, 0.3, 0.04), (1.0, 4.0, 0.7), (10.0, 1.0, 0.01), (0.2, 2.0, 1.5)])
def test_two_positions_is_the_one_stage_race(prize: float, scale: float, discount: float) -> None:
    """K = 2: efforts and values equal the Lee-Wilde closed form to 1e-12 (issue 18)."""
    tug = pr.TugOfWar(length=2, prize=prize, discount=discount, cost=pr.costs.Quadratic(scale=scale))
    eq = pr.solve(tug)
    x, v = lee_wilde(prize, scale, discount)
    assert np.allclose(eq.effort[:, 1], x, rtol=1e-12, atol=0.0)
    assert np.allclose(eq.value[:, 1], v, rtol=1e-12, atol=0.0)
    assert eq.win_probability[:, 1] == pytest.approx([0.5, 0.5], abs=1e-15)
    assert eq.expected_duration[1] == pytest.approx(1.0 / (2 * x), rel=1e-12)   # exit rate h0 + h1 = 2x


def test_two_positions_matches_the_race_solver() -> None:
    """K = 2 with unequal firms equals Race(stages=1) solved by backward induction (a second solver path)."""
    costs = (pr.costs.Quadratic(scale=1.3, linear=0.02), pr.costs.Power(scale=0.7, exponent=2.6))
    tug = pr.TugOfWar(length=2, prize=1.0, discount=0.08, cost=costs, productivity=([1.4], [0.9]), loser_prize=0.1)
    race = pr.Race(stages=1, prize=1.0, discount=0.08, cost=costs, productivity=([1.4], [0.9]), loser_prize=0.1)
    eq, ref = pr.solve(tug), pr.solve(race)
    assert eq.effort[:, 1] == pytest.approx(ref.effort[:, 0, 0], rel=1e-10)
    assert eq.value[:, 1] == pytest.approx(ref.value[:, 0, 0], rel=1e-10)
    assert eq.win_probability[:, 1] == pytest.approx(ref.win_probability[:, 0, 0], rel=1e-10)


@pytest.mark.filterwarnings("ignore::patentrace.UnderflowWarning")
@pytest.mark.parametrize("length", [3, 4, 7, 12, 25])
@pytest.mark.parametrize("cost", [pr.costs.Quadratic(scale=1.0), pr.costs.Power(scale=0.5, exponent=3.0, linear=0.01)])
def test_symmetric_race_is_symmetric(length: int, cost: pr.costs.Cost) -> None:
    """A symmetric tug-of-war has V0(k) = V1(K - k) and x0(k) = x1(K - k), to 1e-12 (docs/theory/tug-of-war.md)."""
    rates = np.linspace(0.8, 1.6, length - 1)
    tug = pr.TugOfWar(length=length, prize=1.0, discount=0.05, cost=cost, productivity=(rates, rates[::-1]))
    assert tug.is_symmetric
    eq = pr.solve(tug)
    assert np.abs(eq.value[0] - eq.value[1][::-1]).max() <= 1e-12
    assert np.abs(eq.effort[0] - eq.effort[1][::-1]).max() <= 1e-12
    assert np.abs(eq.win_probability[0] - eq.win_probability[1][::-1]).max() <= 1e-12


@st.composite
def tugs(draw: st.DrawFn, max_length: int = 200) -> pr.TugOfWar:
    """Random asymmetric tug-of-wars: per-firm power costs, per-position productivities."""
    length = draw(st.integers(2, max_length))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    costs = tuple(pr.costs.Power(scale=float(rng.uniform(0.3, 3.0)), exponent=float(rng.choice([1.5, 2.0, 3.0])),
                                 linear=float(rng.choice([0.0, 0.0, rng.uniform(0.0, 0.05)])))
                  for _ in range(2))
    productivity = tuple(rng.uniform(0.5, 2.0, length - 1).tolist() for _ in range(2))
    prize = float(rng.uniform(0.5, 5.0))
    return pr.TugOfWar(length=length, prize=prize, discount=float(rng.uniform(0.01, 0.5)), cost=costs,
                       productivity=productivity, loser_prize=float(rng.uniform(0.0, 0.3)) * prize)


@pytest.mark.filterwarnings("ignore::patentrace.UnderflowWarning")
@settings(max_examples=examples(25))
@given(tugs())
def test_random_races_verify_state_by_state(tug: pr.TugOfWar) -> None:
    """HJB residual and deviation gain below 1e-10 at every position, K up to 200 (issue 18)."""
    eq = pr.solve(tug, verify=True, tolerance=1e-10)
    gain, residual = eq.deviation_gain(), eq.residual()
    assert gain.max() <= 1e-10 and residual.max() <= 1e-10
    assert np.all(np.isfinite(eq.value)) and np.all(eq.effort >= 0.0)
    assert np.all(eq.win_probability >= 0.0) and np.all(eq.win_probability.sum(axis=0) <= 1.0 + 1e-12)
    # values between the loser's and the winner's prize (docs/theory/invariants.md bounds; a firm can always idle)
    lower = min(tug.loser_prize, 0.0)
    assert np.all(eq.value >= lower - 1e-12 * tug.prize) and np.all(eq.value <= tug.prize * (1 + 1e-12))


@pytest.mark.filterwarnings("ignore::patentrace.UnderflowWarning")
def test_a_random_race_of_length_200() -> None:
    """The largest K of the issue, asymmetric, checked at every position to 1e-10."""
    rng = np.random.default_rng(18)
    tug = pr.TugOfWar(length=200, prize=3.0, discount=0.02,
                      cost=(pr.costs.Quadratic(scale=0.8), pr.costs.Power(scale=1.2, exponent=2.5, linear=0.001)),
                      productivity=(rng.uniform(0.5, 2, 199).tolist(), rng.uniform(0.5, 2, 199).tolist()))
    check = pr.solve(tug, verify=True, tolerance=1e-10).verify()
    assert check.max_deviation_gain <= 1e-10 and check.max_residual <= 1e-10


@pytest.mark.filterwarnings("ignore::patentrace.UnderflowWarning")
@settings(max_examples=examples(15))
@given(tugs(max_length=60))
def test_compiled_and_numpy_newton_agree(tug: pr.TugOfWar) -> None:
    """The compiled Newton (numba, own banded LU) and the numpy one (LAPACK) give the same values: two paths."""
    from patentrace.solvers.tug import solve_tug

    fast, slow = solve_tug(tug), solve_tug(tug, compiled=False)
    assert np.abs(fast.value - slow.value).max() <= 1e-12 * tug.prize
    assert fast.solver.options["compiled"] is True and slow.solver.options["compiled"] is False


def test_verify_catches_a_wrong_value() -> None:
    """A perturbed equilibrium fails its own check: the checks can fail."""
    eq = pr.solve(pr.TugOfWar(length=5, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    value = eq.value.copy()
    value[0, 2] += 1e-4
    wrong = pr.TugEquilibrium.build(eq.model, value, eq.solver)
    assert wrong.verify().max_residual > 1e-6


def test_chain_against_closed_forms() -> None:
    """Gambler's ruin: win probability k / K and duration k (K - k) / (2 h) for a fair walk with rate h each way."""
    length, h = 6, 0.7
    up = down = np.full(length - 1, h)
    win = win_probabilities(up, down)
    k = np.arange(length + 1)
    assert win[0] == pytest.approx(k / length, abs=1e-15)
    assert win[1] == pytest.approx(1 - k / length, abs=1e-15)
    assert expected_duration(up, down) == pytest.approx(k * (length - k) / (2 * h), rel=1e-12)
    # biased walk: P(up first) from 1 with p = 2/3 up on 0..3 is (1 - q/p) / (1 - (q/p)^3) = 4/7
    assert reach_before(np.full(2, 2.0), np.full(2, 1.0), 1, 3, 0) == pytest.approx(4 / 7, rel=1e-14)


def test_chain_with_a_stall() -> None:
    """Where nobody moves the race never ends: duration inf, win probabilities 0 there and beyond the wall."""
    up = np.array([1.0, 0.0, 1.0])
    down = np.array([1.0, 0.0, 1.0])
    assert expected_duration(up, down).tolist()[1:4] == [math.inf] * 3
    win = win_probabilities(up, down)
    assert win[0].tolist() == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert win[1].tolist() == [1.0, 0.5, 0.0, 0.0, 0.0]


def test_to_dict_and_xarray() -> None:
    """Round trip of the numbers through JSON and xarray, cell by cell."""
    eq = pr.solve(pr.TugOfWar(length=4, prize=2.0, discount=0.1, cost=pr.costs.Quadratic(), loser_prize=0.5))
    data = json.loads(json.dumps(eq.to_dict()))
    assert np.array_equal(np.array(data["value"]), eq.value)
    assert data["model"]["length"] == 4 and data["solver"]["method"] == "newton"
    dataset = eq.to_xarray()
    assert np.array_equal(dataset["effort"].values, eq.effort)
    assert dataset["value"].sel(firm=0, position=4).item() == 2.0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"length": 1}, ValueError, "length must be an int >= 2"),
    ({"length": 2.0}, TypeError, "length must be an int"),
    ({"length": True}, TypeError, "length must be an int"),
    ({"prize": 0.0}, ValueError, "prize must be > 0"),
    ({"prize": math.inf}, ValueError, "prize must be finite"),
    ({"discount": 0.0}, ValueError, "discount must be > 0"),
    ({"loser_prize": 2.0}, ValueError, "loser_prize must be >= 0 and <= prize"),
    ({"loser_prize": -0.1}, ValueError, "loser_prize must be >= 0 and <= prize"),
    ({"cost": "quadratic"}, TypeError, "cost for firm 0 must be a patentrace.costs.Cost"),
    ({"cost": (pr.costs.Quadratic(),)}, ValueError, "cost must be one Cost or a pair"),
    ({"productivity": [1.0, 1.0]}, ValueError, "productivity for firm 0 must have one entry per interior position"),
    ({"productivity": 0.0}, ValueError, r"productivity\[0\]\[0\] \(position 1\) must be > 0"),
    ({"productivity": ([1.0, 1.0, 1.0], [1.0, -1.0, 1.0])}, ValueError, r"productivity\[1\]\[1\]"),
    ({"productivity": "fast"}, TypeError, "productivity must be None"),
    ({"start": 0}, ValueError, r"start must be an interior position in 1 \.\. 3"),
    ({"start": 4}, ValueError, r"start must be an interior position in 1 \.\. 3"),
    ({"start": 1.5}, TypeError, "start must be None or an int"),
])
def test_validation_names_the_parameter(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    """Bad input raises at construction, naming the parameter, the value and the valid range."""
    base: dict[str, object] = {"length": 4, "prize": 1.0, "discount": 0.1, "cost": pr.costs.Quadratic()}
    with pytest.raises(error, match=match):
        pr.TugOfWar(**{**base, **kwargs})


def test_productivity_shapes() -> None:
    """One number, one sequence per position (both firms), or one entry per firm."""
    base = {"length": 3, "prize": 1.0, "discount": 0.1, "cost": pr.costs.Quadratic()}
    assert pr.TugOfWar(**base, productivity=2.0).productivity == ((2.0, 2.0), (2.0, 2.0))
    assert pr.TugOfWar(**base, productivity=[1.0, 3.0]).productivity == ((1.0, 3.0), (1.0, 3.0))
    assert pr.TugOfWar(**base, productivity=(2.0, [1.0, 3.0])).productivity == ((2.0, 2.0), (1.0, 3.0))


def test_failure_reports_the_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """When Newton cannot converge the error names the firm, the position and the residual."""
    from patentrace.solvers import tug as tug_solver

    monkeypatch.setattr(tug_solver, "_MAX_ITER", 0)
    monkeypatch.setattr(tug_solver, "uses_power_kernel", lambda model: False)   # the numpy path, capped
    with pytest.raises(EquilibriumError, match="did not converge") as caught:
        pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    assert {"firm", "position", "residual"} <= set(caught.value.details)


def _same_sets(first: list[pr.TugEquilibrium], second: list[pr.TugEquilibrium], atol: float = 1e-10) -> bool:
    """Each equilibrium of one list matches exactly one of the other, value by value."""
    if len(first) != len(second):
        return False
    return all(sum(np.abs(a.value - b.value).max() <= atol for b in second) == 1 for a in first)


def test_solve_all_finds_the_three_equilibria_of_a_one_stage_race() -> None:
    """K = 2 with a participation cost and a large loser prize: (work, idle), (idle, work) and both working.

    Independent check: firm f works against a rival hazard h iff m (r + h) / lambda < r P + h (P - L)
    (docs/theory/race.md, the idle condition), so with P = 1, L = 0.9, r = 0.1, m = 0.5 a firm works iff h < 0.125;
    the preemption equilibria have the lone firm's effort, and the symmetric one's hazard is below 0.125.
    """
    tug = pr.TugOfWar(length=2, prize=1.0, discount=0.1, loser_prize=0.9, cost=pr.costs.Quadratic(linear=0.5))
    exact = pr.solve_all(tug)
    assert exact[0].solver.options["complete"] is True and len(exact) == 3
    efforts = sorted(tuple(eq.effort[:, 1].round(12)) for eq in exact)
    alone = float(pr.costs.Quadratic(linear=0.5).best_response(0.1 * 1.0, 0.1))   # (1) with h = 0, A = P
    assert efforts[0] == pytest.approx((0.0, alone), abs=1e-12)
    assert efforts[2] == pytest.approx((alone, 0.0), abs=1e-12)
    assert efforts[1][0] == pytest.approx(efforts[1][1], abs=1e-12) and 0.0 < efforts[1][0] < 0.125
    assert alone >= 0.125    # the lone firm's hazard makes the rival idle
    from patentrace.solvers.tug import solve_all_tug

    assert _same_sets(exact, solve_all_tug(tug, method="multistart"))


@pytest.mark.parametrize("case", [
    {"loser_prize": 0.0, "cost": pr.costs.Quadratic(scale=1.0)},
    {"loser_prize": 0.8, "cost": pr.costs.Quadratic(scale=1.0, linear=0.3)},
    {"loser_prize": 0.2, "cost": (pr.costs.Quadratic(scale=0.5), pr.costs.Quadratic(scale=2.0, linear=0.05)),
     "productivity": ([1.0, 1.5], [0.7, 1.2])},
])
def test_solve_all_matches_the_exact_enumeration_for_three_positions(case: dict[str, object]) -> None:
    """K = 3 quadratic: the multi-start path finds exactly the equilibria of the exact enumeration (issue 18)."""
    from patentrace.solvers.tug import solve_all_tug

    tug = pr.TugOfWar(length=3, prize=1.0, discount=0.1, **case)   # type: ignore[arg-type]
    exact = solve_all_tug(tug, method="exact")
    assert exact[0].solver.options["complete"] is True
    assert exact[0].solver.options["complex_solutions"] >= exact[0].solver.options["admissible_real"] >= len(exact)
    assert _same_sets(exact, solve_all_tug(tug, method="multistart"))
    assert any(np.abs(eq.value - pr.solve(tug).value).max() <= 1e-10 for eq in exact)   # solve's is among them


def test_solve_all_matches_the_exact_enumeration_for_four_positions() -> None:
    """K = 4 quadratic, asymmetric with a participation cost: 64 active sets, all solved (about a minute)."""
    from patentrace.solvers.tug import solve_all_tug

    tug = pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.02),
                      productivity=([1.0, 1.5, 1.2], [0.8, 1.0, 1.3]))
    exact = pr.solve_all(tug)
    options = exact[0].solver.options
    assert options["method"] == "exact" and options["complete"] is True and options["active_sets"] == 64
    assert _same_sets(exact, solve_all_tug(tug, method="multistart"))


def test_solve_all_options() -> None:
    """Beyond the exact range the multi-start says what it does not guarantee; bad options are refused."""
    from patentrace.solvers.tug import solve_all_tug

    tug = pr.TugOfWar(length=6, prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=3.0))
    found = pr.solve_all(tug)
    assert found[0].solver.options["complete"] is False and "can be missing" in found[0].solver.options["guarantee"]
    with pytest.raises(ValueError, match="method must be"):
        solve_all_tug(tug, method="groebner")
    with pytest.raises(ValueError, match="quadratic costs"):
        solve_all_tug(tug, method="exact")


def test_leapfrog_report_by_first_step_analysis() -> None:
    """K = 4 from position 1 (firm 0 behind): catch-up = p1, leapfrog = p1 q2 / (1 - (1 - q2) p1) by hand."""
    tug = pr.TugOfWar(length=4, prize=1.0, discount=0.07, loser_prize=0.1,
                      cost=(pr.costs.Quadratic(scale=1.2), pr.costs.Quadratic(scale=0.8)),
                      productivity=([1.0, 1.3, 0.9], [1.1, 0.8, 1.2]))
    eq = pr.solve(tug)
    report = pr.leapfrog(eq, state=1)
    h0, h1 = eq.hazard
    p1 = h0[1] / (h0[1] + h1[1])
    q2 = h0[2] / (h0[2] + h1[2])
    assert report.follower == 0 and report.leader == 1 and report.remaining == (3, 1)
    assert report.catch_up_probability == pytest.approx(p1, rel=1e-13)
    assert report.leapfrog_probability == pytest.approx(p1 * q2 / (1 - (1 - q2) * p1), rel=1e-13)
    assert report.follower_win_probability == pytest.approx(eq.win_probability[0, 1], rel=1e-15)
    # firm 0's win from 1: reach 3 first, then from 3 win = q3 + (1 - q3) W(2), W(2) = q2 W(3) + (1 - q2) W(1)
    q3 = h0[3] / (h0[3] + h1[3])
    w = np.linalg.solve([[1, -p1, 0], [-(1 - q2), 1, -q2], [0, -(1 - q3), 1]], [0, 0, q3])
    assert eq.win_probability[0, 1:4] == pytest.approx(w, rel=1e-12)
    level = pr.leapfrog(eq, state=2)
    assert level.follower is None and level.leapfrog_probability is None


@pytest.mark.parametrize("length", [5, 8, 13])
def test_leapfrog_ordering_and_mirror(length: int) -> None:
    """W_F <= leapfrog <= catch-up <= 1 (docs/theory/leapfrog.md); a symmetric race's mirror position: the same."""
    tug = pr.TugOfWar(length=length, prize=1.0, discount=0.03, cost=pr.costs.Power(scale=0.5, exponent=2.5))
    eq = pr.solve(tug)
    for k in range(1, length):
        report = pr.leapfrog(eq, k)
        if report.follower is None:
            continue
        assert report.follower_win_probability <= report.leapfrog_probability + 1e-15
        assert report.leapfrog_probability <= report.catch_up_probability + 1e-15 <= 1 + 1e-15
        mirror = pr.leapfrog(eq, length - k)
        assert mirror.follower == 1 - report.follower
        assert mirror.leapfrog_probability == pytest.approx(report.leapfrog_probability, abs=1e-12)
        assert mirror.catch_up_probability == pytest.approx(report.catch_up_probability, abs=1e-12)


def test_leapfrog_with_a_participation_cost_sees_the_dropout() -> None:
    """With c'(0) > 0 the firm far behind idles: the preemption region is there and it cannot leapfrog."""
    tug = pr.TugOfWar(length=6, prize=1.0, discount=0.1, loser_prize=0.8, cost=pr.costs.Quadratic(linear=0.3))
    eq = pr.solve(tug)
    report = pr.leapfrog(eq, 2)
    assert report.preemption_region[2] and eq.effort[0, 2] == 0.0
    assert report.can_leapfrog is False and report.leapfrog_probability == 0.0
    with pytest.raises(ValueError, match=r"state must be a position in 0 \.\. 6"):
        pr.leapfrog(eq, 7)


def test_simulation_agrees_with_the_chain() -> None:
    """Simulated frequencies within 4 standard errors of the exact win, leapfrog, catch-up and duration (issue 18)."""
    tug = pr.TugOfWar(length=6, prize=1.0, discount=0.05, loser_prize=0.05,
                      cost=(pr.costs.Quadratic(scale=0.7), pr.costs.Power(scale=1.0, exponent=2.5)),
                      productivity=([1.0, 1.2, 0.8, 1.1, 1.0], [0.9, 1.0, 1.3, 1.0, 0.7]))
    eq = pr.solve(tug)
    for start in (1, 4):
        sim = pr.simulate(eq, start, 20_000, seed=18)
        report = pr.leapfrog(eq, start)
        assert sim.follower == report.follower
        assert np.all(np.abs(sim.win_frequency - eq.win_probability[:, start]) <= 4 * sim.win_standard_error)
        assert abs(sim.leapfrog_frequency - report.leapfrog_probability) <= 4 * sim.leapfrog_standard_error
        assert abs(sim.catch_up_frequency - report.catch_up_probability) <= 4 * sim.catch_up_standard_error
        assert abs(sim.mean_duration - eq.expected_duration[start]) <= 4 * sim.duration_standard_error
    again = pr.simulate(eq, 1, 500, seed=3)
    assert again.to_dict() == pr.simulate(eq, 1, 500, seed=3).to_dict()     # a seed repeats the numbers


def test_underflow_is_flagged_and_warned() -> None:
    """A long race whose middle values fall below the float range says so; a short one does not."""
    import warnings

    long_race = pr.TugOfWar(length=50, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    with pytest.warns(pr.UnderflowWarning, match="eq.underflow marks"):
        eq = pr.solve(long_race)
    assert eq.underflow[0, 25] and eq.underflow[1, 25] and eq.effort[0, 25] == 0.0
    assert not eq.underflow[0, 49] and not eq.underflow[1, 1]        # next to each firm's end: fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        short = pr.solve(pr.TugOfWar(length=8, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    assert not short.underflow.any()


def test_figure_draws_the_arrays() -> None:
    """The figure's curves are the equilibrium's efforts, values and win probabilities, position by position."""
    from patentrace.plot import tug_figure

    eq = pr.solve(pr.TugOfWar(length=5, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    fig = tug_figure(eq)
    for ax, data in zip(fig.axes, (eq.effort, eq.value, eq.win_probability), strict=True):
        for firm in (0, 1):
            assert np.array_equal(ax.lines[firm].get_ydata(), data[firm])
    with pytest.raises(TypeError, match="TugEquilibrium"):
        tug_figure(pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())))


def _relative_hjb(eq: pr.TugEquilibrium) -> np.ndarray:
    """|V - V_implied| / |V| at the interior (V_implied: the HJB solved for V at the stored efforts)."""
    from patentrace.equations import hjb
    from patentrace.equations import tug as tug_equations

    tug = eq.model
    own, rival = tug_equations.continuations(eq.value)
    lam = tug.productivity_array()
    out = []
    for f in (0, 1):
        problem = hjb.FirmProblem(tug.cost[f], lam[f], own[f], rival[f], eq.hazard[1 - f, 1:-1], tug.discount)
        implied = problem.flow_value(eq.effort[f, 1:-1])
        v = eq.value[f, 1:-1]
        nonzero = v != 0.0
        out.append(np.abs(v[nonzero] - implied[nonzero]) / np.abs(v[nonzero]))
    return np.concatenate(out)


def test_tiny_values_keep_their_relative_precision() -> None:
    """Far behind, values like 1e-100 satisfy their own HJB to 1e-13 relative; Newton alone does not."""
    from patentrace.equations import tug as tug_equations
    from patentrace.solvers.tug import continuation

    tug = pr.TugOfWar(length=20, prize=10.0, discount=0.01, cost=pr.costs.Quadratic())
    eq = pr.solve(tug)
    assert eq.value[0, 2] < 1e-80 and eq.solver.options["tail_sweeps"] > 0
    assert _relative_hjb(eq).max() <= 1e-13
    raw = pr.TugEquilibrium.build(tug, tug_equations.full_values(tug, continuation(tug)[0]), eq.solver)
    assert _relative_hjb(raw).max() > 1e-3          # the check can fail: Newton's tail is only absolutely right
    assert np.abs(raw.value - eq.value).max() <= 1e-15 * tug.prize


@pytest.mark.filterwarnings("ignore::patentrace.UnderflowWarning")
def test_underflow_is_not_preemption() -> None:
    """Far behind in a long race the follower's effort rounds to 0: not preemption, and it can still leapfrog."""
    eq = pr.solve(pr.TugOfWar(length=40, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    report = pr.leapfrog(eq, 10)
    assert eq.underflow[0, 10] and eq.effort[0, 10] == 0.0
    assert not report.preemption_region.any()
    assert report.can_leapfrog is True                        # c'(0) = 0: the exact effort is positive
    assert pr.leapfrog(eq, 10, tolerance=1e-6).can_leapfrog is False   # but not with a chance that matters


# --- saving and loading (issue 18 x issue 20) ---------------------------------------------------------------------

TUG_ARRAYS = ("effort", "hazard", "value", "win_probability", "expected_duration", "underflow")


@st.composite
def tug_models(draw, longest: int = 30):
    """Random tug-of-war races: lengths 2 .. longest, a cost per firm, productivity per position and firm."""
    length = draw(st.integers(2, longest))
    interior = length - 1

    def cost():
        exponent = draw(st.sampled_from([2.0, 2.5, 3.0]))
        scale, linear = draw(st.floats(0.5, 2.0)), draw(st.sampled_from([0.0, 0.01]))
        return pr.costs.Quadratic(scale=scale, linear=linear) if exponent == 2.0 else \
            pr.costs.Power(scale=scale, exponent=exponent, linear=linear)

    rates = st.lists(st.floats(0.5, 3.0), min_size=interior, max_size=interior)
    prize = draw(st.floats(0.5, 3.0))
    return pr.TugOfWar(length=length, prize=prize, discount=draw(st.floats(0.02, 0.5)), cost=(cost(), cost()),
                       loser_prize=draw(st.sampled_from([0.0, 0.1, 0.5])) * prize,
                       productivity=(draw(rates), draw(rates)),
                       start=draw(st.one_of(st.none(), st.integers(1, interior))))


def solved_quietly(model: pr.TugOfWar) -> pr.TugEquilibrium:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pr.UnderflowWarning)      # long races: values below the float range
        return pr.solve(model)


@given(tug_models())
def test_a_tug_of_war_rebuilds_from_its_constructor_arguments(tug):
    """ModelData: strict JSON and back gives an equal model, float for float; model_from_dict finds it by name."""
    again = pr.TugOfWar.from_dict(json.loads(strict_json(tug.to_dict())))
    assert again == tug and model_from_dict(tug.to_dict()) == tug
    assert same_bits(again.productivity_array(), tug.productivity_array())
    assert again.cost == tug.cost and again.start_position == tug.start_position


@settings(max_examples=examples(10), deadline=None)
@given(tug_models())
def test_tug_equilibria_of_random_models_save_and_load_equal(tug):
    """pr.save / pr.load through .json and .nc, to_dict / from_dict, to_xarray / from_xarray: equal, bit for bit."""
    eq = solved_quietly(tug)
    dataset = eq.to_xarray()
    assert dict(dataset.sizes) == {"firm": 2, "position": tug.length + 1}
    assert dataset["effort"].dims == ("firm", "position") and dataset["expected_duration"].dims == ("position",)
    for again in [*through_files(eq), through_json(eq), pr.TugEquilibrium.from_xarray(dataset)]:
        assert type(again) is pr.TugEquilibrium and again == eq and again.model == tug
        assert again.solver == eq.solver
        assert_same_arrays(again, eq, TUG_ARRAYS)      # independent of ==: every byte of every array


def test_every_equilibrium_of_solve_all_saves_and_loads_equal(tmp_path):
    """solve_all's record (the guarantee text, counts, completeness) survives the files too."""
    tug = pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), loser_prize=0.2)
    for number, eq in enumerate(pr.solve_all(tug)):
        for suffix in (".json", ".nc"):
            path = tmp_path / f"eq{number}{suffix}"
            pr.save(eq, path)
            again = pr.load(path)
            assert again == eq and again.solver.options == eq.solver.options
            assert again.solver.options["complete"] is True
            assert_same_arrays(again, eq, TUG_ARRAYS)


def test_a_stalled_tug_of_war_keeps_its_infinite_durations():
    """Efforts that underflow to 0 on both sides stall the chain: inf durations round-trip as inf, never NaN."""
    eq = solved_quietly(pr.TugOfWar(length=40, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    assert np.isinf(eq.expected_duration).any() and eq.underflow.any()
    for again in [*through_files(eq), through_json(eq)]:
        assert again == eq
        assert_same_arrays(again, eq, TUG_ARRAYS)
    assert '"inf"' in strict_json(eq.to_dict())


def test_tug_equality_sees_one_ulp_and_the_solver_record():
    eq = pr.solve(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    fields = {name: getattr(eq, name) for name in TUG_ARRAYS if name != "underflow"}
    value = eq.value.copy()
    value[1, 1] = np.nextafter(value[1, 1], 2.0)
    assert pr.TugEquilibrium(model=eq.model, solver=eq.solver, **{**fields, "value": value}) != eq
    slower = pr.SolverInfo(eq.solver.method, eq.solver.selection, eq.solver.options, eq.solver.version, 1.0)
    assert pr.TugEquilibrium(model=eq.model, solver=slower, **fields) != eq
    other = pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), start=2)
    assert pr.TugEquilibrium(model=other, solver=eq.solver, **fields) != eq
    assert pr.TugEquilibrium(model=eq.model, solver=eq.solver, **fields) == eq
    with pytest.raises(TypeError, match="unhashable"):
        hash(eq)
    with pytest.raises(TypeError):      # keyword-only: a positional call could swap two arrays silently
        pr.TugEquilibrium(eq.model, eq.effort, eq.hazard, eq.value, eq.win_probability, eq.expected_duration,
                          eq.solver)


def test_tug_to_dataframe_is_tidy_and_matches_the_arrays():
    eq = pr.solve(pr.TugOfWar(length=5, prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(), pr.costs.Quadratic(2.0)),
                              productivity=[1.0, 1.5, 2.0, 2.5], loser_prize=0.2))
    table = eq.to_dataframe()
    assert len(table) == 2 * 6
    assert list(table.columns) == ["position", "firm", "effort", "hazard", "value", "win_probability",
                                   "expected_duration"]
    assert table.position.tolist() == [k for k in range(6) for _ in (0, 1)] and table.firm.tolist() == [0, 1] * 6
    for row in table.itertuples():
        f, k = row.firm, row.position
        assert row.effort == eq.effort[f, k] and row.hazard == eq.hazard[f, k] and row.value == eq.value[f, k]
        assert row.win_probability == eq.win_probability[f, k] and row.expected_duration == eq.expected_duration[k]
    # K = 2 is the one-stage race: Lee-Wilde's closed form of docs/theory/race.md, read through the table
    one = pr.solve(pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).to_dataframe()
    x, v = lee_wilde(1.0, 1.0, 0.1)
    assert one.query("position == 1").effort.tolist() == pytest.approx([x, x], rel=1e-12)
    assert one.query("position == 1").value.tolist() == pytest.approx([v, v], rel=1e-12)


def test_damaged_and_foreign_tug_files_are_refused_by_name(tmp_path):
    import xarray as xr

    eq = pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    path = tmp_path / "tug.json"
    pr.save(eq, path)
    text = path.read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[:150])
    with pytest.raises(ResultFormatError, match=r"cut\.json: not JSON"):
        pr.load(cut)
    data = json.loads(text)
    data["value"][0][2] = np.nextafter(data["value"][0][2], 1.0)           # one ulp
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match=r"tug\.json: checksum mismatch"):
        pr.load(path)
    data = eq.to_dict()
    data["effort"][1].pop()                                               # one position fewer than the model's
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match=r"tug\.json: effort: expected shape \(2, 5\) for this model"):
        pr.load(path)
    data = eq.to_dict()
    data["hazard"][0][1] = None                                           # null must not become NaN silently
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFormatError, match="hazard: expected numbers, got None"):
        pr.load(path)
    data = eq.to_dict()
    data["model"]["length"] = 5                                           # a productivity per position of K = 4
    with pytest.raises(ResultFormatError, match=r"cannot be rebuilt: productivity for firm 0 must have one entry"):
        pr.TugEquilibrium.from_dict(data)
    data["model"]["productivity"] = None                                  # a valid model, but of other arrays
    with pytest.raises(ResultFormatError, match=r"data: effort: expected shape \(2, 6\) for this model"):
        pr.TugEquilibrium.from_dict(data)
    data["model"] = {**eq.model.to_dict(), "cost": [{"cost": "Cubic"}, {"cost": "Cubic"}]}
    with pytest.raises(ResultFormatError, match=r"model cannot be rebuilt: cost\[0\]: unknown cost family 'Cubic'"):
        pr.TugEquilibrium.from_dict(data)
    with pytest.raises(ResultFormatError, match="holds a TugEquilibrium, not a Equilibrium"):
        pr.Equilibrium.from_dict(eq.to_dict())
    race = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    with pytest.raises(ResultFormatError, match="holds a Equilibrium, not a TugEquilibrium"):
        pr.TugEquilibrium.from_dict(race.to_dict())
    netcdf = tmp_path / "tug.nc"
    pr.save(eq, netcdf)
    dataset = xr.load_dataset(netcdf, engine="scipy")
    dataset["effort"][0, 2] = 0.5                                         # an edited number, attributes kept
    dataset.to_netcdf(netcdf, engine="scipy")
    with pytest.raises(ResultFormatError, match=r"tug\.nc: checksum mismatch"):
        pr.load(netcdf)
    renamed = eq.to_xarray().rename({"position": "k"})
    expected = r"effort has dimensions \('firm', 'k'\), expected \('firm', 'position'\)"
    with pytest.raises(ResultFormatError, match=expected):
        pr.TugEquilibrium.from_xarray(renamed)


def test_a_tug_of_war_with_a_cost_of_ones_own_is_not_saved(tmp_path):
    class Cubic(pr.costs.Power):  # a cost family the data cannot name
        pass

    tug = pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(), Cubic(exponent=3.0)))
    assert tug.to_dict()["cost"][1]["unrestorable"].endswith("Cubic")
    with pytest.raises(ValueError, match=r"cost\[1\]: a .*Cubic was saved as its repr"):
        pr.TugOfWar.from_dict(tug.to_dict())
    with pytest.raises(ValueError, match=r"cost\[1\]: a .*Cubic was saved as its repr"):
        pr.save(pr.solve(tug), tmp_path / "tug.json")
    assert list(tmp_path.iterdir()) == []                               # nothing written, not even the partial file


# The hypothesis example of test_compiled_and_numpy_newton_agree that failed in a full run of the suite (the draws
# depend on the modules loaded): firm 0's efforts nearly underflow, so one position's total hazard is subnormal and
# its holding time 1 / (h0 + h1) exceeds the double range; pr.solve raised scipy's "array must not contain infs".
# lambda_0(k) for k = 1 .. 37, then lambda_1(k), as drawn
RATES_AS_DRAWN = """
0.7238447449474852 0.6494276021056185 1.6534043669417753 1.186477119585462 1.9211134735212918 0.7230123988097632
1.4189792944515196 0.6949897386923399 1.7607485991729819 1.5835579869280982 1.0115158790114842
0.6019425552474409 1.5435510062610163 1.8114028384449994 1.494076001553762 1.1452866060217066 1.3582858256182564
1.8052714253119928 1.0017836587583973 1.7455222033748103 1.8314329139355232 0.834946635273533 1.1290580412052988
1.4373345140780764 0.6802016792447817 1.554586601573718 0.712593077299041 1.0018909821732787 1.7442970806751903
0.9787093035384358 1.7841455095042833 1.568706293066809 1.1325368675335312 1.0845382224179254 1.0594772281348173
1.499794288168144 1.9946884339792932 0.8636593384991179 0.9445257968744085 1.1915791968214755 1.6694115359001493
1.4162034079490533 1.8512912447462708 0.9283515976838959 0.7620668754270692 1.8971921467658923
1.7768835916368708 1.9502953094431164 0.9372518808832275 1.006416212090084 0.9812303778553 1.6601258298820987
0.5859670125554116 1.883225455007278 1.104551452712486 0.9067503879758909 1.1481089290399082 1.9565670887895026
0.7052452450115351 1.2126252967939235 0.987735616705309 1.4664288486453643 1.2100804046117215 0.8755374516062837
0.8962607851841087 0.6204718440063888 1.2434783170089025 0.8483298577381202 1.3800925838615343
0.8676909757706261 0.8790967015906457 0.5503021716716703 1.5948902021610634 0.6758492525481608
"""
SUBNORMAL_HAZARD_RATES = [float(x) for x in RATES_AS_DRAWN.split()]


def exact_durations(up, down):
    """Expected time to absorption of the birth-death chain, in exact rational arithmetic (an independent path).

    A position where nobody moves is a stall: None there; no other position may step into one (asserted).
    """
    n = len(up)
    stall = [up[k] == 0.0 and down[k] == 0.0 for k in range(n)]
    rows = [[Fraction(0)] * (n + 1) for _ in range(n)]
    for k in range(n):
        rows[k][k] = Fraction(1) if stall[k] else Fraction(up[k]) + Fraction(down[k])
        rows[k][n] = Fraction(0) if stall[k] else Fraction(1)
        if k + 1 < n and not stall[k]:
            assert not (stall[k + 1] and up[k] > 0.0)
            rows[k][k + 1] = -Fraction(up[k])
        if k > 0 and not stall[k]:
            assert not (stall[k - 1] and down[k] > 0.0)
            rows[k][k - 1] = -Fraction(down[k])
    for k in range(n):                      # Gauss-Jordan; the diagonal is dominant, so no pivoting is needed
        pivot = rows[k][k]
        rows[k] = [x / pivot for x in rows[k]]
        for j in range(n):
            if j != k and rows[j][k] != 0:
                factor = rows[j][k]
                rows[j] = [a - factor * b for a, b in zip(rows[j], rows[k], strict=True)]
    return [None if stall[k] else rows[k][n] for k in range(n)]


def test_a_subnormal_total_hazard_gives_an_infinite_duration_not_a_crash():
    """Durations beyond the double range are inf, the others exact: against rational arithmetic, never NaN."""
    up, down = np.array([1e-300, 1e-320, 1.0]), np.array([1.0, 1e-320, 1.0])
    got = expected_duration(up, down)
    exact = exact_durations(up.tolist(), down.tolist())
    assert got[2] == got[3] == math.inf and exact[1] > exact[2] > 1e308      # holding time 1e320 at position 2
    assert got[1] == pytest.approx(float(exact[0]), rel=1e-12) and 1e19 < got[1] < 1e20
    tug = pr.TugOfWar(length=38, prize=4.972778134753204, discount=0.4456636281279755,
                      cost=(pr.costs.Power(scale=0.47940623303467245, exponent=2.0),
                            pr.costs.Power(scale=0.45106371048196003, exponent=1.5)),
                      loser_prize=0.8697696303514929,
                      productivity=(SUBNORMAL_HAZARD_RATES[:37], SUBNORMAL_HAZARD_RATES[37:]))
    eq = solved_quietly(tug)
    inner_up, inner_down = eq.hazard[0, 1:-1], eq.hazard[1, 1:-1]
    assert (inner_up + inner_down).min() < 1.0 / np.finfo(float).max          # the case: a subnormal total hazard
    assert not np.isnan(eq.expected_duration).any()
    exact = exact_durations(inner_up.tolist(), inner_down.tolist())
    largest = Fraction(float(np.finfo(float).max))
    for k, value in enumerate(exact, start=1):
        if value is None or value > largest:
            assert eq.expected_duration[k] == math.inf, k
        else:
            assert eq.expected_duration[k] == pytest.approx(float(value), rel=1e-9), k
