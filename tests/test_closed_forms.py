"""The closed forms and the numbers of docs/theory/race.md, to 1e-9 or better."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import patentrace as pr


@given(prize=st.floats(0.1, 100.0), scale=st.floats(0.05, 20.0), discount=st.floats(1e-4, 2.0))
def test_one_stage_race_lee_wilde(prize: float, scale: float, discount: float):
    p, a, r = prize, scale, discount
    eq = pr.solve(pr.Race(stages=1, prize=p, discount=r, cost=pr.costs.Quadratic(scale=a)))
    x_star = (p - a * r + math.sqrt(p * p + 4 * a * p * r + a * a * r * r)) / (3 * a)
    np.testing.assert_allclose(eq.effort[:, 0, 0], [x_star, x_star], rtol=1e-12)
    np.testing.assert_allclose(eq.value[:, 0, 0], [p - a * x_star] * 2, rtol=1e-11)


def test_two_stage_table_of_spec():
    eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=1.0)))
    np.testing.assert_allclose(eq.effort[:, 1, 0], [0.4686350713, 0.2494666666], atol=1e-9)
    np.testing.assert_allclose(eq.effort[:, 0, 0], [0.3517921025] * 2, atol=1e-9)
    np.testing.assert_allclose(eq.value[:, 0, 0], [0.1795728262] * 2, atol=1e-9)
    assert eq.win_probability[0, 0, 1] == pytest.approx(0.1736986930, abs=1e-9)


@pytest.mark.parametrize(("stages", "discount", "scale"), [(5, 0.1, 1.0), (6, 0.02, 2.0), (4, 0.5, 0.3)])
def test_symmetric_states_follow_the_closed_form(stages: int, discount: float, scale: float):
    # race.md (9): A1 = A2 = A and B1 = B2 = B, x* = [(A - B - a r) + sqrt((A - B - a r)^2 + 6 a r A)] / (3a)
    eq = pr.solve(pr.Race(stages=stages, prize=1.0, discount=discount, cost=pr.costs.Quadratic(scale=scale)))
    a, r = scale, discount
    for k in range(stages):
        big_a, big_b = eq.value[0, k + 1, k], eq.value[0, k, k + 1]
        d = big_a - big_b - a * r
        x_star = (d + math.sqrt(d * d + 6 * a * r * big_a)) / (3 * a)
        assert eq.effort[0, k, k] == pytest.approx(x_star, rel=1e-10)
        assert eq.effort[1, k, k] == pytest.approx(x_star, rel=1e-10)


@pytest.mark.parametrize(("scale", "discount"), [(1.0, 0.1), (0.5, 0.03), (3.0, 0.2)])
def test_single_firm_recursion(scale: float, discount: float):
    # (11), docs/theory/race.md: V(n) = (sqrt(V(n+1) + a r / 2) - sqrt(a r / 2))^2 for a lone firm
    race = pr.Race(stages=6, prize=1.0, discount=discount, cost=pr.costs.Quadratic(scale=scale))
    effort, value = pr.single_firm(race)
    half = scale * discount / 2
    expected = [1.0]
    for _ in range(6):
        # the same expression without cancellation: sqrt(V + h) - sqrt(h) = V / (sqrt(V + h) + sqrt(h))
        expected.append((expected[-1] / (math.sqrt(expected[-1] + half) + math.sqrt(half))) ** 2)
    np.testing.assert_allclose(value[::-1], expected, rtol=1e-12)
    assert effort[-1] == 0.0 and np.all(effort[:-1] > 0)


def test_dropout_example_of_spec():
    # N = 4, r = 0.05, c = 0.05 x + x^2 / 2: firm 1 (index 0) idles at (0, 2), (0, 3) and (1, 3)
    race = pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0, linear=0.05))
    eq = pr.solve(race)
    idle = {(int(i), int(j)) for i, j in zip(*np.nonzero(eq.effort[0, :4, :4] == 0.0), strict=True)}
    assert idle == {(0, 2), (0, 3), (1, 3)}
    # docs/theory/race.md (7): the firm idles exactly where m (r + h2) / lambda1 >= r A1 + h2 (A1 - B1)
    m, r = 0.05, 0.05
    for i in range(4):
        for j in range(4):
            a1, b1, h2 = eq.value[0, i + 1, j], eq.value[0, i, j + 1], eq.hazard[1, i, j]
            assert (m * (r + h2) >= r * a1 + h2 * (a1 - b1)) == ((i, j) in idle)


def test_leader_plays_single_firm_policy_where_the_rival_has_dropped_out():
    race = pr.Race(stages=5, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0, linear=0.06))
    eq = pr.solve(race)
    alone_effort, alone_value = pr.single_firm(race, firm=1)
    checked = 0
    for i in range(5):
        for j in range(5):
            # firm 0 idle here and at every state it can reach while firm 1 moves on
            if all(eq.effort[0, i, jj] == 0.0 for jj in range(j, 5)):
                assert eq.effort[1, i, j] == pytest.approx(alone_effort[j], rel=1e-13)
                assert eq.value[1, i, j] == pytest.approx(alone_value[j], rel=1e-13)
                checked += 1
    assert checked >= 3
