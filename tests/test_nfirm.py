"""Races with more than two firms (issue 17): the model, the per-state game, the solver, verification.

Numbers come from the closed form of the symmetric one-stage race (docs/theory/race.md (20)),
the two-firm solver (a second solver path), the two-firm results of the package before
issue 17 (tests/oracles/two_firm_before_nfirm.json), the 60-digit oracle of
tests/oracle_quadratic.py, and invariants (permutation symmetry, no profitable deviation).
"""

import ctypes
import itertools
import json
import math
import shutil
import subprocess
from pathlib import Path

import mpmath as mp
import numpy as np
import oracle_quadratic as oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples, races

import patentrace as pr
from patentrace.equations.nfirm import StateGames
from patentrace.models.nfirm_lattice import Lattice, check_state
from patentrace.results import verification
from patentrace.results.nfirm import chain_arrays, hitting_probability
from patentrace.solvers import nfirm_kernels, nfirm_sweep
from patentrace.solvers.nfirm import find_equilibria, solve_nfirm

ORACLES = Path(__file__).parent / "oracles"
ARRAYS = ("effort", "hazard", "value", "win_probability", "expected_duration", "multiplicity")


def lee_wilde(firms: int, prize: float, loser: float, discount: float, scale: float) -> tuple[float, float]:
    """docs/theory/race.md (20): the symmetric one-stage race of ``n`` firms, quadratic cost ``a x^2 / 2``."""
    n, p, a, r = firms, prize, scale, discount
    slope = (n - 1) * (p - loser) - a * r
    effort = (slope + math.sqrt(slope * slope + 4.0 * a * (n - 0.5) * r * p)) / (2.0 * a * (n - 0.5))
    return effort, p - a * effort


# --- the model ------------------------------------------------------------------------------------------------


def test_per_firm_parameters_take_one_value_or_one_per_firm():
    q, p = pr.costs.Quadratic(), pr.costs.Power(scale=2.0, exponent=3.0)
    race = pr.Race(stages=(3, 1, 2), prize=1.0, discount=0.1, cost=[q, p, q], productivity=[1.0, 2.0, 3.0],
                   breakthrough=([0.0, 0.1, 0.2], [0.3], [0.4, 0.5]))
    assert race.firms == 3 and race.shape == (4, 2, 3)
    assert race.cost == (q, p, q)
    assert race.productivity == ((1.0, 2.0, 3.0), (1.0,), (1.0, 2.0))
    assert race.breakthrough == ((0.0, 0.1, 0.2), (0.3,), (0.4, 0.5))
    hazard = race.breakthrough_hazard()
    assert hazard.shape == (3, 4, 2, 3)
    assert hazard[0, 2, 0, 1] == 0.2 and hazard[1, 1, 0, 2] == 0.3 and hazard[2, 0, 1, 1] == 0.5
    assert hazard[1, 0, 1, 0] == 0.0  # firm 1 has finished
    assert pr.Race.from_dict(json.loads(json.dumps(race.to_dict()))) == race


@pytest.mark.parametrize(("changes", "name"), [
    ({"stages": (2,)}, r"stages must be one int >= 1 or one per firm for at least 2 firms, got 1"),
    ({"stages": ()}, "stages"),
    ({"stages": (2, 2, 0)}, r"stages must be >= 1, got 0"),
    ({"cost": (pr.costs.Quadratic(),) * 2}, r"cost must be one value or one per firm \(3 firms"),
    ({"cost": (pr.costs.Quadratic(),) * 4}, r"cost must be one value or one per firm \(3 firms.*got 4"),
    ({"productivity": ([1.0, 1.0], [1.0, 1.0])}, r"productivity as one sequence per firm needs exactly 3"),
    ({"breakthrough": ([0.1], [0.1], [0.1], [0.1])}, r"breakthrough as one sequence per firm needs exactly 3"),
    ({"productivity": [1.0]}, r"productivity for firm 0 must have one entry per stage \(2\)"),
])
def test_bad_input_names_the_parameter(changes, name):
    arguments = {"stages": (2, 2, 2), "prize": 1.0, "discount": 0.1, "cost": pr.costs.Quadratic(), **changes}
    with pytest.raises(ValueError, match=name):
        pr.Race(**arguments)


