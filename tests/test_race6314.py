"""Fuzz race 6314 (issue 21): solve_all raised at state (63, 64), which solve certifies.

The race is ``shared/repro/reliability/fuzz/cases/6314.json`` (drawn by ``fuzz.py``), its
numbers copied in below. On a branch that ``pr.solve`` never visits, the game at (63, 64) has a
third equilibrium in which each firm sits a few float spacings below the effort at which the
other stops investing: both best responses are nearly vertical there, so the composite map
jumps across the root between neighbouring floats whichever firm's effort is the variable. The
all-roots search settled the pair onto that jump, rounding one effort to 0, and gave up
("efforts are not mutual best responses"). The first-order conditions (1) themselves stay well
conditioned there, and Newton's method on them settles the pair.

Independent checks (nothing from patentrace below but the objects under test):

- best responses from condition (1) by bisection, written out for the power cost;
- the count of equilibria of a state: the roots of ``phi(x) = BR0(BR1(x)) - x`` on a dense grid of
  firm 0's effort (exact zeros, plus sign changes between neighbours: ``phi`` is continuous, so a
  sign change holds a root even where floats cannot resolve it);
- mutual best responses: no effort on a fine grid gains more than ``1e-10`` of the continuation
  values (the tolerance the search certifies);
- the third equilibrium itself, by Newton's method on (1) at 50 digits (mpmath).
"""

import mpmath as mp
import numpy as np
import pytest

import patentrace as pr
from patentrace.solvers.allroots import StateGames, find_equilibria

# fuzz/cases/6314.json, "params"
PRIZE = 0.0008844950286279643
LOSER = 0.0006704582606231408
DISCOUNT = 1.93094697660602e-07
SCALE, EXPONENT, LINEAR = 28.299593980349787, 5.208864603193172, 3.105900771692827e-05
STAGES = (71, 71)
STATE = (63, 64)
# What state (63, 64) sees on the branch that failed: A_k = own_next, B_k = rival_next.
OWN_NEXT = (0.0006669029682560326, 0.0006979849940842113)
RIVAL_NEXT = (0.0006703492308420643, 0.0006703305361668601)
GAIN_TOLERANCE = 1e-10


def race(stages=STAGES):
    cost = pr.costs.Power(scale=SCALE, exponent=EXPONENT, linear=LINEAR)
    return pr.Race(stages=stages, prize=PRIZE, discount=DISCOUNT, cost=(cost, cost), loser_prize=LOSER)


def cost(x):
    return LINEAR * x + SCALE * x**EXPONENT / EXPONENT


def best_response(own, rival, hazard):
    """Condition (1) with lambda = 1, by bisection on [0, 1]: G(x) = c'(x)(r + x + h) - c(x) = r A + h (A - B)."""
    hazard = np.asarray(hazard, dtype=float)
    target = DISCOUNT * own + hazard * (own - rival)

    def excess(x):
        return (LINEAR + SCALE * x ** (EXPONENT - 1.0)) * (DISCOUNT + x + hazard) - cost(x) - target

    idle = excess(np.zeros_like(hazard)) >= 0.0  # the firm does not invest
    lo, hi = np.zeros_like(hazard), np.where(idle, 0.0, 1.0)
    assert np.all(idle | (excess(hi) > 0.0))
    for _ in range(1100):  # until lo and hi are neighbouring floats
        mid = 0.5 * (lo + hi)
        if np.all((mid == lo) | (mid == hi)):
            break
        up = excess(mid) > 0.0
        hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
    return lo


def value(x, own, rival, hazard):
    """Firm's value from effort x against the rival's hazard (docs/theory/race.md, lambda = 1)."""
    return (-cost(x) + x * own + hazard * rival) / (DISCOUNT + x + hazard)


def effort_bound(own, rival):
    """c'(X) = max(A, A - B) bounds every best response (lambda = 1)."""
    return ((max(own, own - rival) - LINEAR) / SCALE) ** (1.0 / (EXPONENT - 1.0))


def scan_count(own, rival, points=200_001):
    """Roots of BR0(BR1(x)) - x over firm 0's effort range, on a dense grid."""
    x = np.linspace(0.0, effort_bound(own[0], rival[0]) * (1.0 + 1e-9), points)
    phi = best_response(own[0], rival[0], best_response(own[1], rival[1], x)) - x
    zeros = int(np.sum(phi == 0.0))
    changes = int(np.sum(phi[:-1] * phi[1:] < 0.0))
    return zeros + changes


