"""Leapfrog report and simulation with more than two firms (issue 17).

Numbers come from the two-firm report and chain (a race whose third firm never invests is the
two-firm race), closed forms of the jump chain, and simulation against the absorbing-chain
recursion (within 4 standard errors, fixed seeds).
"""

import functools

import numpy as np
import pytest

import patentrace as pr
from patentrace.models.nfirm_lattice import Lattice
from patentrace.reports.nfirm import preemption_regions
from patentrace.results import chain
from patentrace.results.nfirm import win_probability

IDLE = pr.costs.Quadratic(scale=1.0, linear=50.0)  # a participation cost above every gain: this firm never invests


def with_idle_third_firm(race: pr.Race, stages: int = 3) -> pr.Race:
    return pr.Race(stages=(*race.stages, stages), prize=race.prize, loser_prize=race.loser_prize,
                   discount=race.discount, cost=(*race.cost, IDLE),
                   productivity=(*race.productivity, (1.0,) * stages))


TWO = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=(pr.costs.Quadratic(linear=0.03), pr.costs.Power(
    scale=1.5, exponent=2.5)), productivity=([1.0, 1.2, 1.5], [0.8, 1.0]))


def test_an_idle_third_firm_leaves_the_two_firm_race_and_its_report_unchanged():
    two, three = pr.solve(TWO), pr.solve(with_idle_third_firm(TWO))
    assert np.all(three.effort[2] == 0.0)
    np.testing.assert_allclose(three.value[:2, :, :, 0], two.value, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(three.win_probability[:2, :, :, 0], two.win_probability, rtol=1e-12, atol=1e-15)
    for i, j in ((0, 1), (1, 0), (0, 0), (2, 0)):
        if (TWO.stages[0] - i) == (TWO.stages[1] - j):
            continue
        report2 = pr.leapfrog(two, (i, j))
        report3 = pr.leapfrog(three, (i, j, 0), follower=report2.follower)
        assert report3.leader == report2.leader
        for name in ("follower_win_probability", "leapfrog_probability", "catch_up_probability"):
            assert getattr(report3, name) == pytest.approx(getattr(report2, name), rel=1e-12, abs=1e-15), name
        assert report3.can_leapfrog == report2.can_leapfrog
    # the preemption regions of firms 0 and 1 where firm 2 is far behind: the two-firm region
    region = preemption_regions(three)
    both = region[0, :, :, 0] | region[1, :, :, 0]
    np.testing.assert_array_equal(both, pr.preemption_region(two))


def test_win_probabilities_of_the_n_firm_chain_equal_the_two_firm_chain_and_the_closed_form():
    rng = np.random.default_rng(5)
    hazard = rng.uniform(0.0, 2.0, (2, 4, 3))
    lattice = Lattice((3, 2))
    ours = win_probability(lattice, hazard.reshape(2, -1), np.zeros((2, 12))).reshape(hazard.shape)
    np.testing.assert_allclose(ours, chain.win_probability(hazard), rtol=1e-14, atol=1e-16)
    # one stage each: firm k wins with probability (h_k + b_k) / (sum h + sum b)
    lattice = Lattice((1, 1, 1, 1))
    rates, jumps = np.zeros((4, lattice.size)), np.zeros((4, lattice.size))
    rates[:, 0], jumps[:, 0] = (1.0, 2.0, 0.5, 0.0), (0.0, 0.1, 0.0, 0.4)
    expected = (rates[:, 0] + jumps[:, 0]) / (rates[:, 0].sum() + jumps[:, 0].sum())
    np.testing.assert_allclose(win_probability(lattice, rates, jumps)[:, 0], expected, rtol=1e-15)


RACES = [
    pr.Race(stages=(3, 2, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.02),
            breakthrough=[0.05, 0.1, 0.1]),
    pr.Race(stages=(2, 3, 1, 2), prize=2.0, loser_prize=0.3, discount=0.05,
            cost=(pr.costs.Quadratic(), pr.costs.Power(scale=2.0, exponent=3.0), pr.costs.Quadratic(scale=3.0),
                  pr.costs.Power(scale=1.0, exponent=1.8, linear=0.01))),
    pr.Race(stages=(3, 3, 3), prize=1.0, discount=0.2, cost=pr.costs.Quadratic(linear=0.1)),
]
STARTS = [(0, 1, 0), (0, 0, 0, 1), (0, 1, 2)]


@pytest.mark.parametrize(("race", "start"), list(zip(RACES, STARTS, strict=True)))
def test_simulation_agrees_with_the_chain_within_four_standard_errors(race, start):
    eq = pr.solve(race)
    report = pr.leapfrog(eq, start)
    sim = pr.simulate(eq, start, paths=100_000, seed=11)
    assert sim.follower == report.follower and sim.leader == report.leader
    np.testing.assert_array_less(np.abs(sim.win_frequency - np.asarray(report.win_probability)),
                                 4 * sim.win_standard_error + 1e-12)
    pairs = [(sim.leapfrog_frequency, report.leapfrog_probability, sim.leapfrog_standard_error),
             (sim.catch_up_frequency, report.catch_up_probability, sim.catch_up_standard_error),
             (sim.leapfrog_all_frequency, report.leapfrog_all_probability, sim.leapfrog_all_standard_error),
             (sim.catch_up_all_frequency, report.catch_up_all_probability, sim.catch_up_all_standard_error)]
    for frequency, probability, error in pairs:
        assert abs(frequency - probability) <= 4 * error + 1e-12
    duration = eq.expected_duration[start]
    assert abs(sim.mean_duration - duration) <= 4 * sim.duration_standard_error


@pytest.mark.parametrize(("race", "start"), list(zip(RACES, STARTS, strict=True)))
def test_report_probabilities_are_ordered_and_name_the_roles(race, start):
    eq = pr.solve(race)
    report = pr.leapfrog(eq, start)
    left = [n - i for n, i in zip(race.stages, start, strict=True)]
    assert report.follower == int(np.argmax(left)) and report.remaining == tuple(left)
    assert left[report.leader] == min(left[k] for k in range(race.firms) if k != report.follower)
    slack = 1e-14
    assert report.follower_win_probability <= report.leapfrog_all_probability + slack
    assert report.leapfrog_all_probability <= report.leapfrog_probability + slack
    assert report.leapfrog_probability <= report.catch_up_probability + slack <= 1 + 2 * slack
    assert report.leapfrog_all_probability <= report.catch_up_all_probability + slack
    assert report.leapfrog_by_rival[report.follower] is None
    assert report.leapfrog_by_rival[report.leader] == pytest.approx(report.leapfrog_probability, rel=1e-14)
    assert sum(report.win_probability) == pytest.approx(1.0, rel=1e-13)
    region = report.preemption_region
    assert region.shape == eq.effort.shape and np.all(eq.effort[region] == 0.0)


def test_dropout_with_three_firms_gives_a_preemption_region_per_firm():
    eq = pr.solve(RACES[2])  # alike firms, participation cost 0.1
    report = pr.leapfrog(eq, (0, 1, 2))
    region = report.preemption_region
    assert region[0, 0, 2, 2] and not region[0, 2, 2, 2]  # far behind two rivals it idles; level, it does not
    for order in ((1, 0, 2), (2, 1, 0)):  # alike firms: the regions are permutations of each other
        np.testing.assert_array_equal(np.transpose(region, [0, *(1 + k for k in order)])[list(order)], region)
    assert report.can_leapfrog == (report.leapfrog_probability > 0.0)


def test_a_named_follower_and_bad_arguments():
    eq = pr.solve(RACES[0])
    report = pr.leapfrog(eq, (0, 1, 0), follower=2)
    assert report.follower == 2 and report.leader == 1
    with pytest.raises(ValueError, match="follower must be a firm"):
        pr.leapfrog(eq, (0, 1, 0), follower=3)
    with pytest.raises(ValueError, match="state must have one entry per firm"):
        pr.leapfrog(eq, (0, 1))
    with pytest.raises(ValueError, match="state must have one entry per firm"):
        pr.simulate(eq, (0, 1), paths=10)
    with pytest.raises(ValueError, match="follower can be named only"):
        pr.leapfrog(pr.solve(TWO), (0, 1), follower=0)
    with pytest.raises(ValueError, match="paths must be an int >= 1"):
        pr.simulate(eq, (0, 1, 0), paths=0)


# --- many races, sweeps, saving and loading ------------------------------------------------------------------


def test_solve_many_mixes_two_and_more_firms_and_each_race_gets_what_solve_gives_it():
    models = [RACES[0], TWO, RACES[1], pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())]
    for got, model in zip(pr.solve_many(models), models, strict=True):
        assert type(got) is type(pr.solve(model))
        for name in ("effort", "value", "win_probability", "expected_duration", "multiplicity"):
            np.testing.assert_array_equal(getattr(got, name), getattr(pr.solve(model), name))


