"""Every answer finite and checked (issue 21): the reproducers of shared/repro/reliability/.

Each case copies the numbers of its reproducer (named in its comment). The oracles are
independent of the solver: the jump chain in exact rational arithmetic on the returned
hazards (``exact_chain``), and the value of the returned efforts evaluated in 50-digit
arithmetic (``policy_values``).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import patentrace as pr
from patentrace.costs import Power
from patentrace.errors import EquilibriumError
from patentrace.results import chain
from patentrace.results.verification import certify, check_finite

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
FLOAT_MAX = Fraction(np.finfo(float).max)


def fuzz_race(p: dict) -> pr.Race:
    """A race of fuzz.py's parameter dictionaries."""
    return pr.Race(stages=tuple(p["stages"]), prize=p["prize"], discount=p["discount"],
                   cost=tuple(Power(**c) for c in p["cost"]), loser_prize=p["loser_prize"],
                   productivity=p["productivity"], breakthrough=p["breakthrough"])


# fuzz case 136 (nan_win_probability.py): efforts of 1e-317 at (1, j), NaN win probabilities
CASE_136 = pr.Race(stages=(17, 17), prize=4.79519715663773, discount=0.0004220275302717535,
                   cost=(pr.costs.Quadratic(scale=578.1549601726527),
                         pr.costs.Quadratic(scale=0.002956447571760869, linear=2.1701243941257595)))
# fuzz race 9213 (inf_win_probability.py): hazards 1.8e-320 at (1, 1), win probability inf
CASE_9213 = {"stages": [7, 7], "prize": 1.5128721021470256e-06, "discount": 2.13477915138347,
             "cost": [{"scale": 3638.173867299564, "exponent": 2.0, "linear": 0.0}] * 2,
             "loser_prize": 0.0, "productivity": None, "breakthrough": None}
# fuzz race 7349 (hjb_residual.py): residual 3.7e-3 at (15, 11)
CASE_7349 = {
    "stages": [28, 28], "prize": 3204.6675357830954, "discount": 7.068363733912412e-06,
    "cost": [{"scale": 7.261417493084891e-06, "exponent": 1.160589844588963, "linear": 0.0}] * 2,
    "loser_prize": 0.0,
    "productivity": [33.69139469280537, 0.07821613074640764, 24.536537621049288, 0.2841988371393534,
                     0.2877353988821586, 15.609285284711094, 0.023340700729626362, 0.2684250945002578,
                     0.4493936002251506, 0.039620953349947335, 0.5782289215711526, 0.01039949894424619,
                     0.4417010128455692, 56.41465340339006, 0.07171047384480181, 29.805961624752893,
                     0.04183097300385881, 0.8981839828687197, 0.05210026109333176, 1.9588534666614164,
                     0.4832320765773161, 0.07468364516079676, 1.9384523558381315, 2.135884937125188,
                     3.8291743611318765, 0.25649140457093667, 0.9384011477057408, 7.304361002906241],
    "breakthrough": [3.30244840470615e-05, 2.792577750289236e-06, 4.070765542708909e-06, 4.759614686284051e-06,
                     1.1366746632962292e-05, 9.8529846463783e-06, 7.19808194613484e-06, 5.856987682552984e-06,
                     1.4990077652102873e-05, 3.2577079736398755e-05, 1.8499210159207417e-06, 3.191824875172e-05,
                     2.6681810652376743e-05, 1.6355477966772954e-06, 9.203928165958874e-06, 4.664608839043064e-06,
                     3.2225803078615236e-05, 1.0835880920186076e-05, 1.0600815320762291e-05, 3.035305165050712e-06,
                     2.433147698843515e-05, 4.2870509861124266e-06, 1.1639624027457488e-05, 2.949549705169087e-05,
                     3.189463787082614e-05, 1.2086216958989966e-05, 1.3640282253697923e-05, 1.9548585824407976e-05],
}
# fuzz races 472 and 2897 (fuzz/cases/*.json): verify_residual 1.3e-7 and 1.6e-7 under the old scale
CASE_472 = {"stages": [5, 5], "prize": 38029.12164937577, "discount": 2.7493602371933738e-06,
            "cost": [{"scale": 6.769239588423998e-06, "exponent": 1.0673290657043402, "linear": 0.0}] * 2,
            "loser_prize": 0.0, "productivity": [0.4172407265398174, 0.639690250815068, 0.9807374758964097,
                                                  1.5036120925746712, 2.3052543422696576], "breakthrough": None}
CASE_2897 = {"stages": [5, 5], "prize": 2392.577260798765, "discount": 1.267448644432112e-06,
             "cost": [{"scale": 8.571953852259132e-06, "exponent": 1.4475536324799205, "linear": 0.0}] * 2,
             "loser_prize": 2121.7395777543684, "productivity": None, "breakthrough": None}


