"""solve_all: every Markov perfect equilibrium.

Checked against pr.solve, an independent 60-digit enumeration, and the binary oracle of docs/theory/periods.md (P5).
"""

import math
import time

import mpmath as mp
import numpy as np
import oracle_quadratic as oracle
import pytest

import patentrace as pr
from patentrace.solvers.allpaths import _all_race

UNIQUE = [
    pr.Race(stages=(4, 3), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
    pr.Race(stages=(5, 3), prize=2.0, loser_prize=0.3, discount=0.03,
            cost=(pr.costs.Quadratic(scale=1.0), pr.costs.Quadratic(scale=0.4, linear=0.02)),
            productivity=([1.0, 1.5, 2.0, 2.5, 3.0], [0.7, 1.0, 1.3])),
    pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05)),  # dropout
    pr.Race(stages=(3, 4), prize=1.0, discount=0.2, cost=pr.costs.Power(scale=2.0, exponent=3.0, linear=0.01)),
]

# One stage each with a high loser prize and participation costs: three equilibria per state.
MANY = {"prize": 1.0, "loser_prize": 0.8, "discount": 0.002, "scales": (0.5, 0.8), "linears": (0.27, 0.27)}


def many_race(stages):
    cost = tuple(pr.costs.Quadratic(scale=a, linear=m) for a, m in zip(MANY["scales"], MANY["linears"], strict=True))
    return pr.Race(stages=stages, prize=MANY["prize"], loser_prize=MANY["loser_prize"], discount=MANY["discount"],
                   cost=cost)


def oracle_paths(stages):
    """Every path by brute-force recursion over the 60-digit per-state enumeration (no sharing)."""
    n1, n2 = stages
    firms = [oracle.QuadraticFirm(a, m) for a, m in zip(MANY["scales"], MANY["linears"], strict=True)]
    r, p, loser = (mp.mpf(MANY[k]) for k in ("discount", "prize", "loser_prize"))
    order = [(i, d - i) for d in range(n1 + n2 - 2, -1, -1) for i in range(n1) if 0 <= d - i < n2]
    start = {}
    for j in range(n2):
        start[(n1, j)] = (p, loser)
    for i in range(n1):
        start[(i, n2)] = (loser, p)
    paths = []

    def extend(values, k):
        if k == len(order):
            paths.append(values)
            return
        i, j = order[k]
        own = (values[(i + 1, j)][0], values[(i, j + 1)][1])
        rival = (values[(i, j + 1)][0], values[(i + 1, j)][1])
        for x1, x2 in oracle.state_equilibria(firms, (mp.mpf(1), mp.mpf(1)), own, rival, r):
            v1 = oracle.value(firms[0], 1, x1, own[0], rival[0], x2, r)
            v2 = oracle.value(firms[1], 1, x2, own[1], rival[1], x1, r)
            extend({**values, (i, j): (v1, v2)}, k + 1)

    extend(start, 0)
    return sorted((float(v[(0, 0)][0]), float(v[(0, 0)][1])) for v in paths)


