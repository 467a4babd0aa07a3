"""The backward solver against an independent 60-digit solver, and its safeguards."""

import dataclasses
from unittest import mock

import mpmath as mp
import numpy as np
import oracle_quadratic as oracle
import pytest
from hypothesis import given
from strategies import races

import patentrace as pr
from patentrace.equations import hjb
from patentrace.errors import EquilibriumError
from patentrace.results.verification import certify
from patentrace.solvers import allroots
from patentrace.solvers.allroots import StateGames, find_equilibria
from patentrace.solvers.backward import solve_races

# A one-stage race with a high loser prize and participation costs: three equilibria
# (one firm races while the other waits, either way round, and one where both race).
THREE = {"stages": 1, "prize": 1.0, "loser_prize": 0.8, "discount": 0.002,
         "scales": (0.5, 0.8), "linears": (0.27, 0.27)}


def quadratic_race(stages, prize, loser_prize, discount, scales, linears, productivity=None) -> pr.Race:
    costs = tuple(pr.costs.Quadratic(scale=a, linear=m) for a, m in zip(scales, linears, strict=True))
    return pr.Race(stages=stages, prize=prize, discount=discount, cost=costs, loser_prize=loser_prize,
                   productivity=productivity)


def oracle_solve(stages, prize, loser_prize, discount, scales, linears, productivity=None, selection="fastest"):
    firms = [oracle.QuadraticFirm(a, m) for a, m in zip(scales, linears, strict=True)]
    n = (stages, stages) if isinstance(stages, int) else stages
    return oracle.solve(n, prize, loser_prize, discount, firms, productivity, selection)


def assert_matches_oracle(eq: pr.Equilibrium, reference, rtol: float) -> None:
    effort, value, count = reference
    n1, n2 = eq.model.stages
    for k in range(2):
        for i in range(n1):
            for j in range(n2):
                for name, ours, theirs in (("effort", eq.effort, effort), ("value", eq.value, value)):
                    expected = float(theirs[k][i][j])
                    got = float(ours[k, i, j])
                    assert abs(got - expected) <= rtol * abs(expected) + 1e-300, (name, k, i, j, got, expected)
    assert eq.multiplicity[:n1, :n2].tolist() == [row[:n2] for row in count[:n1]]