def exact_chain(eq: pr.Equilibrium) -> tuple[list, list]:
    """Win probabilities and expected durations from the returned hazards, in exact rationals."""
    race = eq.model
    n1, n2 = race.stages
    jump = race.breakthrough_hazard()
    win = [[[Fraction(0)] * (n2 + 1) for _ in range(n1 + 1)] for _ in range(2)]
    time = [[Fraction(0)] * (n2 + 1) for _ in range(n1 + 1)]
    for j in range(n2):
        win[0][n1][j] = Fraction(1)
    for i in range(n1):
        win[1][i][n2] = Fraction(1)
    for i in range(n1 - 1, -1, -1):
        for j in range(n2 - 1, -1, -1):
            h = [Fraction(float(eq.hazard[k, i, j])) for k in (0, 1)]
            b = [Fraction(0), Fraction(0)] if jump is None else [Fraction(float(jump[k, i, j])) for k in (0, 1)]
            total = h[0] + h[1] + b[0] + b[1]
            if total == 0:
                win[0][i][j] = win[1][i][j] = Fraction(0)
                time[i][j] = None  # a stall: never ends
                continue
            for k in (0, 1):
                win[k][i][j] = (h[0] * win[k][i + 1][j] + h[1] * win[k][i][j + 1] + b[k]) / total
            later = [time[i + 1][j] if h[0] else 0, time[i][j + 1] if h[1] else 0]
            time[i][j] = None if None in later else (1 + h[0] * later[0] + h[1] * later[1]) / total
    return win, time


def assert_chain_exact(eq: pr.Equilibrium) -> None:
    win, time = exact_chain(eq)
    n1, n2 = eq.model.stages
    for i in range(n1):
        for j in range(n2):
            for k in (0, 1):
                assert eq.win_probability[k, i, j] == pytest.approx(float(win[k][i][j]), rel=1e-12, abs=1e-15)
            returned = eq.expected_duration[i, j]
            if time[i][j] is None or time[i][j] > FLOAT_MAX:  # a stall, or beyond the float range
                assert returned == math.inf
            else:
                assert returned == pytest.approx(float(time[i][j]), rel=1e-12)


def policy_values(eq: pr.Equilibrium) -> np.ndarray:
    """The value of the returned efforts, V = [-c + h A + h' B + b P + b' L] / (r + h + h' + b + b'), 50 digits."""
    race = eq.model
    n1, n2 = race.stages
    with mpmath.workdps(50):
        prize, loser, r = mpmath.mpf(race.prize), mpmath.mpf(race.loser_prize), mpmath.mpf(race.discount)
        value = [[[mpmath.mpf(0)] * (n2 + 1) for _ in range(n1 + 1)] for _ in range(2)]
        for j in range(n2):
            value[0][n1][j], value[1][n1][j] = prize, loser
        for i in range(n1):
            value[0][i][n2], value[1][i][n2] = loser, prize
        value[0][n1][n2] = value[1][n1][n2] = (prize + loser) / 2  # the unreachable corner's convention
        lam = [race.productivity_array(0), race.productivity_array(1)]
        jump = [race.breakthrough_array(0), race.breakthrough_array(1)]
        for i in range(n1 - 1, -1, -1):
            for j in range(n2 - 1, -1, -1):
                x = [mpmath.mpf(float(eq.effort[k, i, j])) for k in (0, 1)]
                h = [mpmath.mpf(float(lam[0][i])) * x[0], mpmath.mpf(float(lam[1][j])) * x[1]]
                b = [mpmath.mpf(float(jump[0][i])), mpmath.mpf(float(jump[1][j]))]
                after = [(value[0][i + 1][j], value[0][i][j + 1]), (value[1][i][j + 1], value[1][i + 1][j])]
                for k in (0, 1):
                    c = race.cost[k]
                    cost = c.linear * x[k] + mpmath.mpf(c.scale) * x[k] ** mpmath.mpf(c.exponent) / c.exponent
                    own, rival = after[k]
                    value[k][i][j] = ((-cost + h[k] * own + h[1 - k] * rival + b[k] * prize + b[1 - k] * loser)
                                      / (r + h[0] + h[1] + b[0] + b[1]))
        return np.array([[[float(v) for v in row] for row in value[k]] for k in (0, 1)])


def assert_finite(eq: pr.Equilibrium) -> None:
    for name in ("effort", "hazard", "value", "win_probability"):
        assert np.isfinite(getattr(eq, name)).all(), name
    assert not np.isnan(eq.expected_duration).any()
    assert (eq.win_probability >= 0.0).all() and (eq.win_probability <= 1.0).all()
    assert (eq.win_probability[0] + eq.win_probability[1] <= 1.0 + 1e-12).all()


