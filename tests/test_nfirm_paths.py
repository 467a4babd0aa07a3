"""solve_all for races of three or more firms (issue 17): every Markov perfect equilibrium path.

Checked against the 60-digit per-state oracle of tests/oracle_quadratic.py, the two-firm
solve_all (an idle third firm changes nothing), pr.solve (a second solver path: one path where
every state is unique, and each selection rule's answer among the paths), and a brute-force
enumeration written here (plain recursion over states, one game per path, no sharing).
"""

import mpmath as mp
import numpy as np
import oracle_quadratic as oracle
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import examples

import patentrace as pr
from patentrace.equations.nfirm import StateGames
from patentrace.models.nfirm_lattice import Lattice
from patentrace.solvers.nfirm import find_equilibria
from patentrace.solvers.nfirm_paths import _sweep, solve_all_nfirm

# docs/solver.md, "Where multiplicity comes from": P = 1, L = 0.8, r = 0.002, costs 0.27 x + a x^2 / 2.
PRIZE, LOSER, DISCOUNT = 1.0, 0.8, 0.002
SCALES, LINEAR = (0.5, 0.8), 0.27
IDLE = pr.costs.Quadratic(scale=1.0, linear=5.0)  # its participation cost exceeds every gain: it never invests
ACTIVE = pr.costs.Quadratic(scale=0.8, linear=LINEAR)  # a third firm like firm 1


def race_of(stages, third=IDLE):
    two = tuple(pr.costs.Quadratic(scale=a, linear=LINEAR) for a in SCALES)
    cost = two if len(stages) == 2 else (*two, third)
    return pr.Race(stages=stages, prize=PRIZE, loser_prize=LOSER, discount=DISCOUNT, cost=cost)


def brute_force(race):
    """Every path by recursion over the open states one at a time, each path's game solved on its own.

    Returns the values at the start of every path, sorted, and the number of partial paths
    after each hyperplane. Races without breakthroughs and with productivity 1 only.
    """
    lattice = Lattice(tuple(race.stages))
    order = [int(s) for plane in lattice.hyperplanes for s in plane]
    ends = np.cumsum([plane.size for plane in lattice.hyperplanes])
    terminal, _ = lattice.terminal(race.prize, race.loser_prize)
    partial = np.zeros(len(order) + 1, dtype=int)
    starts = []

    def extend(value, k):
        partial[k] += 1
        if k == len(order):
            starts.append(tuple(value[:, 0].tolist()))
            return
        s = order[k]
        after = np.array([[value[f, s + stride] for stride in lattice.strides] for f in range(race.firms)])
        own = np.diag(after).copy()
        games = StateGames(own[:, None], after[:, :, None], np.ones((race.firms, 1)), np.array([race.discount]),
                           race.cost)
        found = find_equilibria(games, lattice.coordinates(np.array([s])))
        for column in range(found.effort.shape[1]):
            x = found.effort[:, column:column + 1]
            new = value.copy()
            new[:, s] = [games.problem(f, x).flow_value(x[f])[0] for f in range(race.firms)]
            extend(new, k + 1)

    extend(terminal, 0)
    return sorted(starts), partial[ends]


# --- the 60-digit oracle ------------------------------------------------------------------------------------


def test_an_idle_third_firm_leaves_the_three_oracle_equilibria():
    found = pr.solve_all(race_of((1, 1, 1)))
    firms = [oracle.QuadraticFirm(a, LINEAR) for a in SCALES]
    one = mp.mpf(1)
    exact = oracle.state_equilibria(firms, (one, one), (one, one), (mp.mpf(LOSER),) * 2, mp.mpf(DISCOUNT))
    assert len(found) == len(exact) == 3
    ours = sorted(tuple(eq.effort[:2, 0, 0, 0].tolist()) for eq in found)
    np.testing.assert_allclose(ours, sorted((float(a), float(b)) for a, b in exact), rtol=1e-10, atol=1e-300)
    for eq in found:
        assert type(eq) is pr.NFirmEquilibrium and eq.solver.method == "all paths"
        assert eq.solver.options["enumerated"] and eq.solver.options["paths"] == 3
        assert eq.multiplicity[0, 0, 0] == 3 and np.all(eq.effort[2] == 0.0)
        gain, residual = eq.verify()
        assert gain <= 1e-10 and residual <= 1e-10