@pytest.mark.parametrize("race", UNIQUE, ids=["symmetric", "learning", "dropout", "cubic"])
def test_unique_states_give_one_equilibrium_equal_to_solve(race):
    reference = pr.solve(race)
    assert int(reference.multiplicity.max()) == 1
    (found,) = _all_race(race, max_equilibria=1000, grid=16)  # the all-paths sweep itself, not its shortcut
    for name in ("effort", "value", "win_probability", "expected_duration"):
        np.testing.assert_allclose(getattr(found, name), getattr(reference, name), rtol=1e-12, atol=1e-300)
    assert found.multiplicity.tolist() == reference.multiplicity.tolist()
    assert found.solver.method == "all paths"
    (short,) = pr.solve_all(race)
    if reference.solver.options["path"] == "compiled":  # every state certified unique: solve's answer is the one
        assert short.solver.options["path"] == "compiled"
    np.testing.assert_allclose(short.value, reference.value, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("stages", [(1, 1), (2, 1), (2, 2)])
def test_every_path_matches_an_independent_enumeration(stages):
    found = pr.solve_all(many_race(stages))
    expected = oracle_paths(stages)
    got = sorted((float(e.value[0, 0, 0]), float(e.value[1, 0, 0])) for e in found)
    assert len(got) == len(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    for eq in found:
        gain, residual = eq.verify()
        assert gain < 1e-10 and residual < 1e-10
    # each selection rule of pr.solve picks one of the paths
    for rule in ("fastest", "slowest", "richest"):
        chosen = pr.solve(many_race(stages), selection=rule)
        assert min(float(np.max(np.abs(chosen.value - e.value))) for e in found) < 1e-12


def test_one_stage_paths_are_the_three_documented_equilibria():
    found = pr.solve_all(many_race(1))
    efforts = sorted(tuple(np.round(e.effort[:, 0, 0], 4)) for e in found)
    assert efforts == [(0.0, 0.0584), (0.0155, 0.0178), (0.0744, 0.0)]  # docs/solver.md
    assert all(e.multiplicity[0, 0] == 3 for e in found)


def test_cap_raises_with_count_and_branching_states():
    race = many_race((2, 2))
    assert len(pr.solve_all(race, max_equilibria=13)) == 13
    with pytest.raises(pr.TooManyEquilibriaError) as info:
        pr.solve_all(race, max_equilibria=3)
    err = info.value
    assert err.limit == 3 and 3 < err.found <= 13
    assert (1, 1) in err.branching
    assert "max_equilibria=3" in str(err) and "branching_states" in str(err)


def binary_race(k, p=0.5, discount=0.05):
    work, shirk = pr.Action(k, {1: p, 0: 1 - p}), pr.Action(0.0, {0: 1.0})
    return pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=discount, actions=[work, shirk])


@pytest.mark.parametrize("p", [0.3, 0.5, 0.9])
def test_binary_lagged_oracle(p):
    beta = math.exp(-0.05)
    high = beta * p
    low = high * (1 - p / 2)
    # k < L: (work, work) only
    (eq,) = pr.solve_all(binary_race(0.5 * low, p))
    assert eq.strategy[0][0, 0, 0] == pytest.approx(1.0) and eq.strategy[1][0, 0, 0] == pytest.approx(1.0)
    # k > H: (shirk, shirk) only
    (eq,) = pr.solve_all(binary_race(1.1 * high, p))
    assert eq.strategy[0][0, 0, 0] == pytest.approx(0.0, abs=1e-12)
    # L < k < H: three, the mixed one with Pr(work) = (2/p)(1 - k/H)
    k = 0.5 * (low + high)
    found = pr.solve_all(binary_race(k, p))
    work = sorted((float(e.strategy[0][0, 0, 0]), float(e.strategy[1][0, 0, 0])) for e in found)
    mixed = (2 / p) * (1 - k / high)
    assert work == [pytest.approx((0.0, 1.0)), pytest.approx((mixed, mixed), rel=1e-9), pytest.approx((1.0, 0.0))]
    for eq in found:
        assert eq.nashpy_disagrees() == []
        assert eq.verify().max_deviation_gain < 1e-12


def test_lagged_unique_equals_solve():
    race = pr.LaggedRace.from_race(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
                                   lag=0.5, efforts=[0.0, 0.3, 0.6])
    reference = pr.solve(race)
    assert int(reference.multiplicity.max()) == 1
    (found,) = pr.solve_all(race)
    np.testing.assert_allclose(found.value, reference.value, rtol=1e-12)
    np.testing.assert_allclose(found.strategy[0], reference.strategy[0], atol=1e-12)


def test_lagged_cap():
    # two stages of the three-equilibrium binary game
    work, shirk = pr.Action(0.4, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    race = pr.LaggedRace(stages=(1, 1), prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    with pytest.raises(pr.TooManyEquilibriaError) as info:
        pr.solve_all(race, max_equilibria=2)
    assert info.value.found == 3 and info.value.branching == [(0, 0)]


@pytest.mark.parametrize(("name", "value"), [("max_equilibria", 0), ("grid", 1), ("max_equilibria", 2.5)])
def test_bad_options(name, value):
    with pytest.raises(ValueError, match=name):
        pr.solve_all(UNIQUE[0], **{name: value})


def test_bad_model():
    with pytest.raises(TypeError, match="Race or LaggedRace"):
        pr.solve_all("race")


@pytest.mark.timing
def test_speed_on_a_30_by_30_race():
    race = pr.Race(stages=30, prize=1.0, discount=0.05, cost=pr.costs.Quadratic())

    def best(run):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            run(race)
            times.append(time.perf_counter() - t)
        return min(times)

    assert best(pr.solve_all) < 3.0 * best(pr.solve)
