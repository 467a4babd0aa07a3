"""Finite menus of the lagged race (docs/theory/periods.md, issue 19).

The three reproducers of shared/repro/lagged/, checks before return, incomplete searches that warn,
refined menus.
"""

import math
import time
import warnings
from unittest import mock

import numpy as np
import pytest

import patentrace as pr
from patentrace.equations.periods import period_game, terminal_values
from patentrace.solvers import allpaths, stagegame
from patentrace.solvers.stagegame import StateEquilibria, state_equilibria
from tests import oracle_bimatrix as oracle


def binary(cost: float, p: float, r: float, stages: int = 1, extra: tuple[pr.Action, ...] = ()) -> pr.LaggedRace:
    """The oracle of docs/theory/periods.md: work costs ``cost``, advances with probability ``p``; shirk never does."""
    work, shirk = pr.Action(cost, {1: p, 0: 1 - p}), pr.Action(0.0, {0: 1.0})
    return pr.LaggedRace(stages=stages, prize=1.0, lag=1.0, discount=r, actions=[work, *extra, shirk])


def both_work_value(cost: float, p: float, beta: float) -> float:
    """docs/theory/periods.md: v = [-k + beta P (p^2/2 + p(1-p))] / (1 - beta (1-p)^2), both working, the tie split."""
    return (-cost + beta * (p * p / 2 + p * (1 - p))) / (1 - beta * (1 - p) ** 2)


# repro_spurious_equilibrium.py: at r * lag = 1e-3 solve_all returned (shirk, shirk) besides (work, work),
# and solve(selection="slowest") returned it, with a deviation gain of 0.31.
@pytest.mark.parametrize("r", [1e-3, 1e-6, 1e-9, 1e-12])
def test_no_spurious_equilibrium_when_beta_is_close_to_one(r: float):
    p = 0.5
    beta = math.exp(-r)
    k = 0.5 * beta * p * (1 - p / 2)  # k = L/2 < L: (work, work) is the unique equilibrium
    race = binary(k, p, r)
    eqs = pr.solve_all(race)
    assert len(eqs) == 1
    assert eqs[0].strategy[0][0, 0].tolist() == [1.0, 0.0] and eqs[0].strategy[1][0, 0].tolist() == [1.0, 0.0]
    slowest = pr.solve(race, selection="slowest")
    assert slowest.strategy[0][0, 0].tolist() == [1.0, 0.0]
    assert slowest.value[0, 0, 0] == pytest.approx(both_work_value(k, p, beta), rel=1e-9)
    gain, residual = slowest.verify()
    assert gain <= 1e-12 and residual <= 1e-12
    # the exact oracle of M(v): (work, work) is an extreme equilibrium, (shirk, shirk) is not an equilibrium
    game = period_game(race, terminal_values(race), 0, 0)
    v = float(slowest.value[0, 0, 0])
    extreme = oracle.extreme_equilibria(game.payoff(0, v), game.payoff(1, v))
    assert ((1, 0), (1, 0)) in extreme
    assert not oracle.is_equilibrium(game.payoff(0, 0.0), game.payoff(1, 0.0), [0.0, 1.0], [0.0, 1.0])


def test_the_shirkers_values_are_recomputed_not_read_off_an_ill_conditioned_line():
    """The value of (shirk, shirk) is 0 / (1 - beta): read off the support system it can be anything."""
    r, p = 1e-12, 0.5
    beta = math.exp(-r)
    race = binary(0.5 * beta * p * (1 - p / 2), p, r)
    game = period_game(race, terminal_values(race), 0, 0)
    assert game.one_minus_beta == -math.expm1(-r)  # kept to full precision
    gains = stagegame.deviation_gains(game, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    alone = (-race.menus[0][0][0].cost + beta * p) / (1 - beta * (1 - p))  # working against a shirker, for ever
    assert gains[0][0] == pytest.approx(alone * (1 - beta * (1 - p)), rel=1e-9)  # its payoff above v = 0


# repro_maxpairs_silent_miss.py: 31 strictly dominated actions between work and shirk; beyond max_pairs only
# consecutive supports were searched and the mixed equilibrium on {work, shirk} was dropped without a word.
# Found by the thorough hypothesis profile (test_lagged.py): at (0, 0) the follower's indifference
# system, with its value as the line's parameter, is singular to 6e-17; solved by LU it gave a line of
# size 1e15 whose roots were garbage, and the state raised "no equilibrium found".
def test_a_nearly_singular_indifference_system_still_yields_the_equilibrium():
    race = pr.Race(stages=(1, 2), prize=3.0, discount=0.0031622776601683794,
                   cost=pr.costs.Power(scale=0.625, exponent=1.5))
    lagged = pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.4, 1.2])
    eq = pr.solve(lagged)
    game = period_game(lagged, eq.value, 0, 0)
    k1 = game.other[1]  # firm 1's payoffs, firm 0's actions as rows
    # Firm 1 mixes idling (worth exactly 0 for ever) with effort 0.4, so its value is 0 and firm 0's
    # mixture over 0.4 and 1.2 makes effort 0.4 pay 0: s K1(1, 1) + (1 - s) K1(2, 1) = 0.
    share = -k1[2, 1] / (k1[1, 1] - k1[2, 1])
    np.testing.assert_allclose(eq.strategy[0][0, 0], [0.0, share, 1.0 - share], rtol=0, atol=1e-12)
    assert eq.strategy[1][0, 0][2] == 0.0 and 0.0 < eq.strategy[1][0, 0][0] < 1.0
    assert abs(eq.value[1, 0, 0]) <= 1e-15
    assert eq.verify().max_deviation_gain <= 1e-12


