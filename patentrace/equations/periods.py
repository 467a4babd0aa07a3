"""One period of a [`LaggedRace`][patentrace.LaggedRace] at a state (docs/theory/periods.md).

In state ``(i, j)`` firm 0 plays action ``a`` and firm 1 action ``b``; they advance
``d1 ~ p_1(.|a)`` and ``d2 ~ p_2(.|b)`` stages, independently. The period ends in a
win (one firm crosses its finish line), a tie (both do), a move to a later state,
or no move at all (``d1 = d2 = 0``: the self-loop). Paying the cost now and
discounting the end of the period by ``beta``, firm ``k``'s payoff is

    M_k(a, b) = K_k(a, b) + beta Q(a, b) v_k,    Q(a, b) = u_a w_b,

where ``v_k`` is its own value at this very state, ``u_a = p_1(0|a)`` and
``w_b = p_2(0|b)``: the self-loop matrix has rank one. ``K_k`` collects the cost and
every other outcome.

Examples
--------
The oracle (P5) of docs/theory/periods.md: one stage each, work advances with probability 1/2 at cost 0.2.

>>> import patentrace as pr
>>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
>>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
>>> game = period_game(race, terminal_values(race), 0, 0)
>>> game.stay[0].tolist(), game.stay[1].tolist()
([0.5, 1.0], [0.5, 1.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace.models import LaggedRace

__all__ = [
    "CONTINUE",
    "FIRST_WINS",
    "SECOND_WINS",
    "TIE",
    "Outcomes",
    "PeriodGame",
    "nashpy_agrees",
    "outcomes",
    "period_game",
    "progress_matrix",
    "terminal_values",
    "transition",
]

FloatArray = NDArray[np.float64]

# Outcome kinds of a period.
CONTINUE, FIRST_WINS, SECOND_WINS, TIE = 0, 1, 2, 3


def progress_matrix(race: LaggedRace, firm: int, stage: int) -> FloatArray:
    """``D[a, d]``: probability that action ``a`` advances ``d`` stages, for firm ``firm`` at ``stage``.

    Examples
    --------
    Work advances with probability 1/2; shirking never advances.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> progress_matrix(race, 0, 0).tolist()     # rows: work, shirk; columns: advance 0, 1
    [[0.5, 0.5], [1.0, 0.0]]
    >>> lucky = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk], breakthrough=[0.2])
    >>> progress_matrix(lucky, 0, 0).tolist()    # a breakthrough with probability 0.2 crosses the line
    [[0.4, 0.6], [0.8, 0.2]]
    """
    menu = race.menus[firm][stage]
    width = max(len(a.distribution) for a in menu)
    q = race.breakthrough[firm][stage]
    left = race.stages[firm] - stage
    if q > 0.0:
        width = max(width, left + 1)
    out = np.zeros((len(menu), width))
    for row, action in enumerate(menu):
        distribution = action.distribution
        out[row, : distribution.size] = distribution
    if q > 0.0:
        # A breakthrough (probability q in the period; docs/theory/race.md (14)-(15)) is an advance to the line.
        out *= 1.0 - q
        out[:, left] += q
    return out


def terminal_values(race: LaggedRace) -> FloatArray:
    """Values ``(2, N0 + 1, N1 + 1)`` with the terminal states filled; the corner holds ``(P + L) / 2``.

    Examples
    --------
    Only the states where the race is over hold values.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> terminal_values(race)[0].tolist()       # firm 0: wins at (1, 0), loses at (0, 1), corner split
    [[0.0, 0.0], [1.0, 0.5]]
    """
    n1, n2 = race.stages
    value = np.zeros((2, n1 + 1, n2 + 1))
    value[0, n1, :n2], value[1, n1, :n2] = race.prize, race.loser_prize
    value[0, :n1, n2], value[1, :n1, n2] = race.loser_prize, race.prize
    value[:, n1, n2] = 0.5 * (race.prize + race.loser_prize)
    return value


def tie_payoffs(race: LaggedRace) -> tuple[float, float]:
    """What each firm gets in a tie that the rule does not break."""
    if race.tie == "loss":
        return race.loser_prize, race.loser_prize
    share = 0.5 if race.tie in ("split", "first") else float(race.tie)
    return share * race.prize, share * race.prize


@dataclass(frozen=True)
class Outcomes:
    """Where a period at a state can end, by stages advanced ``(d1, d2)``.

    Attributes
    ----------
    kind : ndarray of int, shape (D1, D2)
        ``CONTINUE`` (a later state, or this one when ``d1 = d2 = 0``), ``FIRST_WINS``,
        ``SECOND_WINS`` or ``TIE``.
    payoff : ndarray, shape (2, D1, D2)
        Each firm's value of the outcome: the prize, the loser prize, the tie share,
        or the value of the state reached (0 for the self-loop, which is handled apart).
    next_i, next_j : ndarray of int, shape (D1, D2)
        The state reached where the race goes on.

    Examples
    --------
    Each firm advances 0 or 1 stage: four outcomes.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> result = outcomes(race, terminal_values(race), 0, 0, (2, 2))
    >>> result.kind.tolist() == [[CONTINUE, SECOND_WINS], [FIRST_WINS, TIE]]
    True
    """

    kind: NDArray[np.intp]
    payoff: FloatArray
    next_i: NDArray[np.intp]
    next_j: NDArray[np.intp]


def outcomes(race: LaggedRace, value: FloatArray, i: int, j: int, width: tuple[int, int]) -> Outcomes:
    """The outcomes of a period at ``(i, j)`` for advances up to ``width`` (exclusive).

    Examples
    --------
    What firm 0 gets in each of the four outcomes.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> result = outcomes(race, terminal_values(race), 0, 0, (2, 2))
    >>> result.payoff[0].tolist()      # firm 0: self-loop (handled apart), loss, win, tie split
    [[0.0, 0.0], [1.0, 0.5]]
    """
    n1, n2 = race.stages
    d1, d2 = np.meshgrid(np.arange(width[0]), np.arange(width[1]), indexing="ij")
    cross1, cross2 = i + d1 >= n1, j + d2 >= n2
    kind = np.full(d1.shape, CONTINUE, dtype=np.intp)
    kind[cross1 & ~cross2] = FIRST_WINS
    kind[cross2 & ~cross1] = SECOND_WINS
    both = cross1 & cross2
    if race.tie == "first":
        # at constant speed firm k crosses after the fraction (N_k - i) / d_k of the period
        with np.errstate(divide="ignore"):
            time1, time2 = (n1 - i) / d1, (n2 - j) / d2
        kind[both & (time1 < time2)] = FIRST_WINS
        kind[both & (time2 < time1)] = SECOND_WINS
        kind[both & (time1 == time2)] = TIE
    else:
        kind[both] = TIE
    next_i, next_j = np.minimum(i + d1, n1), np.minimum(j + d2, n2)
    payoff = np.zeros((2, *d1.shape))
    going_on = kind == CONTINUE
    payoff[:, going_on] = value[:, next_i[going_on], next_j[going_on]]
    payoff[:, (d1 == 0) & (d2 == 0)] = 0.0
    p, loser = race.prize, race.loser_prize
    payoff[0, kind == FIRST_WINS], payoff[1, kind == FIRST_WINS] = p, loser
    payoff[0, kind == SECOND_WINS], payoff[1, kind == SECOND_WINS] = loser, p
    tie0, tie1 = tie_payoffs(race)
    payoff[0, kind == TIE], payoff[1, kind == TIE] = tie0, tie1
    return Outcomes(kind=kind, payoff=payoff, next_i=next_i, next_j=next_j)


@dataclass(frozen=True)
class PeriodGame:
    """The period game at one state: ``M_k = K_k + beta u w' v_k`` (docs/theory/periods.md (P2)).

    Attributes
    ----------
    other : ndarray, shape (2, m1, m2)
        ``K_k(a, b)``: cost now plus the discounted value of every outcome but the self-loop.
    stay : (ndarray (m1,), ndarray (m2,))
        ``u_a = p_1(0|a)`` and ``w_b = p_2(0|b)``: the probabilities of not advancing.
    beta : float
        The discount factor of one period.
    progress : (ndarray, ndarray)
        ``D_1[a, d]`` and ``D_2[b, d]``.
    outcomes : Outcomes
        Where the period can end.
    impatience : float, optional
        ``1 - beta``, computed as ``-expm1(-r lag)`` so that it keeps its digits when
        ``beta`` is close to 1; derived from ``beta`` when not given.

    Examples
    --------
    Firm 0's payoffs at the start when its own value is 0.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> game = period_game(race, terminal_values(race), 0, 0)
    >>> game.payoff(0, 0.0).round(4).tolist()    # M_0(v = 0): -0.2 + beta (1/4 + 1/4 * 1/2) if both work
    [[0.1567, 0.2756], [0.0, 0.0]]
    """

    other: FloatArray
    stay: tuple[FloatArray, FloatArray]
    beta: float
    progress: tuple[FloatArray, FloatArray]
    outcomes: Outcomes
    impatience: float | None = None

    @property
    def one_minus_beta(self) -> float:
        """``1 - beta`` without cancellation (the discount lost over one period).

        Examples
        --------
        >>> import math
        >>> import patentrace as pr
        >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=1e-12, actions=[work, shirk])
        >>> game = period_game(race, terminal_values(race), 0, 0)
        >>> game.one_minus_beta == -math.expm1(-1e-12), 1.0 - game.beta == game.one_minus_beta
        (True, False)
        """
        if self.impatience is not None:
            return self.impatience
        return -math.expm1(math.log(self.beta)) if self.beta > 0 else 1.0

    def moves(self, firm: int) -> FloatArray:
        """Probability that each of firm ``firm``'s actions advances it, summed from the progress distribution.

        ``1 - stay`` without cancellation: an action that rarely advances keeps its digits.

        Examples
        --------
        >>> import patentrace as pr
        >>> work, shirk = pr.Action(0.2, {1: 1e-17, 0: 1 - 1e-17}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
        >>> game = period_game(race, terminal_values(race), 0, 0)
        >>> game.moves(0).tolist(), (1.0 - game.stay[0]).tolist()
        ([1e-17, 0.0], [0.0, 0.0])
        """
        return np.asarray(self.progress[firm][:, 1:].sum(axis=1))

    def leaving(self, sigma1: FloatArray, sigma2: FloatArray) -> float:
        """``1 - beta (u . sigma_0)(w . sigma_1)``, computed without cancellation.

        ``= (1 - beta) + beta [(1 - U) + U (1 - W)]``, with the probabilities of moving,
        ``1 - U`` and ``1 - W``, summed from the progress distributions.

        Examples
        --------
        When both work, both fail to advance with probability 1/4.

        >>> import numpy as np
        >>> import patentrace as pr
        >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
        >>> game = period_game(race, terminal_values(race), 0, 0)
        >>> both_work = np.array([1.0, 0.0])
        >>> bool(abs(game.leaving(both_work, both_work) - (1 - game.beta * 0.25)) < 1e-15)
        True
        """
        still = float(sigma1 @ self.stay[0])
        moves = float(sigma1 @ self.moves(0)), float(sigma2 @ self.moves(1))
        return self.one_minus_beta + self.beta * (moves[0] + still * moves[1])

    def payoff(self, firm: int, value: float) -> FloatArray:
        """``M_k(v_k) = K_k + beta u w' v_k``, the bimatrix game given firm ``firm``'s own value.

        Examples
        --------
        Firm 0's own value enters only through the self-loop.

        >>> import patentrace as pr
        >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
        >>> game = period_game(race, terminal_values(race), 0, 0)
        >>> (game.payoff(0, 1.0) - game.payoff(0, 0.0)).round(4).tolist()    # beta u w' v: only the self-loop
        [[0.2378, 0.4756], [0.4756, 0.9512]]
        """
        return np.asarray(self.other[firm] + self.beta * np.outer(self.stay[0], self.stay[1]) * value)


def period_game(race: LaggedRace, value: FloatArray, i: int, j: int) -> PeriodGame:
    """The period game at open state ``(i, j)`` given the values of later states.

    Examples
    --------
    A period of length 1 at discount 0.05; work fails half the time.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> game = period_game(race, terminal_values(race), 0, 0)
    >>> round(game.beta, 6), game.stay[0].tolist()
    (0.951229, [0.5, 1.0])
    """
    d1, d2 = progress_matrix(race, 0, i), progress_matrix(race, 1, j)
    result = outcomes(race, value, i, j, (d1.shape[1], d2.shape[1]))
    beta = race.discount_factor
    cost1 = np.array([a.cost for a in race.menus[0][i]])
    cost2 = np.array([a.cost for a in race.menus[1][j]])
    other = np.stack([d1 @ result.payoff[k] @ d2.T for k in (0, 1)]) * beta
    other[0] -= cost1[:, None]
    other[1] -= cost2[None, :]
    return PeriodGame(other=other, stay=(d1[:, 0], d2[:, 0]), beta=beta, progress=(d1, d2), outcomes=result,
                      impatience=-math.expm1(-race.discount * race.lag))


def transition(
    race: LaggedRace, strategy: tuple[FloatArray, FloatArray], i: int, j: int
) -> tuple[FloatArray, Outcomes]:
    """Probabilities ``pi[d1, d2]`` of the advances in a period at ``(i, j)`` under ``strategy``, and their outcomes.

    ``strategy[k]`` has shape ``(N0 + 1, N1 + 1, m_k)``; the firms mix independently.

    Examples
    --------
    Both firms work at the start.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> import numpy as np
    >>> both_work = np.zeros((2, 2, 2)); both_work[0, 0] = (1.0, 0.0)
    >>> advance, result = transition(race, (both_work, both_work), 0, 0)
    >>> advance.tolist()               # each advances with probability 1/2, independently
    [[0.25, 0.25], [0.25, 0.25]]
    """
    d1, d2 = progress_matrix(race, 0, i), progress_matrix(race, 1, j)
    advance = np.outer(strategy[0][i, j] @ d1, strategy[1][i, j] @ d2)
    return advance, outcomes(race, terminal_values(race), i, j, advance.shape)


def nashpy_agrees(game: PeriodGame, strategy: tuple[FloatArray, FloatArray], value: FloatArray) -> bool:
    """Whether nashpy's vertex enumeration of ``M(v)`` contains the profile (an independent check).

    Examples
    --------
    Both working at the start is an equilibrium of the period game.

    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> import numpy as np
    >>> game = period_game(race, terminal_values(race), 0, 0)
    >>> work_profile = (np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    >>> value = np.full(2, float(pr.solve(race).value[0, 0, 0]))
    >>> nashpy_agrees(game, work_profile, value)
    True
    """
    import nashpy

    bimatrix = nashpy.Game(game.payoff(0, float(value[0])), game.payoff(1, float(value[1])))
    return any(
        np.allclose(a, strategy[0], atol=1e-7) and np.allclose(b, strategy[1], atol=1e-7)
        for a, b in bimatrix.vertex_enumeration()
    )