@pytest.mark.parametrize("state", [(0, 0), (0, 0, 0, 0), (3, 0, 0), (2, 2, 0), (0, -1, 0), (0.5, 0, 0), "000"])
def test_a_state_of_the_wrong_length_or_range_is_refused(state):
    with pytest.raises(ValueError, match="state"):
        check_state(state, (2, 2, 2))


# --- two firms: nothing changes -----------------------------------------------------------------------------


def test_two_firms_equal_the_results_before_issue_17_to_the_last_digit():
    data = json.loads((ORACLES / "two_firm_before_nfirm.json").read_text())
    for case in data["races"]:
        race = pr.Race.from_dict(case["model"])
        eq = pr.solve(race)
        assert type(eq) is pr.Equilibrium
        for name in ARRAYS:
            np.testing.assert_array_equal(getattr(eq, name), np.asarray(case[name]), err_msg=name)


@settings(max_examples=examples(25))
@given(races(max_stages=5))
def test_two_firms_stated_per_firm_are_the_same_race_and_the_same_equilibrium(race):
    # The n-firm spellings (lists per firm) of a two-firm race build the same race, solved by the same code.
    spelled = pr.Race(stages=list(race.stages), prize=race.prize, discount=race.discount, cost=list(race.cost),
                      loser_prize=race.loser_prize, productivity=[list(v) for v in race.productivity],
                      breakthrough=[list(v) for v in race.breakthrough])
    assert spelled == race and spelled.firms == 2
    first, second = pr.solve(race), pr.solve(spelled)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)
    assert first.solver.options["path"] == second.solver.options["path"] != "nfirm"


@settings(max_examples=examples(25))
@given(races(max_stages=4))
def test_the_n_firm_solver_on_two_firms_agrees_with_the_two_firm_solver(race):
    two, many = pr.solve(race), solve_nfirm(race)
    scale = race.prize
    np.testing.assert_allclose(many.value, two.value, rtol=1e-10, atol=1e-12 * scale)
    np.testing.assert_allclose(many.hazard, two.hazard, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(many.win_probability, two.win_probability, rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(many.multiplicity, two.multiplicity)


# --- the per-state game -------------------------------------------------------------------------------------


def test_the_search_finds_the_three_equilibria_of_the_60_digit_oracle_with_an_idle_third_firm():
    # docs/solver.md, "Where multiplicity comes from": P = 1, L = 0.8, r = 0.002, one stage, costs
    # 0.27 x + 0.25 x^2 and 0.27 x + 0.4 x^2; a third firm whose participation cost exceeds every gain idles.
    scales, linear = (0.5, 0.8), 0.27
    firms = [oracle.QuadraticFirm(a, linear) for a in scales]
    one = mp.mpf(1)
    exact = oracle.state_equilibria(firms, (one, one), (one, one), (mp.mpf(0.8), mp.mpf(0.8)), mp.mpf(0.002))
    assert len(exact) == 3
    costs = tuple(pr.costs.Quadratic(scale=a, linear=linear) for a in scales)
    for idle in (False, True):
        n = 3 if idle else 2
        cost = (*costs, pr.costs.Quadratic(scale=1.0, linear=5.0)) if idle else costs
        games = StateGames(np.ones((n, 1)), np.full((n, n, 1), 0.8), np.ones((n, 1)), np.array([0.002]), cost)
        found = find_equilibria(games, np.zeros((n, 1), dtype=np.intp))
        assert found.count.tolist() == [3] and not found.supermodular[0]
        ours = sorted(map(tuple, found.effort[:2].T.tolist()))
        theirs = sorted((float(a), float(b)) for a, b in exact)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)
        if idle:
            assert np.all(found.effort[2] == 0.0)


def test_the_selection_rules_pick_among_the_three_equilibria():
    costs = (pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27),
             pr.costs.Quadratic(scale=1.0, linear=5.0))
    race = pr.Race(stages=1, prize=1.0, loser_prize=0.8, discount=0.002, cost=costs[:2])
    many = pr.Race(stages=(1, 1, 1), prize=1.0, loser_prize=0.8, discount=0.002, cost=costs)
    for rule in ("fastest", "slowest", "richest"):
        two, three = pr.solve(race, selection=rule), pr.solve(many, selection=rule, verify=True)
        assert three.multiplicity[0, 0, 0] == 3
        np.testing.assert_allclose(three.effort[:2, 0, 0, 0], two.effort[:, 0, 0], rtol=1e-12)


