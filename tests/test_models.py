"""Race construction: normalisation and the bad inputs of issue 2, each naming its parameter."""

import math

import numpy as np
import pytest

import patentrace as pr

Q = pr.costs.Quadratic()


def race(**changes: object) -> pr.Race:
    arguments: dict[str, object] = {"stages": (3, 2), "prize": 1.0, "discount": 0.1, "cost": Q}
    arguments.update(changes)
    return pr.Race(**arguments)  # type: ignore[arg-type]


def test_normalises_every_per_firm_parameter_to_a_pair():
    r = race(stages=2, productivity=[1.0, 2.0])
    assert r.stages == (2, 2)
    assert r.cost == (Q, Q)
    assert r.productivity == ((1.0, 2.0), (1.0, 2.0))
    shared = race(stages=(3, 2), productivity=[1.0, 2.0, 3.0])
    assert shared.productivity == ((1.0, 2.0, 3.0), (1.0, 2.0))
    pair = race(stages=(3, 2), productivity=([1, 2, 3], np.array([4.0, 5.0])))
    assert pair.productivity == ((1.0, 2.0, 3.0), (4.0, 5.0))
    assert r == race(stages=(2, 2), productivity=([1.0, 2.0], [1.0, 2.0]))  # same race, same value
    assert hash(r) == hash(race(stages=(2, 2), productivity=([1.0, 2.0], [1.0, 2.0])))


def test_is_frozen():
    r = race()
    with pytest.raises(AttributeError):
        r.prize = 2.0  # type: ignore[misc]


@pytest.mark.parametrize("discount", [0.0, -0.1, math.nan, math.inf])
def test_discount_must_be_positive_and_finite(discount: float):
    with pytest.raises(ValueError, match="discount"):
        race(discount=discount)


@pytest.mark.parametrize("stages", [0, -1, (3, 0), (0, 2)])
def test_stages_below_one(stages: object):
    with pytest.raises(ValueError, match="stages"):
        race(stages=stages)


@pytest.mark.parametrize("stages", [1.5, "3", True, (2, 2.0), None])
def test_stages_not_an_integer(stages: object):
    with pytest.raises(TypeError, match="stages"):
        race(stages=stages)


def test_stages_wrong_count():
    with pytest.raises(ValueError, match="stages"):
        race(stages=(1, 2, 3))


@pytest.mark.parametrize("prize", [-1.0, 0.0, math.inf, math.nan])
def test_prize_negative_or_not_finite(prize: float):
    with pytest.raises(ValueError, match="prize"):
        race(prize=prize)


def test_loser_prize_above_prize():
    with pytest.raises(ValueError, match="loser_prize"):
        race(loser_prize=1.5)
    with pytest.raises(ValueError, match="loser_prize"):
        race(loser_prize=math.inf)


@pytest.mark.parametrize(
    "productivity",
    [
        [1.0, 1.0],  # shared sequence needs max(N1, N2) = 3 entries
        ([1.0, 1.0], [1.0, 1.0]),  # firm 0 needs 3
        ([1.0, 1.0, 1.0], [1.0]),  # firm 1 needs 2
        [1.0, 0.0, 1.0],
        [1.0, -1.0, 1.0],
        [1.0, math.inf, 1.0],
        ([1.0, 1.0, 1.0], [1.0, 1.0], [1.0]),
    ],
)
def test_productivity_wrong_length_or_not_positive(productivity: object):
    with pytest.raises(ValueError, match="productivity"):
        race(productivity=productivity)


def test_productivity_not_a_sequence():
    with pytest.raises(TypeError, match="productivity"):
        race(productivity=2.0)


@pytest.mark.parametrize("cost", ["quadratic", 1.0, (Q, "x"), lambda x: x * x])
def test_cost_not_a_cost_object(cost: object):
    with pytest.raises(TypeError, match="cost"):
        race(cost=cost)


def test_cost_pair_of_wrong_length():
    with pytest.raises(ValueError, match="cost"):
        race(cost=(Q, Q, Q))


@pytest.mark.parametrize("state", [(4, 0), (0, 3), (-1, 0), (3, 2), (0,), (0.5, 1), "00"])
def test_state_outside_the_race(state: object):
    eq = pr.solve(race())
    with pytest.raises(ValueError, match="state"):
        pr.leapfrog(eq, state=state)  # type: ignore[arg-type]


def test_solver_options_are_checked():
    with pytest.raises(ValueError, match="selection"):
        pr.solve(race(), selection="best")
    with pytest.raises(ValueError, match="grid"):
        pr.solve(race(), grid=1)
    with pytest.raises(TypeError, match="model"):
        pr.solve("race")  # type: ignore[arg-type]
