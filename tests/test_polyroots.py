"""The two per-state paths agree: bracketing (allroots) and exact elimination (polyroots)."""

import numpy as np
import pytest

import patentrace as pr
from patentrace.solvers.allroots import StateGames, find_equilibria
from patentrace.solvers.polyroots import polynomial_equilibria

RACES = {
    # far-behind states: efforts down to 1e-12, where a naive quartic loses the root (docs/theory/race.md)
    "far_behind": pr.Race(stages=6, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
    "three_per_state": pr.Race(stages=(2, 2), prize=1.0, loser_prize=0.8, discount=0.002,
                               cost=(pr.costs.Quadratic(scale=0.5, linear=0.27),
                                     pr.costs.Quadratic(scale=0.8, linear=0.27))),
    "cubic_learning": pr.Race(stages=(3, 2), prize=2.0, loser_prize=0.3, discount=0.03,
                              cost=(pr.costs.Power(scale=1.0, exponent=3.0),
                                    pr.costs.Quadratic(scale=0.4, linear=0.02)),
                              productivity=([1.0, 1.5, 2.0], [0.7, 1.0])),
    "dropout": pr.Race(stages=4, prize=1.0, discount=0.05, cost=pr.costs.Quadratic(linear=0.05)),
}


@pytest.mark.parametrize("name", sorted(RACES))
def test_every_state_has_the_same_equilibria_on_both_paths(name):
    race = RACES[name]
    eq = pr.solve(race)
    n1, n2 = race.stages
    states = [(i, j) for i in range(n1) for j in range(n2)]
    own = np.array([[eq.value[0, i + 1, j] for i, j in states], [eq.value[1, i, j + 1] for i, j in states]])
    rival = np.array([[eq.value[0, i, j + 1] for i, j in states], [eq.value[1, i + 1, j] for i, j in states]])
    lam = np.array([[race.productivity[0][i] for i, _ in states], [race.productivity[1][j] for _, j in states]])
    games = StateGames(own_next=own, rival_next=rival, productivity=lam, discount=np.full(len(states), race.discount),
                       cost=race.cost)
    found = find_equilibria(games)
    for position, _ in enumerate(states):
        bracketed = sorted(map(tuple, found.effort[:, found.state == position].T.tolist()))
        exact = polynomial_equilibria(tuple(own[:, position]), tuple(rival[:, position]), tuple(lam[:, position]),
                                      race.discount, race.cost)
        assert len(bracketed) == len(exact), (states[position], bracketed, exact)
        np.testing.assert_allclose(np.array(bracketed), np.array(exact), rtol=1e-8, atol=1e-300)


def test_non_polynomial_cost_is_refused():
    with pytest.raises(ValueError, match="integer exponent"):
        polynomial_equilibria((1.0, 1.0), (0.0, 0.0), (1.0, 1.0), 0.1, (pr.costs.Power(exponent=2.5),) * 2)