def grid_gain(effort, own, rival):
    """Largest gain of either firm from any effort on a fine grid, relative to its continuation values."""
    worst = 0.0
    for k in (0, 1):
        top = effort_bound(own[k], rival[k])
        grid = np.concatenate([np.linspace(0.0, top, 200_001), np.geomspace(1e-15, top, 200_001)])
        hazard = effort[1 - k]
        gain = np.max(value(grid, own[k], rival[k], hazard)) - value(effort[k], own[k], rival[k], hazard)
        worst = max(worst, gain / max(abs(own[k]), abs(rival[k])))
    return worst


def seen_at(eq, i, j):
    """A_k and B_k of state (i, j) in a solved race."""
    v = eq.value
    return (v[0, i + 1, j], v[1, i, j + 1]), (v[0, i, j + 1], v[1, i + 1, j])


def interior_equilibrium():
    """The third equilibrium of the failing game: Newton on both conditions (1) at 50 digits."""
    with mp.workdps(50):
        a, g, m, r = (mp.mpf(v) for v in (SCALE, EXPONENT, LINEAR, DISCOUNT))
        own, rival = [mp.mpf(v) for v in OWN_NEXT], [mp.mpf(v) for v in RIVAL_NEXT]

        def condition(k, xk, xo):
            gain = r * own[k] + xo * (own[k] - rival[k])
            return (m + a * xk ** (g - 1)) * (r + xk + xo) - (m * xk + a * xk**g / g) - gain

        # each firm just below the hazard at which the other stops investing
        stop = [r * (own[k] - m) / (m - (own[k] - rival[k])) for k in (0, 1)]
        conditions = [lambda u, v: condition(0, u, v), lambda u, v: condition(1, v, u)]
        x0, x1 = mp.findroot(conditions, (stop[1], stop[0]), tol=mp.mpf(10) ** -45)
        assert 0 < x0 < stop[1] and 0 < x1 < stop[0]
        return float(x0), float(x1)


def test_failing_state_has_three_equilibria_all_mutual_best_responses():
    cost_ = pr.costs.Power(scale=SCALE, exponent=EXPONENT, linear=LINEAR)
    games = StateGames(
        own_next=np.array(OWN_NEXT)[:, None], rival_next=np.array(RIVAL_NEXT)[:, None],
        productivity=np.ones((2, 1)), discount=np.array([DISCOUNT]), cost=(cost_, cost_),
    )
    found = find_equilibria(games)  # raised EquilibriumError before the fix
    assert found.count.tolist() == [scan_count(OWN_NEXT, RIVAL_NEXT)] == [3]
    for effort in found.effort.T:
        assert grid_gain(effort, OWN_NEXT, RIVAL_NEXT) <= GAIN_TOLERANCE
    interior = found.effort[:, np.all(found.effort > 0.0, axis=0)]
    assert interior.shape == (2, 1)
    np.testing.assert_allclose(interior[:, 0], interior_equilibrium(), rtol=1e-12)


def test_sub_race_from_the_failing_state_every_equilibrium():
    """Race (8, 7) is race 6314 from (63, 64) on (sub-race invariance, invariants.md (I7)): its (0, 0) is (63, 64)."""
    small = race((STAGES[0] - STATE[0], STAGES[1] - STATE[1]))
    found = pr.solve_all(small)  # raised EquilibriumError at (0, 0) before the fix
    assert len(found) == 5
    assert any(
        seen_at(eq, 0, 0) == (OWN_NEXT, RIVAL_NEXT) and eq.multiplicity[0, 0] == 3 for eq in found
    )  # the branch that failed
    for eq in found:
        gain, residual = eq.verify()
        assert gain <= 1e-10 * PRIZE and residual <= 1e-10 * PRIZE
        own, rival = seen_at(eq, 0, 0)
        assert grid_gain(eq.effort[:, 0, 0], own, rival) <= GAIN_TOLERANCE
        assert eq.multiplicity[0, 0] == scan_count(own, rival)
    # solve's equilibrium is one of them (to rounding: solve settles unique states in its compiled kernel)
    chosen = pr.solve(small)
    matches = [
        e for e in found
        if all(np.allclose(getattr(e, n), getattr(chosen, n), rtol=1e-12, atol=1e-15)
               for n in ("effort", "value", "win_probability"))
    ]
    assert len(matches) == 1
    assert matches[0].multiplicity.tolist() == chosen.multiplicity.tolist()


def test_full_race_gets_past_the_failing_state():
    """The whole race has more than 1000 equilibria: solve_all says so instead of failing at (63, 64)."""
    with pytest.raises(pr.TooManyEquilibriaError) as info:
        pr.solve_all(race())  # raised EquilibriumError at (63, 64) before the fix
    assert info.value.found > 1000
    assert STATE in info.value.branching