CASES = [
    # symmetric, long enough that far-behind efforts fall to 1e-12 and below
    {"stages": 7, "prize": 1.0, "loser_prize": 0.0, "discount": 0.1, "scales": (1.0, 1.0), "linears": (0.0, 0.0)},
    # asymmetric firms, learning curves, a loser prize
    {"stages": (5, 3), "prize": 2.0, "loser_prize": 0.3, "discount": 0.03, "scales": (1.0, 0.4),
     "linears": (0.0, 0.02), "productivity": ([1.0, 1.5, 2.0, 2.5, 3.0], [0.7, 1.0, 1.3])},
    # participation costs: a dropout region
    {"stages": 4, "prize": 1.0, "loser_prize": 0.0, "discount": 0.05, "scales": (1.0, 1.0), "linears": (0.05, 0.05)},
    # several equilibria at several states
    {"stages": 2, "prize": 1.0, "loser_prize": 0.8, "discount": 0.002, "scales": (0.5, 0.8), "linears": (0.27, 0.27)},
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("selection", ["fastest", "slowest", "richest"])
def test_backward_induction_matches_independent_solver(case: dict, selection: str):
    eq = pr.solve(quadratic_race(**case), selection=selection)
    assert_matches_oracle(eq, oracle_solve(**case, selection=selection), rtol=1e-10)


def test_far_behind_efforts_are_resolved_to_relative_precision():
    case = CASES[0]
    eq = pr.solve(quadratic_race(**case))
    assert eq.effort[0, 0, 6] < 1e-20  # the regime: tiny efforts, tiny values
    assert eq.value[0, 0, 6] < 1e-40
    effort, value, _ = oracle_solve(**case)
    for state in ((0, 6), (0, 5), (1, 6)):
        assert float(eq.effort[(0, *state)]) == pytest.approx(float(effort[0][state[0]][state[1]]), rel=1e-11)
        assert float(eq.value[(0, *state)]) == pytest.approx(float(value[0][state[0]][state[1]]), rel=1e-11)


def test_three_equilibria_found_and_selected():
    race = quadratic_race(**THREE)
    firms = [oracle.QuadraticFirm(a, m) for a, m in zip(THREE["scales"], THREE["linears"], strict=True)]
    one, p, loser = mp.mpf(1), mp.mpf(THREE["prize"]), mp.mpf(THREE["loser_prize"])
    exact = oracle.state_equilibria(firms, (one, one), (p, p), (loser, loser), mp.mpf(THREE["discount"]))
    assert len(exact) == 3
    games = StateGames(np.array([[1.0], [1.0]]), np.array([[0.8], [0.8]]), np.ones((2, 1)), 0.002, race.cost)
    found = find_equilibria(games)
    assert found.count.tolist() == [3]
    ours = sorted(map(tuple, found.effort.T.tolist()))
    theirs = sorted((float(a), float(b)) for a, b in exact)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)
    hazards = [x1 + x2 for x1, x2 in theirs]
    assert sum(pr.solve(race, selection="fastest").effort[:, 0, 0]) == pytest.approx(max(hazards), rel=1e-12)
    assert sum(pr.solve(race, selection="slowest").effort[:, 0, 0]) == pytest.approx(min(hazards), rel=1e-12)
    richest = pr.solve(race, selection="richest")
    assert richest.value[:, 0, 0].sum() == pytest.approx(found.value.sum(axis=0).max(), rel=1e-12)
    for selection in ("fastest", "slowest", "richest"):
        gain, residual = pr.solve(race, selection=selection).verify()
        assert gain < 1e-12 and residual < 1e-12


@pytest.mark.parametrize("grid", [1, 2, 3, 200])
def test_multiplicity_does_not_depend_on_the_starting_grid(grid: int):
    # the cell search discards cells that cannot hold a root and splits the rest, so a coarse
    # start finds the same equilibria as a fine one
    race = quadratic_race(**CASES[3])
    reference = pr.solve(race, grid=16)
    other = pr.solve(race, grid=max(grid, 2))
    assert np.array_equal(other.multiplicity, reference.multiplicity)
    assert reference.multiplicity.max() == 3
    np.testing.assert_allclose(other.effort, reference.effort, rtol=1e-12, atol=0)


def test_verify_catches_a_non_equilibrium():
    eq = pr.solve(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    assert max(eq.verify()) < 1e-12
    effort = eq.effort.copy()
    effort[0, 1, 1] *= 1.2  # firm 0 works 20% too hard at (1, 1) ...
    value = eq.value.copy()
    own, rival = hjb.continuation(value, np.array([1]), np.array([1]))
    firm_problem = hjb.FirmProblem(eq.model.cost[0], 1.0, own[0, 0], rival[0, 0], eq.hazard[1, 1, 1], 0.1)
    value[0, 1, 1] = firm_problem.flow_value(effort[0, 1, 1])  # ... and gets what that effort is worth
    tampered = dataclasses.replace(eq, effort=effort, hazard=effort.copy(), value=value)
    gain, _ = tampered.verify()
    assert gain > 1e-4
    with pytest.raises(EquilibriumError, match=r"state \(1, 1\)"):
        certify(tampered, 1e-8, deviation=True)
    broken = dataclasses.replace(eq, value=eq.value + 0.01 * (eq.effort > 0))
    assert broken.verify().max_residual > 1e-3


def test_underflow_is_flagged_not_reported_as_dropout():
    race = pr.Race(stages=30, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    with pytest.warns(pr.UnderflowWarning, match="below the float range"):
        eq = pr.solve(race)
    zero = (eq.effort == 0.0) & np.broadcast_to(np.pad(np.ones((30, 30), bool), ((0, 1), (0, 1))), eq.effort.shape)
    assert np.array_equal(zero, eq.underflow)  # with c'(0) = 0 every zero effort is underflow
    assert eq.underflow.any()
    report = pr.leapfrog(eq, state=(0, 5))
    assert not report.preemption_region.any()
    assert report.underflow_region.any()
    assert "below the float range" in str(report)
    # near the end of the race nothing underflows and the numbers are exact
    assert not eq.underflow[:, 25:, 25:].any()


def test_participation_cost_zero_efforts_are_real_dropouts():
    race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05))
    eq = pr.solve(race)
    assert not eq.underflow.any()