# --- the symmetric one-stage race: closed form --------------------------------------------------------------


@given(firms=st.integers(2, 8), prize=st.floats(0.5, 5.0), loser=st.floats(0.0, 0.3), discount=st.floats(1e-3, 1.0),
       scale=st.floats(0.2, 5.0))
def test_the_symmetric_one_stage_race_matches_its_closed_form(firms, prize, loser, discount, scale):
    race = pr.Race(stages=(1,) * firms, prize=prize, loser_prize=loser * prize, discount=discount,
                   cost=pr.costs.Quadratic(scale=scale))
    eq = pr.solve(race)
    effort, value = lee_wilde(firms, prize, loser * prize, discount, scale)
    start = (slice(None), *(0,) * firms)
    np.testing.assert_allclose(eq.effort[start], effort, rtol=1e-12, atol=0)
    np.testing.assert_allclose(eq.value[start], value, rtol=1e-12, atol=0)
    np.testing.assert_allclose(eq.win_probability[start], 1.0 / firms, rtol=1e-12)
    assert eq.expected_duration[(0,) * firms] == pytest.approx(1.0 / (firms * effort), rel=1e-12)


# --- symmetry under every permutation of the firms ----------------------------------------------------------


def permuted(array: np.ndarray, order: tuple[int, ...], per_firm: bool) -> np.ndarray:
    """``array`` with firms relabelled: new firm ``k`` is old firm ``order[k]`` (its state axis too)."""
    if per_firm:
        return np.transpose(array, [0, *(1 + k for k in order)])[list(order)]
    return np.transpose(array, order)


@settings(max_examples=examples(12))
@given(n=st.integers(3, 4), stages=st.integers(1, 3), prize=st.floats(0.5, 3.0), loser=st.floats(0.0, 0.4),
       discount=st.floats(0.01, 1.0), scale=st.floats(0.3, 3.0), exponent=st.floats(1.6, 3.5),
       linear=st.floats(0.0, 0.05), alike=st.booleans())
