"""Which equilibrium a state gets: the selection rules, and symmetry under swapping firms (docs/theory/race.md).

The all-roots search (``patentrace.solvers.allroots``) finds every equilibrium of a
state's game; ``select`` picks one by the rule the caller names. A race whose firms
are interchangeable (``interchangeable``) has, at each level state, a game that is
the same for both firms (``symmetric_games``); there the rule chooses among the
symmetric equilibria (``symmetric_equilibria``), so that the race comes out symmetric
whatever rounding does.

Examples
--------
>>> import numpy as np
>>> from patentrace.solvers.allroots import StateEquilibria
>>> found = StateEquilibria(state=np.array([0, 0]), effort=np.array([[0.5, 0.0], [0.0, 0.5]]),
...                         value=np.zeros((2, 2)), count=np.array([2]))
>>> select(found, productivity=np.ones((2, 1))).tolist()      # a tie: firm 0 works
[0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from patentrace.models import Race
from patentrace.models.costs import PowerFamily

if TYPE_CHECKING:  # the search imports this module; its types are only annotations here
    from patentrace.solvers.allroots import StateEquilibria, StateGames

__all__ = ["SELECTION_RULES", "interchangeable", "select", "symmetric_equilibria", "symmetric_games"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

SELECTION_RULES: tuple[str, ...] = ("fastest", "slowest", "richest")

# Selection scores this close (relative) to a state's best are ties (see select).
_TIE = 1e-9
# Efforts this close (relative) make an equilibrium symmetric (see symmetric_equilibria).
_SYMMETRIC = 1e-8


def interchangeable(race: Race) -> bool:
    """Whether exchanging the firms leaves ``race`` unchanged: same stages, costs, productivity, breakthroughs.

    The solvers then give state ``(i, j)`` the equilibrium of ``(j, i)`` with the firms
    exchanged (docs/theory/invariants.md (I5), "symmetry"), so that the race comes out
    symmetric whatever rounding does.

    Examples
    --------
    >>> import patentrace as pr
    >>> interchangeable(pr.Race(stages=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    True
    >>> interchangeable(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    False
    """
    first, second = race.cost
    return bool(
        race.stages[0] == race.stages[1] and first == second
        and race.productivity[0] == race.productivity[1] and race.breakthrough[0] == race.breakthrough[1]
    )


def symmetric_games(games: StateGames) -> NDArray[np.bool_]:
    """States whose game is the same for both firms, exactly: a level state of a symmetric race.

    Both firms have the same cost there, the same productivity and the same continuation
    values ``A`` and ``B`` (bit for bit), so exchanging them maps every equilibrium to an
    equilibrium, and the game has a symmetric equilibrium (docs/theory/invariants.md (I5), "symmetry under
    swapping firms").

    Examples
    --------
    >>> import numpy as np
    >>> from patentrace.costs import Quadratic
    >>> from patentrace.solvers.allroots import StateGames
    >>> games = StateGames(own_next=np.array([[1.0, 1.0], [1.0, 0.9]]), rival_next=np.zeros((2, 2)),
    ...                    productivity=np.ones((2, 2)), discount=np.array([0.1, 0.1]),
    ...                    cost=(Quadratic(), Quadratic()))
    >>> symmetric_games(games).tolist()
    [True, False]
    """
    same = (
        (games.own_next[0] == games.own_next[1])
        & (games.rival_next[0] == games.rival_next[1])
        & (games.productivity[0] == games.productivity[1])
    )
    first, second = games.cost
    if isinstance(first, PowerFamily) and isinstance(second, PowerFamily):
        for name in ("scale", "exponent", "linear"):
            same &= np.broadcast_to(getattr(first, name) == getattr(second, name), same.shape)
    elif first != second:
        same[:] = False
    return np.asarray(same)


def symmetric_equilibria(found: StateEquilibria) -> NDArray[np.bool_]:
    """Equilibria whose two efforts agree to ``1e-8`` (relative): the symmetric ones of a symmetric game."""
    x0, x1 = found.effort
    return np.asarray(np.abs(x0 - x1) <= _SYMMETRIC * np.maximum(np.abs(x0), np.abs(x1)))


def select(
    found: StateEquilibria, productivity: FloatArray, rule: str = "fastest",
    symmetric: NDArray[np.bool_] | None = None,
) -> IntArray:
    """Pick one equilibrium per state; returns positions into ``found``.

    Parameters
    ----------
    found : StateEquilibria
        Every equilibrium at each state.
    productivity : ndarray, shape (2, n)
        ``lambda_k`` at each state, to turn efforts into hazards.
    rule : {"fastest", "slowest", "richest"}
        ``"fastest"`` (default): the largest total hazard ``h_0 + h_1`` (in a game of
        strategic complements, the greatest equilibrium); ``"slowest"``: the
        smallest; ``"richest"``: the largest joint value ``V_0 + V_1``. Scores within
        ``1e-9`` (relative) of a state's best are ties, decided by the larger hazard of
        firm 0, then by the larger total hazard: at a symmetric state the
        equilibria ``(x, 0)`` and ``(0, x)`` tie exactly, and the choice must not depend
        on the last bits of the continuation values (docs/solver.md, "The hybrid path").
    symmetric : ndarray of bool, shape (n,), optional
        States whose game is the same for both firms (``symmetric_games``). There the
        rule chooses among the symmetric equilibria only (``symmetric_equilibria``;
        a symmetric game always has one), so that a symmetric race comes out symmetric
        instead of favouring one firm by the tie rule (docs/solver.md, "Selection").

    Returns
    -------
    ndarray of int, shape (n,)
        The position in ``found`` of the chosen equilibrium of each state.
    """
    hazard = productivity[:, found.state] * found.effort
    total_hazard = np.sum(hazard, axis=0)
    if rule == "fastest":
        score = total_hazard
    elif rule == "slowest":
        score = -total_hazard
    elif rule == "richest":
        score = np.sum(found.value, axis=0)
    else:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {rule!r}")
    states = found.count.size
    candidate = np.ones(found.state.size, dtype=bool)
    if symmetric is not None:
        balanced = symmetric_equilibria(found)
        has_balanced = np.bincount(found.state, weights=balanced, minlength=states) > 0
        candidate = ~(symmetric & has_balanced)[found.state] | balanced
    best = np.full(states, -np.inf)
    np.maximum.at(best, found.state[candidate], score[candidate])
    size = np.zeros(states)
    np.maximum.at(size, found.state[candidate], np.abs(score[candidate]))
    near = candidate & (score >= best[found.state] - _TIE * size[found.state])
    order = np.lexsort((-total_hazard, -hazard[0], ~near, found.state))
    first = np.ones(order.size, dtype=bool)
    first[1:] = found.state[order][1:] != found.state[order][:-1]
    return np.asarray(order[first])
