"""Equilibrium invariants over random races (docs/theory/invariants.md): hypothesis property tests.

Races draw asymmetric stage counts 1..8, power costs with exponents in [1.5, 4] and
linear terms, learning curves, loser prizes and discounts from 1e-4 to 1.
"""

import numpy as np
from hypothesis import assume, example, given
from hypothesis import strategies as st
from strategies import races, swapped

import patentrace as pr
from patentrace.models.lattice import open_states


def assert_same_efforts(ours: np.ndarray, theirs: np.ndarray, rtol: float, race: pr.Race | None = None) -> None:
    """Efforts agree to ``rtol``, or to 1e-8 of the race's largest effort, or (given ``race``) in marginal cost.

    An effort far below the race's scale is fixed by a difference of two nearly equal
    values when a loser prize dominates them (e.g. 0.5528 - 0.5528 = 1e-10), or through a
    marginal cost that is flat at small efforts (exponents above 2): docs/index.md,
    "Precision". Condition (1) of docs/theory/race.md holds the marginal cost ``c'(x)`` to a
    few units in the last place of the prize per unit of productivity, so where two efforts
    differ by more than the tolerances above, their marginal costs in ``race`` must agree to
    64 such units (``|c'(x) - c'(y)| <= 64 eps P lambda``).
    """
    scale = float(np.max(np.abs(theirs)))
    close = np.isclose(ours, theirs, rtol=rtol, atol=1e-8 * scale)
    if race is not None:
        for k in range(2):
            rates = np.append(np.asarray(race.productivity[k], dtype=float), 1.0)  # finished: effort 0 anyway
            rate = rates[:, None] if k == 0 else rates[None, :]
            marginal = race.cost[k].marginal
            slack = np.abs(marginal(ours[k]) - marginal(theirs[k])) <= 64 * np.finfo(float).eps * race.prize * rate
            close[k] |= slack
    worst = np.unravel_index(np.argmax(np.where(close, 0.0, np.abs(ours - theirs))), ours.shape)
    assert close.all(), f"efforts differ at {tuple(int(i) for i in worst)}: {ours[worst]!r} against {theirs[worst]!r}"


@given(races())
def test_no_profitable_deviation_and_no_residual(race: pr.Race):
    eq = pr.solve(race)
    gain, residual = eq.verify()
    assert gain <= 1e-8
    assert residual <= 1e-8


@given(races())
def test_symmetry_under_swapping_firms(race: pr.Race):
    eq, mirror = pr.solve(race), pr.solve(swapped(race))
    # mirrored pairs of equilibria at one state can only be told apart by naming a firm
    assume(eq.multiplicity.max() <= 1)
    for name in ("effort", "hazard", "value", "win_probability"):
        ours, theirs = getattr(eq, name), getattr(mirror, name)
        for k in (0, 1):
            assert_same_efforts(ours[k], theirs[1 - k].T, rtol=1e-10)
    np.testing.assert_allclose(eq.expected_duration, mirror.expected_duration.T, rtol=1e-10)


@given(races())
@example(  # found by the thorough profile: efforts of 1e-319 at (0, 0), an expected duration beyond 1e308
    pr.Race(stages=(6, 6), prize=0.5, discount=1.0, cost=pr.costs.Power(scale=1.25, exponent=1.5))
)
def test_bounds(race: pr.Race):
    eq = pr.solve(race)
    p, loser = race.prize, race.loser_prize
    tol = 1e-12 * p
    assert np.all(eq.value >= -tol) and np.all(eq.value <= p + tol)  # 0 <= V <= P (with L >= 0)
    assert np.all(eq.value.sum(axis=0) <= p + loser + tol)
    assert np.all(eq.effort >= 0.0) and np.all(np.isfinite(eq.effort))
    win = eq.win_probability
    assert np.all(win >= 0.0) and np.all(win <= 1.0 + 1e-12)
    assert np.all(win.sum(axis=0) <= 1.0 + 1e-12)
    # a total hazard below the normal float range (subnormal efforts) holds longer than the double range
    moving = eq.hazard.sum(axis=0) >= np.finfo(float).tiny
    assert np.all(np.isfinite(eq.expected_duration[moving & open_states(race.stages)]) | ~moving[moving])


@given(races(loser=False))
def test_values_rise_with_own_progress_and_fall_with_the_rivals(race: pr.Race):
    # docs/theory/invariants.md states these for L = 0; with L > 0 waiting for the rival's win pays L late, and
    # V1(i, N2 - 1) < L = V1(i, N2) is common
    eq = pr.solve(race)
    assume(eq.multiplicity.max() <= 1)  # a selection rule may jump between equilibrium branches
    tol = 1e-12 * race.prize
    v1, v2 = eq.value
    n1, n2 = race.stages
    assert np.all(np.diff(v1[:, :n2], axis=0) >= -tol)  # V1 non-decreasing in i
    assert np.all(np.diff(v1[:n1, :], axis=1) <= tol)  # V1 non-increasing in j
    assert np.all(np.diff(v2[:n1, :], axis=1) >= -tol)
    assert np.all(np.diff(v2[:, :n2], axis=0) <= tol)