def test_symmetric_races_are_symmetric_under_every_permutation(n, stages, prize, loser, discount, scale, exponent,
                                                               linear, alike):
    # alike: the solver sees interchangeable firms (one state per orbit). Otherwise firm 0's cost is a Quadratic and
    # the others' the equal Power with exponent 2 (a different class): every state is solved on its own, and the
    # symmetry has to come out of the solver.
    if alike:
        costs = (pr.costs.Power(scale=scale, exponent=exponent, linear=linear),) * n
    else:
        costs = (pr.costs.Quadratic(scale=scale, linear=linear),
                 *(pr.costs.Power(scale=scale, exponent=2.0, linear=linear),) * (n - 1))
    race = pr.Race(stages=(stages,) * n, prize=prize, loser_prize=loser * prize, discount=discount, cost=costs)
    eq = pr.solve(race)
    for order in itertools.permutations(range(n)):
        for name in ("effort", "value", "win_probability"):
            array = getattr(eq, name)
            np.testing.assert_allclose(permuted(array, order, True), array, rtol=1e-12, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(permuted(eq.expected_duration, order, False), eq.expected_duration, rtol=1e-12)


def test_a_race_of_alike_firms_that_the_solver_cannot_see_is_solved_state_by_state_and_still_symmetric():
    cost = pr.costs.Power(scale=1.0, exponent=2.0)
    same = pr.Race(stages=(2, 2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    hidden = pr.Race(stages=(2, 2, 2), prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(), cost, cost))
    first, second = pr.solve(same), pr.solve(hidden)
    np.testing.assert_allclose(second.value, first.value, rtol=1e-13)
    np.testing.assert_allclose(second.effort, first.effort, rtol=1e-12)
    for order in itertools.permutations(range(3)):
        np.testing.assert_allclose(permuted(second.effort, order, True), second.effort, rtol=1e-12)


# --- verify() on random races of 3 and 4 firms --------------------------------------------------------------


@st.composite
def many_firm_races(draw: st.DrawFn) -> pr.Race:
    n = draw(st.integers(3, 4))
    stages = tuple(draw(st.integers(1, 3 if n == 3 else 2)) for _ in range(n))
    prize = draw(st.floats(0.5, 5.0))
    loser = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.5))) * prize
    costs = tuple(pr.costs.Power(scale=draw(st.floats(0.2, 5.0)), exponent=draw(st.one_of(st.just(2.0),
                                 st.floats(1.5, 4.0))), linear=draw(st.one_of(st.just(0.0), st.floats(0.0, 0.2))))
                  for _ in range(n))
    top = max(stages)
    productivity = draw(st.one_of(st.none(), st.lists(st.floats(0.3, 3.0), min_size=top, max_size=top)))
    breakthrough = draw(st.one_of(st.none(), st.lists(st.floats(0.0, 0.2), min_size=top, max_size=top)))
    return pr.Race(stages=stages, prize=prize, loser_prize=loser, discount=10.0 ** draw(st.floats(-3.0, 0.0)),
                   cost=costs, productivity=productivity, breakthrough=breakthrough)


@settings(max_examples=examples(30))
@given(many_firm_races())
def test_verify_finds_no_profitable_deviation_in_random_races_of_3_and_4_firms(race):
    eq = pr.solve(race)
    assert isinstance(eq, pr.NFirmEquilibrium) and eq.effort.shape == (race.firms, *race.shape)
    gain, residual = eq.verify()
    assert gain <= 1e-10 and residual <= 1e-10
    # Probabilities: each firm's win probability in [0, 1], summing to 1 where the race cannot stall.
    total = eq.win_probability.sum(axis=0)
    moving = np.isfinite(eq.expected_duration)
    np.testing.assert_allclose(total[moving], 1.0, rtol=1e-12)
    assert np.all(eq.multiplicity[(slice(0, -1),) * race.firms] >= 1)