def test_subnormal_efforts_give_exact_win_probabilities_case_136():
    # nan_win_probability.py: 29 NaN win probabilities at (1, j), effort 1.03e-317 at (1, 0)
    eq = pr.solve(CASE_136)
    assert_finite(eq)
    assert 0.0 < eq.hazard[0, 1, 0] < 1e-300 and eq.hazard[1, 1, 0] == 0.0
    assert eq.win_probability[:, 1, 0].tolist() == eq.win_probability[:, 2, 0].tolist()  # only firm 0 moves
    assert eq.expected_duration[1, 0] == math.inf  # about 1e317: beyond the float range
    assert_chain_exact(eq)
    report = pr.leapfrog(eq, state=(1, 0))
    assert report.follower_win_probability == eq.win_probability[1, 1, 0]


def test_subnormal_hazards_give_no_inf_case_9213():
    # inf_win_probability.py: win_probability = inf at (1, 1), hazards 1.8e-320 each
    eq = pr.solve(fuzz_race(CASE_9213))
    assert_finite(eq)
    assert 0.0 < eq.hazard[0, 1, 1] == eq.hazard[1, 1, 1] < 1e-300
    assert eq.win_probability[:, 1, 1].tolist() == [0.5, 0.5]
    assert_chain_exact(eq)
    report = pr.leapfrog(eq, (0, 1))
    probabilities = [report.follower_win_probability, report.leapfrog_probability, report.catch_up_probability]
    assert np.isfinite(probabilities).all()
    simulated = pr.simulate(eq, (1, 1), paths=4000, seed=3)
    assert simulated.win_frequency.tolist() == pytest.approx([0.5, 0.5], abs=0.03)  # 4 standard errors
    assert simulated.mean_duration == math.inf and not math.isnan(simulated.duration_standard_error)


def test_chain_with_rates_at_both_ends_of_the_float_range():
    for rates in ((1e-320, 3e-320), (1e308, 1e308), (5e-324, 1e308)):
        hazard = np.zeros((2, 2, 2))
        hazard[:, 0, 0] = rates
        win = chain.win_probability(hazard)
        exact = Fraction(rates[0]) / (Fraction(rates[0]) + Fraction(rates[1]))
        assert win[0, 0, 0] == pytest.approx(float(exact), rel=1e-15)
        assert win[0, 0, 0] + win[1, 0, 0] == pytest.approx(1.0, rel=1e-15)
        duration = chain.expected_duration(hazard)[0, 0]
        true = 1 / (Fraction(rates[0]) + Fraction(rates[1]))
        assert duration == (math.inf if true > FLOAT_MAX else pytest.approx(float(true), rel=1e-15))
    stalled = np.zeros((2, 2, 2))
    assert chain.win_probability(stalled)[:, 0, 0].tolist() == [0.0, 0.0]
    assert chain.expected_duration(stalled)[0, 0] == math.inf


def test_breakthrough_values_keep_their_digits_case_7349():
    # hjb_residual.py: residual 3.7e-3 at (15, 11) for firm 1; V = 1.777e-4 came out as V - K + K with
    # K = 2346, losing 9 digits. The values are now the values of the returned efforts to rounding.
    eq = pr.solve(fuzz_race(CASE_7349))  # the residual is checked by default: it passes
    assert eq.residual().max() < 1e-13
    exact = policy_values(eq)
    assert eq.value[1, 15, 11] == pytest.approx(exact[1, 15, 11], rel=1e-13)
    np.testing.assert_allclose(eq.value, exact, rtol=1e-10, atol=0.0)  # far behind, -c + h A cancels
    assert max(eq.verify()) < 1e-8


@pytest.mark.parametrize("case", [CASE_472, CASE_2897], ids=["472", "2897"])
def test_residual_is_relative_to_the_value_scale(case):
    # fuzz cases 472 and 2897: residual 1.3e-7 and 1.6e-7 under the old scale |r V| + h |A - V| + ...,
    # for values that are the returned efforts' values to the conditioning of -c + h A + h' B
    # (6.6e-12 relative far behind, where the nearly linear cost cancels h A; the old scale said 1e-7)
    # rtol: the all-roots states of the hybrid path (9 of 36 in race 472) reach 1.2e-10 at the
    # far-behind value 1.8e-37, where -c(x) + h A cancels; the old defect was 3.6e-9 (race 7349)
    eq = pr.solve(fuzz_race(case))
    np.testing.assert_allclose(eq.value, policy_values(eq), rtol=5e-10, atol=0.0)
    assert eq.residual().max() < 1e-13


