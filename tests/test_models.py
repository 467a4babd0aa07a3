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


def cases(error: type[Exception], name: str, values: list[object]) -> list[tuple[type[Exception], str, object]]:
    return [(error, name, value) for value in values]


BAD_ARGUMENTS = [
    *cases(ValueError, "discount", [0.0, -0.1, math.nan, math.inf]),  # must be positive and finite
    *cases(ValueError, "stages", [0, -1, (3, 0), (0, 2)]),  # below one
    *cases(TypeError, "stages", [1.5, "3", True, (2, 2.0), None]),  # not an integer
    *cases(ValueError, "stages", [(3,), ()]),  # one firm or none: a race has two firms or more (issue 17)
    *cases(ValueError, "prize", [-1.0, 0.0, math.inf, math.nan]),  # negative or not finite
    *cases(ValueError, "loser_prize", [1.5, math.inf]),  # above the prize
    *cases(ValueError, "productivity", [
        [1.0, 1.0],  # shared sequence needs max(N1, N2) = 3 entries
        ([1.0, 1.0], [1.0, 1.0]),  # firm 0 needs 3
        ([1.0, 1.0, 1.0], [1.0]),  # firm 1 needs 2
        [1.0, 0.0, 1.0],
        [1.0, -1.0, 1.0],
        [1.0, math.inf, 1.0],
        ([1.0, 1.0, 1.0], [1.0, 1.0], [1.0]),
    ]),
    *cases(TypeError, "productivity", [2.0]),  # not a sequence
    *cases(TypeError, "cost", ["quadratic", 1.0, (Q, "x"), lambda x: x * x]),  # not a cost object
    *cases(ValueError, "cost", [(Q, Q, Q)]),  # a pair of the wrong length
]


@pytest.mark.parametrize(("error", "name", "value"), BAD_ARGUMENTS)
def test_a_bad_argument_raises_naming_it(error: type[Exception], name: str, value: object):
    with pytest.raises(error, match=name):
        race(**{name: value})


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