def test_verify_catches_a_wrong_effort():
    eq = pr.solve(pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    effort = np.array(eq.effort)
    effort[0, 0, 0, 0] *= 0.5
    wrong = pr.NFirmEquilibrium(model=eq.model, solver=eq.solver, effort=effort, hazard=effort, value=eq.value,
                                win_probability=eq.win_probability, expected_duration=eq.expected_duration,
                                multiplicity=eq.multiplicity)
    gain, residual = wrong.verify()
    assert gain > 1e-4 and residual > 1e-4
    with pytest.raises(pr.EquilibriumError, match=r"HJB residual above tolerance for firm 0 at state \(0, 0, 0\)"):
        wrong.certify(1e-8)


# --- the compiled certificate ---------------------------------------------------------------------------------


@settings(max_examples=examples(15))
@given(many_firm_races())
def test_the_compiled_certificate_agrees_with_the_numpy_path(race):
    fast, slow = solve_nfirm(race), solve_nfirm(race, compiled=False)
    np.testing.assert_array_equal(fast.multiplicity, slow.multiplicity)
    np.testing.assert_allclose(fast.value, slow.value, rtol=1e-10, atol=1e-13 * race.prize)
    np.testing.assert_allclose(fast.hazard, slow.hazard, rtol=1e-8, atol=1e-12 * race.prize)
    assert slow.solver.options["contracted_states"] == 0


@st.composite
def state_games(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
    """One state's game for the compiled kernels: ``par``, ``after``, ``r`` and a box ``[lo, hi]`` in ``[0, X]``.

    ``after[k, l] = B_kl`` with ``A_k`` on the diagonal; the box is any width from 1e-6 of ``X`` to all of it.
    """
    n = draw(st.integers(3, 4))
    unit = st.floats(0.0, 1.0)
    after = np.array([[draw(unit) for _ in range(n)] for _ in range(n)])
    cost = np.array([[draw(st.floats(0.2, 5.0)), draw(st.one_of(st.just(2.0), st.floats(1.5, 4.0))),
                      draw(st.one_of(st.just(0.0), st.floats(0.0, 0.2)))] for _ in range(n)])
    lam = np.array([draw(st.floats(0.3, 3.0)) for _ in range(n)])
    r = 10.0 ** draw(st.floats(-3.0, 0.0))
    par = nfirm_sweep._power_parameters(cost)
    par[:, nfirm_kernels._OWN], par[:, nfirm_kernels._LAM] = np.diag(after), lam
    par[:, nfirm_kernels._INV_LAM] = 1 / lam
    bound = np.empty(n)
    nfirm_sweep._effort_bound(par, after, bound)
    games = StateGames(np.diag(after)[:, None].copy(), after[:, :, None].copy(), lam[:, None], np.array([r]),
                       tuple(pr.costs.Power(scale=a, exponent=g, linear=m) for a, g, m in cost))
    np.testing.assert_allclose(bound, games.effort_bound()[:, 0], rtol=1e-14, atol=0)  # the numpy path's bound
    centre = np.array([draw(unit) for _ in range(n)])
    width = 10.0 ** draw(st.floats(-6.0, 0.0))
    lo, hi = bound * np.maximum(centre - width, 0.0), bound * np.minimum(centre + width, 1.0)
    return par, after, r, lo, hi


def best_responses(par: np.ndarray, after: np.ndarray, r: float, points: np.ndarray) -> np.ndarray:
    out = np.empty_like(points)
    for point, response in zip(points, out, strict=True):
        nfirm_kernels._responses(par, after, r, point, response)
    return out


def points_in(lo: np.ndarray, hi: np.ndarray, seed: int) -> np.ndarray:
    """Every corner of the box and 40 points inside it, drawn with a fixed seed."""
    corners = np.array(list(itertools.product(*zip(lo, hi, strict=True))))
    inside = lo + (hi - lo) * np.random.default_rng(seed).random((40, lo.size))
    return np.concatenate([corners, inside])


@settings(max_examples=examples(60))
@given(state_games(), st.integers(0, 2**16))
def test_the_fast_certificates_enclosure_holds_every_best_response_over_its_box(game, seed):
    # The step every certified equilibrium rests on (nfirm_kernels._enclose_firm): no fixed point in the box escapes
    # it, because BR over the box lies in [low, high], checked here at the box's corners and at random points.
    par, after, r, lo, hi = game
    n = lo.size
    low, high, fastest, surplus = np.zeros(n), np.zeros(n), np.empty(n), np.empty((n, n))
    nfirm_kernels._surplus(par, after, r, surplus)
    for k in range(n):
        nfirm_kernels._enclose_firm(par, after, r, surplus, lo, hi, low, high, fastest, k)
    response = best_responses(par, after, r, points_in(lo, hi, seed))
    slack = 1e-12 * max(float(hi.max()), 1e-300)
    assert np.all(response >= low - slack) and np.all(response <= high + slack)
    hazard = par[:, nfirm_kernels._LAM] * lo
    slowest_rivals = [r + sum(hazard[m] for m in range(n) if m != k) for k in range(n)]
    assert np.all(fastest <= np.array(slowest_rivals) / par[:, nfirm_kernels._LAM] * (1 + 1e-15))


@settings(max_examples=examples(60))
@given(state_games(), st.integers(0, 2**16))
def test_where_the_fast_certificate_finds_a_contraction_best_responses_contract(game, seed):
    # nfirm_kernels._contracts: when it certifies the box, BR shrinks the weighted distance between any two points of
    # the box by the factor 0.75 (then two equilibria in the box would be one). Checked on pairs of points.
    par, after, r, lo, hi = game
    n = lo.size
    low, high, fastest, surplus = np.zeros(n), np.zeros(n), np.empty(n), np.empty((n, n))
    nfirm_kernels._surplus(par, after, r, surplus)
    for k in range(n):
        nfirm_kernels._enclose_firm(par, after, r, surplus, lo, hi, low, high, fastest, k)
    weight, image = np.empty(n), np.empty(n)
    if not nfirm_kernels._contracts(par, after, low, high, fastest, np.empty((n, n)), weight, image):
        return
    points = points_in(lo, hi, seed)
    response = best_responses(par, after, r, points)
    first, second = points[: len(points) // 2], points[len(points) // 2:][: len(points) // 2]
    moved_in = (np.abs(first - second) / weight).max(axis=1)
    moved_out = (np.abs(response[: len(first)] - response[len(points) // 2:][: len(first)]) / weight).max(axis=1)
    assert np.all(moved_out <= 0.75 * moved_in + 1e-13 * max(float(hi.max()), 1e-300) / weight.min())


def test_far_from_the_prize_every_state_is_certified_by_the_compiled_sweep_and_agrees_with_numpy():
    # The speed path (benchmarks/bench_nfirm.py): one compiled loop certifies every state of an asymmetric race,
    # handing none to the numpy search, and its equilibrium is the numpy path's.
    race = pr.Race(stages=(9, 8, 7), prize=1.0, discount=0.1,
                   cost=tuple(pr.costs.Quadratic(scale=a) for a in (1.0, 1.2, 0.8)))
    fast, slow = solve_nfirm(race), solve_nfirm(race, compiled=False)
    assert fast.solver.options["contracted_states"] == 9 * 8 * 7
    assert fast.solver.options["searched_states"] == fast.solver.options["supermodular_states"] == 0
    np.testing.assert_allclose(fast.effort, slow.effort, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast.value, slow.value, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("race", [
    pr.Race(stages=(3, 2, 3), prize=2.0, loser_prize=0.3, discount=0.05,
            cost=(pr.costs.Power(scale=1.0, exponent=3.0, linear=0.05), pr.costs.Quadratic(scale=2.0, linear=0.1),
                  pr.costs.Power(scale=0.5, exponent=1.6)), productivity=[1.0, 2.0, 0.5], breakthrough=[0.1, 0.0, 0.2]),
    pr.Race(stages=(2, 3, 2, 2), prize=1.0, discount=0.3, cost=pr.costs.Power(scale=1.0, exponent=2.5, linear=0.02)),
])
def test_the_compiled_chain_agrees_with_the_hitting_probabilities_and_a_linear_solve(race):
    # Second paths for results.nfirm's compiled passes: the numpy hyperplane recursion of hitting_probability for
    # the win probabilities, a dense linear solve of T = (1 + sum h_l T(s + e_l)) / (sum h + sum b) for the durations,
    # and the numpy residual (verification.relative_residual) for the compiled one.
    eq = pr.solve(race)
    lattice = Lattice(race.stages)
    hazard = eq.hazard.reshape(race.firms, -1)
    breakthrough = race.breakthrough_hazard()  # None without breakthroughs
    jump = np.zeros_like(hazard) if breakthrough is None else np.asarray(breakthrough).reshape(race.firms, -1)
    win, duration = chain_arrays(lattice, hazard, jump)
    np.testing.assert_array_equal(win, eq.win_probability.reshape(race.firms, -1))
    np.testing.assert_array_equal(duration, eq.expected_duration.ravel())
    opened = np.flatnonzero(lattice.finished == 0)
    states = lattice.coordinates(np.arange(lattice.size))
    for k in range(race.firms):
        target = (states[k] == race.stages[k]) & (lattice.finished == 1)
        credited = np.arange(race.firms) == k
        np.testing.assert_allclose(win[k, opened], hitting_probability(lattice, hazard, jump, target, credited)[opened],
                                   rtol=1e-12, atol=1e-15)
    index = {int(s): i for i, s in enumerate(opened)}
    system, rates = np.eye(opened.size), np.empty(opened.size)
    for i, s in enumerate(opened):
        rates[i] = hazard[:, s].sum() + jump[:, s].sum()
        for k, stride in enumerate(lattice.strides):
            if int(s + stride) in index:
                system[i, index[int(s + stride)]] -= hazard[k, s] / rates[i]
    np.testing.assert_allclose(duration[opened], np.linalg.solve(system, 1.0 / rates), rtol=1e-12)
    assert float(eq.residual().max()) <= 1e-13
    effort = eq.effort * (1.0 + 0.1 * np.cos(np.arange(eq.effort.size))).reshape(eq.effort.shape)  # off equilibrium
    wrong = pr.NFirmEquilibrium(model=race, solver=eq.solver, effort=effort, hazard=effort * (eq.hazard / np.where(
        eq.effort > 0, eq.effort, 1.0)), value=eq.value, win_probability=eq.win_probability,
        expected_duration=eq.expected_duration, multiplicity=eq.multiplicity)
    for result in (eq, wrong):
        opened_, problems = result._firm_problems()
        numpy_residual = np.zeros((race.firms, lattice.size))
        for k, (problem, x, v) in enumerate(problems):
            numpy_residual[k, opened_] = verification.relative_residual(problem, x, v)
        np.testing.assert_allclose(result.residual().reshape(race.firms, -1), numpy_residual, rtol=1e-12, atol=1e-16)
    assert float(wrong.residual().max()) > 1e-3


@pytest.mark.parametrize("cost", [
    pr.costs.Quadratic(scale=0.5, linear=0.27),
    (pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27),
     pr.costs.Quadratic(scale=0.6, linear=0.27)),
])
def test_the_compiled_sweep_hands_states_with_several_equilibria_to_numpy_and_resumes(cost):
    # The family of docs/solver.md, "Where multiplicity comes from", with three firms: some states are certified in the
    # compiled loop, the others (several equilibria) go to the numpy search mid-sweep; alike firms (cost given once)
    # also copy those states to their permutations. Every state as on the numpy path alone.
    race = pr.Race(stages=(3, 2, 2), prize=1.0, loser_prize=0.8, discount=0.002, cost=cost)
    fast, slow = solve_nfirm(race), solve_nfirm(race, compiled=False)
    assert fast.solver.options["contracted_states"] >= 1 and fast.solver.options["searched_states"] >= 1
    assert int(fast.multiplicity.max()) >= 2
    np.testing.assert_array_equal(fast.multiplicity, slow.multiplicity)
    np.testing.assert_allclose(fast.value, slow.value, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast.effort, slow.effort, rtol=1e-9, atol=1e-13)


def test_states_with_several_equilibria_go_to_the_complete_search():
    # docs/solver.md, "Where multiplicity comes from", with an idle third firm: three equilibria at the start
    costs = (pr.costs.Quadratic(scale=0.5, linear=0.27), pr.costs.Quadratic(scale=0.8, linear=0.27),
             pr.costs.Quadratic(scale=1.0, linear=5.0))
    eq = solve_nfirm(pr.Race(stages=(1, 1, 1), prize=1.0, loser_prize=0.8, discount=0.002, cost=costs))
    assert eq.multiplicity[0, 0, 0] == 3
    assert eq.solver.options["searched_states"] == 1 and eq.solver.options["contracted_states"] == 0


def test_an_equilibrium_next_to_a_firms_activation_point_is_found_not_refused():
    # Stress race 78 (loser prize, participation costs, exponents near 4): at (2, 0, 0) firm 1's best response is
    # nearly vertical where it starts to invest, and Newton's method from the search's box went elsewhere; the box's
    # middle is accepted where no firm gains more than 1e-10 of its continuation values (the two-firm search's test).
    cost = (pr.costs.Power(scale=3.5563128802188673, exponent=2.0, linear=0.24096587595763724),
            pr.costs.Power(scale=1.2924622455208283, exponent=3.749289231077017, linear=0.13345567137765119),
            pr.costs.Power(scale=1.3900425912660228, exponent=3.9402796188506226, linear=0.14270137599716615))
    race = pr.Race(stages=(3, 2, 2), prize=0.9608545542419441, discount=0.003709431558370635, cost=cost,
                   loser_prize=0.7465553554994463)
    eq = pr.solve(race, verify=True, tolerance=1e-10)
    assert eq.multiplicity[2, 0, 0] >= 2
    gain, residual = eq.verify()
    assert gain < 1e-12 and residual < 1e-12


def test_a_race_whose_numbers_overflow_raises_an_equilibrium_error_naming_the_state():
    # Found while timing issue 17: a prize of 1e200 with x^2 / 2 costs overflows every enclosure (inf - inf), the
    # search keeps no box, and solve raised a bare "need at least one array to concatenate". The two-firm solver
    # raises EquilibriumError for the same race; so does this one now, with the state and the effort bound.
    race = pr.Race(stages=(3, 2, 2), prize=1e200, discount=0.1, cost=pr.costs.Quadratic())
    with np.errstate(all="ignore"), pytest.raises(pr.EquilibriumError, match=r"no equilibrium found at state \("):
        pr.solve(race)


def test_what_takes_two_firms_only_says_so_naming_the_race():
    race = pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    with pytest.raises(ValueError, match=r"race: the exact solver takes races of two firms, got 3"):
        pr.symbolic.solve(race)
    with pytest.raises(ValueError, match="stages"):
        pr.LaggedRace.from_race(race, lag=1.0)


# --- an independent implementation: the plain C loop of benchmarks/reference_nfirm.c -------------------------


REFERENCE_C = Path(__file__).resolve().parent.parent / "benchmarks" / "reference_nfirm.c"


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize(("stages", "scales"), [((6, 5, 4), (1.0, 1.3, 0.7)), ((3, 2, 3, 2), (1.0, 0.5, 2.0, 1.2))])
def test_the_c_reference_agrees_on_both_paths(tmp_path, stages, scales):
    library = tmp_path / "libreference_nfirm.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(REFERENCE_C), "-o", str(library), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    doubles, longs = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_long)
    lib.solve_nfirm.argtypes = [ctypes.c_int, longs, ctypes.c_double, ctypes.c_double, doubles, doubles, doubles]
    shape = (len(stages), *(n + 1 for n in stages))
    effort, value = np.zeros(shape), np.zeros(shape)
    counts, scale = np.asarray(stages, dtype=np.int64), np.asarray(scales)
    lib.solve_nfirm(len(stages), counts.ctypes.data_as(longs), 1.0, 0.1, scale.ctypes.data_as(doubles),
                    effort.ctypes.data_as(doubles), value.ctypes.data_as(doubles))
    race = pr.Race(stages=stages, prize=1.0, discount=0.1, cost=tuple(pr.costs.Quadratic(scale=a) for a in scales))
    for compiled in (True, False):
        eq = solve_nfirm(race, compiled=compiled)
        assert eq.multiplicity.max() == 1
        np.testing.assert_allclose(eq.effort, effort, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(eq.value, value, rtol=1e-13, atol=1e-15)