@given(races(), st.floats(0.1, 10.0))
def test_prize_scaling(race: pr.Race, factor: float):
    # dividing the HJB by P: scaling P, L and the cost by the same factor scales values, keeps efforts
    scaled = pr.Race(
        stages=race.stages,
        prize=race.prize * factor,
        discount=race.discount,
        loser_prize=race.loser_prize * factor,
        productivity=race.productivity,
        cost=tuple(pr.costs.Power(c.scale * factor, c.exponent, c.linear * factor) for c in race.cost),
    )
    eq, big = pr.solve(race), pr.solve(scaled)
    assume(eq.multiplicity.max() <= 1)
    assert_same_efforts(big.effort, eq.effort, rtol=1e-9, race=race)
    np.testing.assert_allclose(big.value, eq.value * factor, rtol=1e-9, atol=1e-300)


@given(races(), st.floats(0.1, 10.0))
def test_time_scaling(race: pr.Race, factor: float):
    # measuring time in units 1/factor: r -> factor r, effort -> factor effort, a -> a factor^(1-g), m unchanged
    scaled = pr.Race(
        stages=race.stages,
        prize=race.prize,
        discount=race.discount * factor,
        loser_prize=race.loser_prize,
        productivity=race.productivity,
        cost=tuple(pr.costs.Power(c.scale * factor ** (1 - c.exponent), c.exponent, c.linear) for c in race.cost),
    )
    eq, fast = pr.solve(race), pr.solve(scaled)
    assume(eq.multiplicity.max() <= 1)
    assert_same_efforts(fast.effort, eq.effort * factor, rtol=1e-8, race=scaled)
    np.testing.assert_allclose(fast.value, eq.value, rtol=1e-8, atol=1e-300)
    np.testing.assert_allclose(fast.win_probability, eq.win_probability, rtol=1e-8, atol=1e-12)


@given(races(), st.data())
def test_sub_race_invariance(race: pr.Race, data: st.DataObject):
    # V depends only on the remaining distances: state (i, j) of the race is state (0, 0) of the rest
    n1, n2 = race.stages
    i = data.draw(st.integers(0, n1 - 1))
    j = data.draw(st.integers(0, n2 - 1))
    rest = pr.Race(
        stages=(n1 - i, n2 - j),
        prize=race.prize,
        discount=race.discount,
        loser_prize=race.loser_prize,
        cost=race.cost,
        productivity=(race.productivity[0][i:], race.productivity[1][j:]),
    )
    eq, sub = pr.solve(race), pr.solve(rest)
    # the same numbers up to rounding (a state is solved in a batch of a different size)
    assert np.array_equal(eq.multiplicity[i:, j:], sub.multiplicity)
    assert_same_efforts(eq.effort[:, i:, j:], sub.effort, rtol=1e-12)
    np.testing.assert_allclose(eq.value[:, i:, j:], sub.value, rtol=1e-12, atol=1e-300)
    # a probability built from efforts of limited relative precision: absolute agreement
    np.testing.assert_allclose(eq.win_probability[:, i:, j:], sub.win_probability, rtol=1e-12, atol=1e-14)


@given(races(max_stages=6))
def test_leapfrog_probabilities_are_ordered(race: pr.Race):
    eq = pr.solve(race)
    n1, n2 = race.stages
    for i in range(n1 + 1):
        for j in range(n2 + 1):
            if (i, j) == (n1, n2):
                continue
            report = pr.leapfrog(eq, (i, j))
            if report.follower is None:
                continue
            assert report.follower_win_probability <= report.leapfrog_probability + 1e-12
            assert report.leapfrog_probability <= report.catch_up_probability + 1e-12
            assert report.catch_up_probability <= 1.0 + 1e-12


def test_residual_of_a_subnormal_value_is_measured_against_the_float_floor():
    # Found by hypothesis: firm 1's value at (0, 0) is 5e-318, a subnormal double with four digits left, so
    # its HJB residual relative to its own terms was 1.9e-7 although the absolute residual is ~1e-325
    race = pr.Race(stages=(2, 6), prize=1.75, discount=0.7777777777777778,
                   cost=pr.costs.Power(scale=2.75, exponent=1.5))
    eq = pr.solve(race)
    assert 0.0 < eq.value[1, 0, 0] < 1e-300
    gain, residual = eq.verify()
    assert gain <= 1e-8 and residual <= 1e-8
