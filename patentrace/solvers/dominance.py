"""A period game without duplicate and strictly dominated actions (docs/theory/periods.md).

Before the supports of a state's period game are enumerated
([`patentrace.solvers.stagegame`][patentrace.solvers.stagegame]), payoff-identical
duplicate actions are merged (an equilibrium puts their weight on the first; they are
reported, not counted as more equilibria) and strictly dominated actions are removed,
iteratively, with dominance checked at both ends of the range the firm's value can take
in any equilibrium. An action removed so is never a best response, so no equilibrium is lost.

Examples
--------
Nothing is removed from a game in which each action is somebody's best reply: (P5) of
docs/theory/periods.md with the work cost between the two thresholds.

>>> import patentrace as pr
>>> from patentrace.equations.periods import period_game, terminal_values
>>> menu = [pr.Action(0.4, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})]
>>> middle = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=menu)
>>> [len(kept) for kept in reduce_game(period_game(middle, terminal_values(middle), 0, 0), 2.0).kept]
[2, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace.equations.periods import PeriodGame

__all__ = ["Reduction", "reduce_game", "subgame"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class Reduction:
    """A period game without duplicate and strictly dominated actions (the actions kept, by firm).

    Examples
    --------
    A menu that lists working twice: the copies are one action, and shirking, dominated
    when work costs less than the loser's loss (docs/theory/periods.md (P5)), is removed.

    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk, work])
    >>> game = period_game(race, terminal_values(race), 0, 0)
    >>> reduction = reduce_game(game, scale=2.0)
    >>> [kept.tolist() for kept in reduction.kept], reduction.duplicates
    ([[0], [0]], (((0, 2),), ((0, 2),)))
    """

    game: PeriodGame
    kept: tuple[IntArray, IntArray]
    duplicates: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]


def subgame(game: PeriodGame, rows: IntArray, cols: IntArray) -> PeriodGame:
    """The period game restricted to firm 0's actions ``rows`` and firm 1's ``cols``.

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations import periods
    >>> sure = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05,
    ...                      actions=[pr.Action(0.3, {1: 1.0}), pr.Action(0.0, {0: 1.0})])
    >>> subgame(periods.period_game(sure, periods.terminal_values(sure), 0, 0), np.array([0, 1]), np.array([1])
    ...         ).other.shape     # both firms' payoffs, firm 0's two actions against firm 1's second
    (2, 2, 1)
    """
    return PeriodGame(other=game.other[:, rows][:, :, cols], stay=(game.stay[0][rows], game.stay[1][cols]),
                      beta=game.beta, progress=(game.progress[0][rows], game.progress[1][cols]),
                      outcomes=game.outcomes, impatience=game.one_minus_beta)


def _duplicates(keys: FloatArray) -> tuple[IntArray, tuple[tuple[int, ...], ...]]:
    """First action of each group of rows of ``keys`` that are equal, and the groups with several."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    groups = tuple(tuple(int(a) for a in np.flatnonzero(inverse == g)) for g in range(first.size))
    return np.sort(first).astype(np.intp), tuple(g for g in groups if len(g) > 1)


def _value_bounds(game: PeriodGame) -> tuple[FloatArray, FloatArray]:
    """Bounds ``(low, high)`` on each firm's value in any equilibrium of the state's game.

    A value is the ratio of sums ``sum K(a, b) s_a s_b / sum (1 - beta u_a w_b) s_a s_b``, so it
    lies within the range of the ratios ``K(a, b) / (1 - beta u_a w_b)``; and a firm can play
    any one action for ever, so its value is at least the worst ratio of its best such action.
    """
    beta, impatience = game.beta, game.one_minus_beta
    mv, mw = game.moves(0), game.moves(1)
    leaving = impatience + beta * (mv[:, None] + game.stay[0][:, None] * mw[None, :])
    ratio = game.other / leaving[None]
    low = np.array([np.max(np.min(ratio[0], axis=1)), np.max(np.min(ratio[1], axis=0))])
    high = np.array([np.max(ratio[0]), np.max(ratio[1])])
    return low, high


def _beaten(payoff: FloatArray, stay: FloatArray, rival_stay: FloatArray, beta: float, values: FloatArray,
            margin: float) -> NDArray[np.bool_]:
    """Own actions (rows of ``payoff``) that another action beats against every rival action, at every value."""
    m = payoff.shape[0]
    out = np.zeros(m, dtype=bool)
    for start in range(0, m, 64):  # chunks of the beaten action keep memory linear in m^2
        block = slice(start, min(start + 64, m))
        better = np.ones((block.stop - block.start, m), dtype=bool)
        for v in values:
            pay = payoff + beta * stay[:, None] * rival_stay[None, :] * v
            better &= np.all(pay[None, :, :] > pay[block, None, :] + margin, axis=2)
        out[block] = better.any(axis=1)
    return out


def reduce_game(game: PeriodGame, scale: float) -> Reduction:
    """Merge payoff-identical actions, then remove strictly dominated ones, iteratively.

    Two actions of a firm are duplicates when they give both firms the same payoffs
    against every rival action and the same chance of staying: equilibria that differ
    only in how they split weight between them are one equilibrium, which puts all the
    weight on the first. An action is removed when another of the firm's actions pays
    strictly more (by ``1e-12`` of the payoff scale) against every remaining rival
    action, whatever the firm's own value within its equilibrium bounds
    (``_value_bounds``): it is never a best response, so no equilibrium uses it.

    Examples
    --------
    Working at a cost of 0.9 for a prize it brings with probability 1/2 is dominated by shirking:

    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.9, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> [kept.tolist() for kept in reduce_game(period_game(race, terminal_values(race), 0, 0), 2.0).kept]
    [[1], [1]]
    """
    keys1 = np.hstack([game.other[0], game.other[1], game.progress[0]])
    keys2 = np.hstack([game.other[0].T, game.other[1].T, game.progress[1]])
    rows, same1 = _duplicates(keys1)
    cols, same2 = _duplicates(keys2)
    low, high = _value_bounds(game)
    margin = 1e-12 * scale
    changed = True
    while changed:
        changed = False
        sub = subgame(game, rows, cols)
        out1 = _beaten(sub.other[0], sub.stay[0], sub.stay[1], game.beta, np.array([low[0], high[0]]), margin)
        out2 = _beaten(sub.other[1].T, sub.stay[1], sub.stay[0], game.beta, np.array([low[1], high[1]]), margin)
        if out1.any() or out2.any():
            rows, cols = rows[~out1], cols[~out2]
            changed = True
    return Reduction(subgame(game, rows, cols), (rows, cols), (same1, same2))