def best_response_mp(firm, rivals_hazard):
    """Firm's best response in the one-stage race against total rival hazard, 60 digits (oracle_quadratic)."""
    one = mp.mpf(1)
    return oracle.best_response(firm, one, one, mp.mpf(LOSER), rivals_hazard, mp.mpf(DISCOUNT))


def test_three_active_firms_seven_equilibria_against_the_60_digit_oracle():
    # Third firm like firm 1: seven equilibria at the start. Those where some firm idles are the oracle's
    # two-firm equilibria of a pair at which the third firm's 60-digit best response is 0; the one where all
    # three invest is polished in 60 digits and must be a fixed point of the oracle's best responses.
    found = pr.solve_all(race_of((1, 1, 1), third=ACTIVE))
    firms = [oracle.QuadraticFirm(a, LINEAR) for a in (*SCALES, 0.8)]
    one = mp.mpf(1)
    expected = set()
    for pair in ((0, 1), (0, 2), (1, 2)):
        (k, other), (m,) = pair, {0, 1, 2} - set(pair)
        two = [firms[k], firms[other]]
        for xk, xl in oracle.state_equilibria(two, (one, one), (one, one), (mp.mpf(LOSER),) * 2, mp.mpf(DISCOUNT)):
            if best_response_mp(firms[m], xk + xl) == 0:
                profile = [0.0, 0.0, 0.0]
                profile[k], profile[other] = float(xk), float(xl)
                expected.add(tuple(profile))
    efforts = sorted(tuple(eq.effort[:, 0, 0, 0].tolist()) for eq in found)
    some_idle = [e for e in efforts if min(e) == 0.0]
    all_active = [e for e in efforts if min(e) > 0.0]
    assert len(found) == 7 and len(some_idle) == len(expected) == 6 and len(all_active) == 1
    np.testing.assert_allclose(some_idle, sorted(expected), rtol=1e-10, atol=1e-300)

    def fixed_point(*x):
        total = sum(x)
        return [best_response_mp(f, total - xk) - xk for f, xk in zip(firms, x, strict=True)]

    polished = mp.findroot(fixed_point, [mp.mpf(v) for v in all_active[0]])
    assert max(abs(v) for v in fixed_point(*polished)) < mp.mpf(10) ** -40
    np.testing.assert_allclose(all_active[0], [float(v) for v in polished], rtol=1e-10)
    for eq in found:
        assert eq.multiplicity[0, 0, 0] == 7
        assert eq.verify().max_deviation_gain <= 1e-10


# --- against the two-firm solve_all: an idle third firm -----------------------------------------------------