def test_equilibrium_is_immutable_and_self_describing():
    race = pr.Race(stages=(2, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    eq = pr.solve(race)
    with pytest.raises(ValueError, match="read-only"):
        eq.effort[0, 0, 0] = 1.0
    assert eq.model is race
    assert eq.solver.method == "backward" and eq.solver.selection == "fastest"
    assert eq.solver.version == pr.__version__ and eq.solver.seconds > 0
    data = eq.to_dict()
    assert np.array_equal(np.array(data["value"]), eq.value)
    assert data["model"]["stages"] == [2, 3]
    dataset = eq.to_xarray()
    assert dataset["effort"].sel(firm=1, i=0, j=2).item() == eq.effort[1, 0, 2]
    assert dataset["expected_duration"].shape == (3, 4)


def test_solve_with_verify_returns_a_checked_equilibrium():
    race = pr.Race(stages=(4, 3), prize=1.0, discount=0.05, cost=pr.costs.Power(scale=1.0, exponent=2.5, linear=0.01))
    eq = pr.solve(race, verify=True, tolerance=1e-10)
    assert max(eq.verify()) < 1e-10


@given(races(max_stages=6))
def test_uniqueness_certificates_never_change_the_answer(race: pr.Race):
    # states certified unique by theory skip the cell search; searching them anyway must
    # find the same single equilibrium
    eq = pr.solve(race)
    with mock.patch.object(allroots, "_unique_root", lambda games, bound: np.zeros(games.size, dtype=bool)):
        searched = pr.solve(race)
    assert np.array_equal(eq.multiplicity, searched.multiplicity)
    # the same equilibrium, to its conditioning: next to a firm's participation threshold its
    # best response is nearly vertical, and 1e-16 in one effort moves the other by up to 1e-7
    np.testing.assert_allclose(eq.value, searched.value, rtol=1e-9, atol=1e-300)
    scale = float(np.max(eq.effort))
    np.testing.assert_allclose(eq.effort, searched.effort, rtol=1e-6, atol=1e-10 * scale)


def test_batch_of_races_equals_races_one_by_one():
    rng = np.random.default_rng(5)
    races_ = [
        pr.Race(
            stages=(int(rng.integers(1, 7)), int(rng.integers(1, 7))),
            prize=float(rng.uniform(0.5, 2.0)),
            loser_prize=float(rng.choice([0.0, 0.3])),
            discount=float(10 ** rng.uniform(-3, 0)),
            cost=(
                pr.costs.Power(
                    float(rng.uniform(0.3, 3)), float(rng.choice([2.0, 1.7, 3.0])), float(rng.choice([0, 0.05]))
                ),
                pr.costs.Quadratic(float(rng.uniform(0.3, 3))),
            ),
        )
        for _ in range(40)
    ]
    together = solve_races(races_)
    for race, eq in zip(races_, together, strict=True):
        alone = pr.solve(race)
        assert eq.model is race
        assert np.array_equal(eq.multiplicity, alone.multiplicity)
        np.testing.assert_allclose(eq.value, alone.value, rtol=1e-12, atol=1e-300)
        scale = float(np.max(alone.effort))
        np.testing.assert_allclose(eq.effort, alone.effort, rtol=1e-10, atol=1e-10 * scale)
        np.testing.assert_allclose(eq.win_probability, alone.win_probability, rtol=1e-10, atol=1e-14)