# Found by the thorough profile (test_lagged.py::test_symmetry_under_swapping_firms): an action that stays
# with probability 7.6e-54 scales its column of the indifference system by that, the line solved with the
# value as parameter had entries of 1e52, and evaluating it lost every digit of z = v (m . s).
def test_an_action_that_almost_surely_moves_keeps_its_equilibrium():
    finish = pr.Action(0.3125, {0: 7.620918234092617e-54, 2: 1.0})
    menu = [pr.Action(0.0, {0: 1.0}), finish, pr.Action(0.125, {0: 0.4, 1: 0.4, 2: 0.2})]
    race = pr.LaggedRace(stages=(1, 1), prize=1.0, lag=1.0, discount=0.0625, actions=menu)
    found = pr.solve_all(race)
    assert len(found) == 1
    eq = found[0]
    # both finish this period for sure and split the prize: v = beta P / 2 - 0.3125
    beta = math.exp(-0.0625)
    np.testing.assert_allclose(eq.value[:, 0, 0], beta / 2 - 0.3125, rtol=1e-14)
    assert eq.strategy[0][0, 0].tolist() == [0.0, 1.0, 0.0] == eq.strategy[1][0, 0].tolist()
    assert eq.verify().max_deviation_gain <= 1e-14


def test_dominated_fillers_no_longer_hide_the_mixed_equilibrium():
    p, r = 0.5, 0.05
    beta = math.exp(-r)
    high, low = beta * p, beta * p * (1 - p / 2)
    k = 0.5 * (low + high)  # L < k < H: three equilibria
    fillers = tuple(pr.Action(0.9 + 0.001 * n, {1: 0.05, 0: 0.95}) for n in range(31))
    race = binary(k, p, r, extra=fillers)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pr.IncompleteEnumerationWarning)
        eqs = pr.solve_all(race)
    assert len(eqs) == 3
    assert all(eq.solver.options["complete"] for eq in eqs)
    q = (2 / p) * (1 - k / high)  # docs/theory/periods.md: Pr(work) in the symmetric mixed equilibrium
    works = sorted(float(eq.strategy[0][0, 0, 0]) for eq in eqs)
    assert works == pytest.approx([0.0, q, 1.0], abs=1e-12)
    for eq in eqs:  # no weight on a filler
        assert eq.strategy[0][0, 0, 1:-1].sum() == 0.0 and eq.strategy[1][0, 0, 1:-1].sum() == 0.0


def test_an_incomplete_search_warns_naming_the_states_and_the_report_says_so():
    race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    lagged = pr.LaggedRace.from_race(race, lag=0.1, efforts=[k / 8 for k in range(9)])
    with pytest.warns(pr.IncompleteEnumerationWarning, match=r"\[\[0, 0\]\].*supports of more than 1 of 4 x 4"):
        eq = pr.solve(lagged, max_pairs=10)
    assert eq.solver.options["complete"] is False
    assert eq.solver.options["incomplete_states"] == [[0, 0]]
    assert eq.solver.options["searched_support_size"] == [1]
    assert eq.solver.options["undominated_actions"] == [[4, 4]]
    race2 = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    with pytest.warns(pr.IncompleteEnumerationWarning):
        partial = pr.solve(pr.LaggedRace.from_race(race2, lag=0.1, efforts=[k / 8 for k in range(9)]), max_pairs=10)
    assert pr.leapfrog(partial, (0, 1)).complete is False
    with warnings.catch_warnings():
        warnings.simplefilter("error", pr.IncompleteEnumerationWarning)
        full = pr.solve(lagged)  # the default budget searches this one in full
        small = pr.solve(pr.LaggedRace.from_race(race2, lag=0.5, efforts=[0.0, 0.5, 1.0]))
    assert full.solver.options["complete"] is True and small.solver.options["complete"] is True
    assert pr.leapfrog(small, (0, 1)).complete is True