@pytest.mark.parametrize("stages", [(1, 1), (2, 1), (2, 2)])
def test_an_idle_third_firm_gives_the_two_firm_paths(stages):
    two = pr.solve_all(race_of(stages))
    three = pr.solve_all(race_of((*stages, 1)))
    assert len(three) == len(two) > 1
    own = (slice(None), slice(None), slice(None), 0)  # the states where the third firm has not finished
    # pair each two-firm path with the three-firm path closest to it everywhere (paths can agree at the start)
    match = [min(range(len(three)), key=lambda k: float(np.abs(three[k].effort[:2][own] - a.effort).max()))
             for a in two]
    assert sorted(match) == list(range(len(three)))
    for a, b in zip(two, (three[k] for k in match), strict=True):
        np.testing.assert_allclose(b.effort[:2][own], a.effort, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(b.value[:2][own], a.value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b.win_probability[:2][own], a.win_probability, rtol=1e-9, atol=1e-14)
        np.testing.assert_array_equal(b.multiplicity[..., 0], a.multiplicity)
        assert np.all(b.effort[2] == 0.0)


# --- against a brute-force enumeration and pr.solve ---------------------------------------------------------


@pytest.mark.parametrize("stages", [(2, 1, 1), (1, 2, 1)])
def test_every_path_of_three_active_firms_matches_a_brute_force_enumeration(stages):
    race = race_of(stages, third=ACTIVE)
    found = pr.solve_all(race)
    starts, _ = brute_force(race)
    got = sorted(tuple(eq.value[:, 0, 0, 0].tolist()) for eq in found)
    assert len(got) == len(starts) > 7
    np.testing.assert_allclose(got, starts, rtol=1e-12, atol=1e-15)
    for eq in found:
        gain, residual = eq.verify()
        assert gain <= 1e-10 and residual <= 1e-10
    for rule in ("fastest", "slowest", "richest"):  # pr.solve's answer is one of the paths
        chosen = pr.solve(race, selection=rule)
        assert min(float(np.max(np.abs(chosen.value - eq.value))) for eq in found) < 1e-12


UNIQUE = [
    pr.Race(stages=(2, 2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
    pr.Race(stages=(3, 2, 2), prize=2.0, loser_prize=0.3, discount=0.05,
            cost=(pr.costs.Quadratic(), pr.costs.Power(scale=2.0, exponent=3.0, linear=0.01),
                  pr.costs.Quadratic(scale=0.6, linear=0.02)),
            productivity=([1.0, 1.5, 2.0], [0.7, 1.0], [1.2, 1.2]), breakthrough=[0.0, 0.05, 0.1]),
    pr.Race(stages=(2, 1, 2, 1), prize=1.0, discount=0.2, cost=pr.costs.Power(scale=1.0, exponent=2.5)),
]


@pytest.mark.parametrize("race", UNIQUE, ids=["symmetric", "asymmetric-breakthroughs", "four-firms"])
def test_a_race_unique_at_every_state_has_one_path_equal_to_solve(race):
    reference = pr.solve(race)
    assert int(reference.multiplicity.max()) == 1
    (swept,) = _sweep(race, 1000, True, 0.0)  # the sweep itself, not the shortcut
    (short,) = pr.solve_all(race)
    assert not short.solver.options["enumerated"] and swept.solver.options["enumerated"]
    for eq in (swept, short):
        assert eq.solver.method == "all paths"
        for name in ("effort", "value", "win_probability", "expected_duration"):
            np.testing.assert_allclose(getattr(eq, name), getattr(reference, name), rtol=1e-12, atol=1e-15,
                                       err_msg=name)
        np.testing.assert_array_equal(eq.multiplicity, reference.multiplicity)
        gain, residual = eq.verify()
        assert gain <= 1e-10 and residual <= 1e-10


# --- the cap ------------------------------------------------------------------------------------------------


def test_the_cap_raises_with_the_count_of_partial_paths_and_the_branching_states():
    race = race_of((2, 2, 1))
    _, partial = brute_force(race)  # partial paths after each hyperplane: 3 after (1, 1, 0), then 7, then 13
    assert partial.tolist() == [3, 7, 13]
    assert len(pr.solve_all(race, max_equilibria=13)) == 13
    for cap, found in ((12, 13), (6, 7), (3, 7)):
        with pytest.raises(pr.TooManyEquilibriaError) as info:
            pr.solve_all(race, max_equilibria=cap)
        err = info.value
        assert err.limit == cap and err.found == found
        assert (1, 1, 0) in err.branching and all(len(state) == 3 for state in err.branching)
        assert f"max_equilibria={cap}" in str(err)


def test_bad_options_are_refused_for_n_firms_too():
    with pytest.raises(ValueError, match="max_equilibria"):
        pr.solve_all(race_of((1, 1, 1)), max_equilibria=0)
    assert solve_all_nfirm(race_of((1, 1, 1)), max_equilibria=3)[0].solver.options["max_equilibria"] == 3


@pytest.mark.parametrize(("stages", "third"), [((2, 2, 1), IDLE), ((3, 2, 1), IDLE), ((2, 1, 1), ACTIVE)])
def test_each_distinct_game_is_solved_once(monkeypatch, stages, third):
    # The games the sweep hands to find_equilibria at each hyperplane are exactly the distinct (state, continuation
    # values) pairs over the paths it returns (every partial path extends to a full one, so the returned paths see
    # every continuation the partial paths saw).
    import patentrace.solvers.nfirm_paths as paths_module

    solved = []

    def counting(games, states, compiled=False):
        solved.append(games.discount.size)
        return find_equilibria(games, states, compiled)

    monkeypatch.setattr(paths_module, "find_equilibria", counting)
    race = race_of(stages, third)
    found = _sweep(race, 1000, True, 0.0)
    lattice = Lattice(tuple(race.stages))
    expected = []
    for plane in lattice.hyperplanes:
        seen = set()
        for eq in found:
            value = eq.value.reshape(race.firms, -1)
            for s in plane:
                seen.add((int(s), np.stack([value[:, s + stride] for stride in lattice.strides]).tobytes()))
        expected.append(len(seen))
    assert solved == expected
    assert sum(expected) < sum(len(found) * plane.size for plane in lattice.hyperplanes)  # some games were shared


@st.composite
def contested_races(draw: st.DrawFn) -> pr.Race:
    """Small races of 3 firms, often with several equilibria: loser prizes and participation costs."""
    stages = tuple(draw(st.integers(1, 2)) for _ in range(3))
    loser = draw(st.sampled_from([0.0, 0.5, 0.8, 0.8]))
    costs = tuple(pr.costs.Power(scale=draw(st.sampled_from([0.5, 0.8, 1.5])),
                                 exponent=draw(st.sampled_from([2.0, 3.0])),
                                 linear=draw(st.sampled_from([0.0, 0.1, 0.27, 0.27]))) for _ in range(3))
    discount = draw(st.sampled_from([0.002, 0.002, 0.02, 0.2]))
    return pr.Race(stages=stages, prize=1.0, loser_prize=loser, discount=discount,
                   cost=costs)


@settings(max_examples=examples(20))
@given(contested_races())
@example(pr.Race(stages=(2, 2, 2), prize=1.0, loser_prize=0.8, discount=0.002,  # thorough profile: 2353+ paths
                 cost=pr.costs.Power(scale=0.5, exponent=2.0, linear=0.27)))
def test_every_path_is_an_equilibrium_and_solve_is_one_of_them(race):
    # One path exactly where pr.solve's path is unique at every state (the module docstring's argument),
    # several otherwise; pr.solve's answer is one of them; each is an equilibrium at every state.
    too_many: pr.TooManyEquilibriaError | None = None
    try:
        found = _sweep(race, 1000, True, 0.0)
    except pr.TooManyEquilibriaError as err:  # more paths than the cap: they branch, so pr.solve's path does too
        too_many = err
    except pr.EquilibriumError:  # a state the search cannot resolve (docs/solver.md, "Known limit"): pr.solve too
        with pytest.raises(pr.EquilibriumError):
            pr.solve(race)
        return
    if too_many is not None:
        assert too_many.found > 1000 and len(too_many.branching) > 0
        assert int(pr.solve(race).multiplicity.max()) > 1
        return
    chosen = pr.solve(race)
    unique = int(chosen.multiplicity.max()) == 1
    assert (len(found) == 1) if unique else (len(found) > 1)
    closest = min(float(np.max(np.abs(eq.value - chosen.value))) for eq in found)
    assert closest < 1e-12 * race.prize
    opened = Lattice(tuple(race.stages)).finished.reshape(race.shape) == 0
    for eq in found:
        eq.certify(1e-10, deviation=True)  # finite, HJB residual and no deviation gain above 1e-10
        assert np.all(eq.multiplicity[opened] >= 1)


def test_on_two_firms_the_n_firm_sweep_finds_the_two_firm_paths():
    # A second path to the same list: the n-firm sweep (hyperplanes, find_equilibria) on the two-firm race
    # against the two-firm sweep (anti-diagonals, the all-roots search).
    race = race_of((2, 2))
    two, many = pr.solve_all(race), _sweep(race, 1000, True, 0.0)
    assert len(many) == len(two) == 13
    ours = sorted(tuple(eq.value.ravel().tolist()) for eq in many)
    theirs = sorted(tuple(eq.value.ravel().tolist()) for eq in two)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