def test_an_n_firm_equilibrium_saves_and_loads_equal_with_one_dimension_per_firm(tmp_path):
    eq = pr.solve(RACES[0])
    for suffix in (".json", ".nc"):
        path = tmp_path / f"eq{suffix}"
        pr.save(eq, path)
        assert pr.load(path) == eq
    dataset = eq.to_xarray()
    assert dataset["effort"].dims == ("firm", "i0", "i1", "i2")
    assert dataset["expected_duration"].dims == ("i0", "i1", "i2")
    assert float(dataset["value"].sel(firm=1, i0=0, i1=1, i2=0)) == eq.value[1, 0, 1, 0]
    assert pr.NFirmEquilibrium.from_dict(eq.to_dict()) == eq


def test_a_sweep_over_three_firm_races():
    make = functools.partial(pr.Race, stages=(1, 1, 1), prize=1.0, cost=pr.costs.Quadratic())
    result = pr.sweep(make, {"discount": [0.05, 0.1]}, measure=lambda eq: eq.effort[:, 0, 0, 0], dims=("firm",),
                      progress=False)
    dataset = result.to_xarray()
    assert dataset["measure"].dims == ("discount", "firm")
    for r in (0.05, 0.1):  # docs/theory/race.md (20), n = 3, P = a = 1, L = 0
        x = (2 - r + np.sqrt((2 - r) ** 2 + 10 * r)) / 5
        np.testing.assert_allclose(dataset["measure"].sel(discount=r).values, x, rtol=1e-12)