# repro_duplicate_actions.py: a payoff-identical copy of work turned a unique equilibrium into more than
# 1000 (TooManyEquilibriaError), multiplicity 4 at some states.
def test_duplicate_actions_are_one_equilibrium_with_the_duplicates_reported():
    p, beta = 0.5, math.exp(-0.05)
    k = 0.5 * beta * p * (1 - p / 2)
    work, shirk = pr.Action(k, {1: p, 0: 1 - p}), pr.Action(0.0, {0: 1.0})
    plain = pr.LaggedRace(stages=(3, 3), prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    copied = pr.LaggedRace(stages=(3, 3), prize=1.0, lag=1.0, discount=0.05, actions=[work, work, shirk])
    (one,) = pr.solve_all(plain)
    (same,) = pr.solve_all(copied)
    open_states = np.ones((4, 4), dtype=bool)
    open_states[3, :] = open_states[:, 3] = False
    assert np.all(same.multiplicity[open_states] == 1)
    np.testing.assert_array_equal(same.value, one.value)
    np.testing.assert_array_equal(same.win_probability, one.win_probability)
    for firm in (0, 1):  # the copy's weight goes to the first of the two
        np.testing.assert_array_equal(same.strategy[firm][..., 0], one.strategy[firm][..., 0])
        assert np.all(same.strategy[firm][..., 1] == 0.0)
    assert same.solver.options["duplicate_actions"] == [[[0, 1]], [[0, 1]]]
    assert pr.solve(copied).solver.options["duplicate_actions"] == [[[0, 1]], [[0, 1]]]
    assert plain.menus and pr.solve(plain).solver.options["duplicate_actions"] == [[], []]


def random_menu(rng: np.random.Generator, size: int) -> list[pr.Action]:
    menu = []
    for _ in range(size):
        q = rng.dirichlet(np.ones(3))
        menu.append(pr.Action(float(rng.uniform(0, 0.3)), {0: q[0], 1: q[1], 2: q[2]}))
    return menu


def test_duplicates_and_dominated_actions_change_no_equilibrium_on_random_menus():
    """A second solver path: menus with a copy and a dearer twin of an action give the plain menus' equilibria.

    Each is an extreme equilibrium of M(v) by the exact rational oracle.
    """
    rng = np.random.default_rng(19)
    checked = 0
    for _ in range(12):
        menus = [random_menu(rng, int(rng.integers(2, 4))) for _ in range(2)]
        race = pr.LaggedRace(stages=(2, 2), prize=1.0, lag=0.5, discount=0.1, actions=menus, loser_prize=0.1)
        grown = []
        for menu in menus:
            a = menu[int(rng.integers(len(menu)))]
            dearer = pr.Action(a.cost + 0.5, dict(a.progress))  # same progress, dearer: strictly dominated
            grown.append([*menu, a, dearer])
        bigger = pr.LaggedRace(stages=(2, 2), prize=1.0, lag=0.5, discount=0.1, actions=grown, loser_prize=0.1)
        value = terminal_values(race)
        for i, j in ((1, 1), (1, 0), (0, 1), (0, 0)):
            game, wide = period_game(race, value, i, j), period_game(bigger, value, i, j)
            found, more = state_equilibria(game), state_equilibria(wide)
            assert more.value.shape == found.value.shape
            for firm in (0, 1):
                m = len(menus[firm])
                assert np.all(more.strategy[firm][:, m:] == 0.0)  # no weight on the copy or the dearer twin
            order = np.lexsort(found.value.T), np.lexsort(more.value.T)
            np.testing.assert_allclose(more.value[order[1]], found.value[order[0]], atol=1e-12)
            for s1, s2, v in zip(found.strategy[0], found.strategy[1], found.value, strict=True):
                first, second = game.payoff(0, float(v[0])), game.payoff(1, float(v[1]))
                assert oracle.is_enumerated_equilibrium(first, second, s1, s2, atol=1e-9)
                checked += 1
            value[:, i, j] = found.value[0]
    assert checked >= 48


def test_solve_and_solve_all_check_what_they_return():
    """A search that hands back a non-equilibrium (here forced) is caught before anything is returned."""
    p, r = 0.5, 0.05
    beta = math.exp(-r)
    race = binary(0.5 * beta * p * (1 - p / 2), p, r)
    bogus = StateEquilibria((np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])), np.array([[0.0, 0.0]]), False, True)
    with (mock.patch.object(stagegame, "state_equilibria", return_value=bogus),
          pytest.raises(pr.EquilibriumError, match=r"at state \(0, 0\)") as caught):
        pr.solve(race, selection="slowest")
    k = race.menus[0][0][0].cost
    # one-shot gain in M(v) at v = 0: working for one period against a shirker pays -k + beta p P
    assert caught.value.details["deviation_gain"] == pytest.approx(-k + beta * p, rel=1e-12)
    with (mock.patch.object(allpaths, "state_equilibria", return_value=bogus),
          pytest.raises(pr.EquilibriumError, match=r"at state \(0, 0\)")):
        pr.solve_all(race)