@pytest.mark.parametrize("prize", [1e-300, 2.2250738585072014e-308])  # 5e-324 is refused (test_validation)
def test_tiny_prizes_have_no_nan_residual(prize):
    # tiny_prize_verify_nan.py and bad_detail.py sections A, A2: residual NaN at prize 1e-300 and 5e-324
    race = pr.Race(stages=(3, 2), prize=prize, discount=0.1, cost=pr.costs.Quadratic())
    eq = pr.solve(race, verify=True)
    assert not np.isnan(eq.residual()).any()
    gain, residual = eq.verify()
    assert gain == 0.0 and residual <= 1e-8
    assert_finite(eq)


def test_post_solve_check_names_the_array_and_state():
    eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    win = eq.win_probability.copy()
    win[1, 2, 1] = np.nan
    with pytest.raises(EquilibriumError, match=r"non-finite win_probability of firm 1 at state \(2, 1\)"):
        certify(dataclasses.replace(eq, win_probability=win), 1e-8)
    duration = eq.expected_duration.copy()
    duration[0, 1] = np.inf  # documented: a stall, or beyond the float range
    certify(dataclasses.replace(eq, expected_duration=duration), 1e-8)
    duration[0, 1] = np.nan
    with pytest.raises(EquilibriumError, match=r"expected_duration at state \(0, 1\)"):
        certify(dataclasses.replace(eq, expected_duration=duration), 1e-8)
    with pytest.raises(EquilibriumError, match="non-finite strategy_0 at state"):
        check_finite({"strategy_0": np.full((2, 2, 3), np.nan)})


def test_residual_is_checked_by_default(monkeypatch: pytest.MonkeyPatch):
    import patentrace.solvers as solvers

    race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    good = solvers.solve_race(race)
    value = good.value.copy()
    value[0, 1, 1] *= 1.0 + 1e-6  # a value wrong by 1e-6: the residual is about 1e-6
    monkeypatch.setattr(solvers, "solve_race", lambda *a, **k: dataclasses.replace(good, value=value))
    with pytest.raises(EquilibriumError, match=r"HJB residual above tolerance for firm 0 at state") as caught:
        pr.solve(race)
    assert caught.value.state in {(1, 1), (0, 1), (1, 0)}  # the state or a state whose continuation it is
    assert 1e-7 < caught.value.details["HJB_residual"] < 1e-5
    pr.solve(race, tolerance=1e-5)  # within a looser tolerance
    nan_value = value.copy()
    nan_value[1, 0, 0] = np.nan
    monkeypatch.setattr(solvers, "solve_race", lambda *a, **k: dataclasses.replace(good, value=nan_value))
    with pytest.raises(EquilibriumError, match=r"non-finite value of firm 1 at state \(0, 0\)"):
        pr.solve(race)


@pytest.mark.parametrize("tolerance", [float("nan"), -1.0, 0.0, float("inf")])
def test_tolerance_must_be_positive_and_finite(tolerance):
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    with pytest.raises(ValueError, match="tolerance must be a finite number > 0"):
        pr.solve(race, tolerance=tolerance)


def test_underflow_warning_does_not_hide_checks():
    with pytest.warns(pr.UnderflowWarning, match="below the float range"):
        eq = pr.solve(CASE_136)
    assert eq.underflow.any() and np.isfinite(eq.win_probability).all()


@pytest.mark.parametrize("case", [CASE_472, CASE_2897, CASE_9213], ids=["472", "2897", "9213"])
def test_compiled_residual_equals_the_numpy_formula(case):
    from patentrace.results.residual_kernel import power_residual
    from patentrace.results.verification import numpy_residual

    eq = pr.solve(fuzz_race(case))
    tampered = dataclasses.replace(eq, value=eq.value * (1.0 + 1e-9 * (eq.effort[::-1] > 0)))  # nonzero residuals
    for solved in (eq, tampered):
        np.testing.assert_allclose(power_residual(solved, max(1e-290 * solved.model.prize, 2.2250738585072014e-308)),
                                   numpy_residual(solved), rtol=1e-9, atol=1e-15)  # rounding-level residuals differ
    assert numpy_residual(tampered).max() > 1e-10


def test_lagged_simulation_with_rare_moves_does_not_saturate():
    # a move probability of 2e-20 per period: numpy's geometric draws saturate at 2**63 - 1 = 9.2e18 periods,
    # below the mean 1 / 2e-20 = 5e19 that the period chain gives exactly
    rare = pr.Action(0.0, {1: 1e-20, 0: 1.0})
    eq = pr.solve(pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=1e-25, actions=[rare]))
    assert eq.expected_duration[0, 0] == pytest.approx(5e19, rel=1e-12)
    simulated = pr.simulate(eq, (0, 0), paths=4000, seed=1)
    assert abs(simulated.mean_duration - 5e19) < 4 * simulated.duration_standard_error