def test_refined_menus_settle_and_record_every_step():
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), loser_prize=0.1)
    lagged = pr.LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 0.4, 0.8, 1.2])
    eq = pr.solve(lagged, refine=True, refine_tolerance=0.03, max_refinements=4)
    options = eq.solver.options
    steps = options["refinement"]
    assert [s["efforts"][0] for s in steps] == [4 * 2**k - (2**k - 1) for k in range(len(steps))]  # 4, 7, 13, ...
    assert options["converged"] and options["error_estimate"] <= 0.03
    assert len(steps) == 4  # changes 0.10, 0.027, 0.014: the last two within 0.03
    assert options["error_estimate"] == max(*(s["change"] for s in steps[-2:]), steps[-1]["shifted_change"])
    assert eq.model.effort_grid is not None and len(eq.model.effort_grid[0]) == steps[-1]["efforts"][0]
    # an independent recomputation of the last change: the previous grid solved on its own
    previous = pr.solve(pr.LaggedRace.from_race(race, lag=0.5, efforts=np.linspace(0.0, 1.2, steps[-2]["efforts"][0])))
    change = max(float(np.max(np.abs(eq.value - previous.value))), float(np.max(np.abs(eq.win_probability
                                                                                        - previous.win_probability))))
    assert change == pytest.approx(steps[-1]["change"], abs=1e-12)
    # and of the shifted change: each firm alone on the midpoints of its finest grid (both ends kept), summed
    finest = np.linspace(0.0, 1.2, steps[-1]["efforts"][0])
    middle = np.concatenate([finest[:1], (finest[:-1] + finest[1:]) / 2, finest[-1:]])
    moved = 0.0
    for grids in ((middle, finest), (finest, middle)):
        alone = pr.solve(pr.LaggedRace.from_race(race, lag=0.5, efforts=grids))
        moved += max(float(np.max(np.abs(eq.value - alone.value))),
                     float(np.max(np.abs(eq.win_probability - alone.win_probability))))
    assert moved == pytest.approx(steps[-1]["shifted_change"], abs=1e-12)
    gain, residual = eq.verify()
    assert gain <= 1e-10 and residual <= 1e-10


def test_refine_says_when_it_does_not_settle_and_what_it_needs():
    race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    lagged = pr.LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 1.0])
    with pytest.warns(pr.RefinementWarning, match="did not settle"):
        eq = pr.solve(lagged, refine=True, refine_tolerance=1e-12, max_refinements=2)
    assert eq.solver.options["converged"] is False and len(eq.solver.options["refinement"]) == 3
    by_hand = binary(0.2, 0.5, 0.05)
    with pytest.raises(ValueError, match="from_race"):
        pr.solve(by_hand, refine=True)
    with pytest.raises(ValueError, match="refine_tolerance"):
        pr.solve(lagged, refine=True, refine_tolerance=-1.0)
    with pytest.raises(ValueError, match="max_refinements"):
        pr.solve(lagged, refine=True, max_refinements=0)
    with pytest.raises(ValueError, match="refine"):
        pr.solve(race, refine=True)


@pytest.mark.timing
def test_a_coarser_menu_is_not_slower_on_the_issues_lag_experiment():
    """Issue 19: 21 efforts took 17.6 s, 41 took 2.0 s, 161 took 27.4 s (benchmarks/bench_lagged_menu.py)."""
    race = pr.Race(stages=5, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0),
                   productivity=[1.0, 1.25, 1.5, 1.75, 2.0])
    seconds = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pr.IncompleteEnumerationWarning)
        for points in (21, 41, 161):
            start = time.process_time()  # CPU time: the machine's other load does not count
            pr.lag_experiment(race, [0.1, 0.25, 0.5, 1.0, 2.0], efforts=np.linspace(0.0, 1.0, points))
            seconds[points] = time.process_time() - start
    assert seconds[21] <= 1.1 * seconds[41] and seconds[41] <= 1.1 * seconds[161], seconds
