"""The jump chain of a race under given hazards: who wins, what is hit, how long it takes.

With hazards ``h_0, h_1`` at an open state the next event is firm 0's success
with probability ``h_0 / (h_0 + h_1)``. So the probability of reaching a set of
states before the race ends obeys (docs/theory/leapfrog.md)

    U(i, j) = [h_0 U(i+1, j) + h_1 U(i, j+1)] / (h_0 + h_1),

and the expected time to the end obeys ``E = [1 + h_0 E(i+1, j) + h_1 E(i, j+1)] / (h_0 + h_1)``.
With breakthroughs (docs/theory/race.md (14)-(15)), outright-win hazards ``b_0, b_1`` end the race
from the state itself: every denominator gains ``b_0 + b_1``, and firm ``k``'s win
probability gains ``b_k`` in the numerator. The ``breakthrough`` arguments (shape
of ``hazard``) default to None, which is exactly the race without them.
Both are solved backwards over the steps of a ``Layout``
(many races at once in the ``*_flat`` functions; one race, as arrays of shape
``(2, N0 + 1, N1 + 1)``, in the others).

Every ratio is taken after dividing the state's rates by the largest of them
([`jump_weights`][patentrace.results.chain.jump_weights]), so hazards near either end of the float range (an effort of
1e-317, a hazard of 1e300) give the exact jump probabilities and never ``0 / 0`` or
``inf / inf``. A state where every rate is exactly zero (hazards that underflow to 0
included) is a **stall**: the race never moves again, so it reaches nothing, both win
probabilities are 0 and the expected duration is ``inf`` (a true answer: the race
never ends). ``inf`` is also returned where the expected duration exceeds the largest
double (about 1.8e308), as it does behind a subnormal hazard; nowhere is a NaN returned.

Examples
--------
>>> import numpy as np
>>> hazard = np.zeros((2, 2, 2)); hazard[:, 0, 0] = (1.0, 3.0)
>>> target = np.zeros((2, 2), dtype=bool); target[1, 0] = True   # firm 0 wins
>>> float(hitting_probability(hazard, target)[0, 0])
0.25
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from patentrace.equations.periods import CONTINUE, FIRST_WINS, SECOND_WINS, TIE, Outcomes, transition
from patentrace.models import LaggedRace
from patentrace.models.lattice import Layout

__all__ = [
    "expected_duration",
    "expected_duration_flat",
    "hitting_probability",
    "hitting_probability_flat",
    "jump_weights",
    "period_expected_duration",
    "period_hitting_probability",
    "period_outcome_probabilities",
    "period_reachable",
    "reachable",
    "reachable_flat",
    "win_probability",
    "win_probability_flat",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _single(hazard: FloatArray) -> Layout:
    return _layout_of_one(hazard.shape[1] - 1, hazard.shape[2] - 1)


@functools.lru_cache(maxsize=256)
def _layout_of_one(n1: int, n2: int) -> Layout:
    """The layout of one race with these stage counts, its steps built once (read-only index arrays)."""
    layout = Layout.of([(n1, n2)])
    shared = [layout.stages, layout.offset, *layout.states]
    shared += [index for step in layout.steps for index in vars(step).values()]
    for array in shared:  # shared by every call: an accidental write raises instead of corrupting the others
        array.setflags(write=False)
    return layout


def jump_weights(
    h1: FloatArray, h2: FloatArray, jump: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The rates at states, divided by the largest of them: the jump chain in a form without 0/0.

    Parameters
    ----------
    h1, h2 : ndarray
        Both firms' hazards at the states.
    jump : ndarray, shape (2, n), optional
        Outright-win (breakthrough) hazards ``b_0, b_1`` at the states.

    Returns
    -------
    w1, w2, total, scale : ndarray
        ``h_k / m``, the sum of all rates over ``m`` (in ``[1, 4]`` where anything can happen,
        0 at a stall) and ``m`` itself, the largest rate (0 at a stall). The probability that
        the next event is firm ``k``'s success is ``w_k / total``, exactly as ``h_k / (h_0 + h_1)``
        but with no overflow or underflow in the sum.

    Examples
    --------
    >>> import numpy as np
    >>> w1, w2, total, scale = jump_weights(np.array([1e-317, 0.0]), np.array([3e-317, 0.0]))
    >>> (w1 / np.where(total > 0, total, 1.0)).round(12).tolist(), scale.tolist()
    ([0.25, 0.0], [3e-317, 0.0])
    """
    rates = [np.asarray(h1, dtype=float), np.asarray(h2, dtype=float)]
    if jump is not None:
        rates += [np.asarray(jump[0], dtype=float), np.asarray(jump[1], dtype=float)]
    scale = np.maximum.reduce(rates)
    safe = np.where(scale > 0.0, scale, 1.0)
    weights = [rate / safe for rate in rates]
    total = np.asarray(sum(weights[1:], weights[0]), dtype=float)
    return weights[0], weights[1], total, scale


def _jump_scaled(
    hazard: FloatArray, breakthrough: FloatArray | None, here: NDArray[np.intp]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """``jump_weights`` at the flat states ``here``, with the breakthrough weights (or None)."""
    jump = None if breakthrough is None else breakthrough[:, here]
    w1, w2, total, scale = jump_weights(hazard[0, here], hazard[1, here], jump)
    if jump is None:
        return w1, w2, total, scale, None
    safe = np.where(scale > 0.0, scale, 1.0)
    return w1, w2, total, scale, jump / safe


def hitting_probability_flat(
    layout: Layout, hazard: FloatArray, target: BoolArray, breakthrough: FloatArray | None = None,
    credited: int | None = None,
) -> FloatArray:
    """Probability of ever reaching ``target``, for flat arrays of a layout (see ``hitting_probability``).

    A breakthrough ends the race without reaching any state, so it adds to the
    denominator; the breakthrough of firm ``credited`` (if given) counts as reaching
    ``target`` (a win counts as getting ahead).

    Examples
    --------
    >>> import numpy as np
    >>> from patentrace.models.lattice import Layout
    >>> layout = Layout.of([(1, 1)])     # one race, one stage each; flat states (0,0) (0,1) (1,0) (1,1)
    >>> hazard = np.zeros((2, layout.size)); hazard[:, 0] = (1.0, 3.0)
    >>> target = np.array([False, False, True, False])      # (1, 0): firm 0 finishes first
    >>> hitting_probability_flat(layout, hazard, target).tolist()
    [0.25, 0.0, 1.0, 0.0]
    """
    reach = target.astype(float)
    for step in layout.steps:
        w1, w2, total, _, jumps = _jump_scaled(hazard, breakthrough, step.here)
        moving = w1 * reach[step.after_first] + w2 * reach[step.after_second]
        if jumps is not None and credited is not None:
            moving = moving + jumps[credited]
        # total is 0 only at a stall (it reaches nothing) and at least 1 elsewhere: no 0/0, no overflow.
        average = np.divide(moving, total, out=np.zeros_like(total), where=total > 0.0)
        reach[step.here] = np.where(target[step.here], 1.0, np.minimum(average, 1.0))
    return reach


def hitting_probability(
    hazard: FloatArray, target: BoolArray, breakthrough: FloatArray | None = None, credited: int | None = None
) -> FloatArray:
    """Probability of ever reaching ``target`` from each state of one race.

    Parameters
    ----------
    hazard : ndarray, shape (2, N0 + 1, N1 + 1)
        Both firms' hazards at every state (zero at terminal states).
    target : ndarray of bool, shape (N0 + 1, N1 + 1)
        The states to reach; terminal states outside it count as missing it.
    breakthrough : ndarray, shape (2, N0 + 1, N1 + 1), optional
        Outright-win hazards ``b_k`` at every state (zero at terminal states).
    credited : int, optional
        The firm whose breakthrough counts as reaching ``target``.

    Returns
    -------
    ndarray, shape (N0 + 1, N1 + 1)
        1 on ``target``, 0 on other terminal states and stalls.

    Examples
    --------
    >>> import numpy as np
    >>> hazard = np.zeros((2, 2, 2)); hazard[:, 0, 0] = (1.0, 3.0)   # one stage each, rates 1 and 3
    >>> target = np.zeros((2, 2), dtype=bool); target[1, 0] = True  # firm 0 finishes first
    >>> float(hitting_probability(hazard, target)[0, 0])
    0.25
    """
    flat = hitting_probability_flat(_single(hazard), hazard.reshape(2, -1), target.ravel(), _flat(breakthrough),
                                    credited)
    return flat.reshape(target.shape)


def _flat(breakthrough: FloatArray | None) -> FloatArray | None:
    return None if breakthrough is None else breakthrough.reshape(2, -1)


def reachable_flat(
    layout: Layout, hazard: FloatArray, target: BoolArray, breakthrough: FloatArray | None = None,
    credited: int | None = None,
) -> BoolArray:
    """Whether ``target`` can be reached, for flat arrays of a layout (see ``reachable``).

    A positive breakthrough hazard of firm ``credited`` reaches the target from its state.

    Examples
    --------
    Firm 0 finishing first, state (1, 0), can be reached behind a hazard too small for
    its probability to be a normal float.

    >>> import numpy as np
    >>> from patentrace.models.lattice import Layout
    >>> layout = Layout.of([(1, 1)])     # one race, one stage each; flat states (0,0) (0,1) (1,0) (1,1)
    >>> hazard = np.zeros((2, layout.size)); hazard[:, 0] = (1e-320, 1.0)
    >>> reachable_flat(layout, hazard, np.array([False, False, True, False])).tolist()
    [True, False, True, False]
    """
    reach = target.copy()
    for step in layout.steps:
        first = (hazard[0, step.here] > 0.0) & reach[step.after_first]
        second = (hazard[1, step.here] > 0.0) & reach[step.after_second]
        reach[step.here] = target[step.here] | first | second
        if breakthrough is not None and credited is not None:
            reach[step.here] |= breakthrough[credited, step.here] > 0.0
    return reach


def reachable(
    hazard: FloatArray, target: BoolArray, breakthrough: FloatArray | None = None, credited: int | None = None
) -> BoolArray:
    """Whether ``target`` can be reached at all: some path has positive hazards at every step.

    The exact counterpart of ``hitting_probability(...) > 0``, which a product of
    small probabilities can underflow to 0.

    Examples
    --------
    >>> import numpy as np
    >>> hazard = np.zeros((2, 2, 2)); hazard[:, 0, 0] = (1e-300, 1.0)
    >>> target = np.zeros((2, 2), dtype=bool); target[1, 0] = True
    >>> bool(reachable(hazard, target)[0, 0])
    True
    """
    flat = reachable_flat(_single(hazard), hazard.reshape(2, -1), target.ravel(), _flat(breakthrough), credited)
    return flat.reshape(target.shape)


def win_probability_flat(layout: Layout, hazard: FloatArray, breakthrough: FloatArray | None = None) -> FloatArray:
    """Each firm's probability of winning, for flat arrays of a layout (see ``win_probability``).

    Examples
    --------
    Two races at once, both firms at rate 1 in every open state: one stage each, and
    firm 1 one stage further behind.

    >>> import numpy as np
    >>> from patentrace.models.lattice import Layout
    >>> layout = Layout.of([(1, 1), (1, 2)])
    >>> race, i, j = layout.states
    >>> still_open = (i < layout.stages[race, 0]) & (j < layout.stages[race, 1])
    >>> hazard = np.stack([still_open, still_open]).astype(float)
    >>> win_probability_flat(layout, hazard)[0, layout.offset].tolist()    # firm 0 from each start
    [0.5, 0.75]
    """
    race, i, j = layout.states
    n1, n2 = layout.stages[race, 0], layout.stages[race, 1]
    first_won = (i == n1) & (j < n2)
    second_won = (j == n2) & (i < n1)
    # With breakthroughs W_k = [h_0 W_k(i+1, j) + h_1 W_k(i, j+1) + b_k] / (h_0 + h_1 + b_0 + b_1), race.md (14).
    win = np.stack([hitting_probability_flat(layout, hazard, first_won, breakthrough, 0),
                    hitting_probability_flat(layout, hazard, second_won, breakthrough, 1)])
    win[:, (i == n1) & (j == n2)] = 0.5
    return win


def win_probability(hazard: FloatArray, breakthrough: FloatArray | None = None) -> FloatArray:
    """Each firm's probability of winning, shape ``(2, N0 + 1, N1 + 1)``.

    Terminal states hold 1 for the winner and 0 for the loser; the unreachable
    corner ``(N0, N1)`` holds 1/2 each, as if both finished together and split.

    Examples
    --------
    >>> import numpy as np
    >>> hazard = np.zeros((2, 2, 2)); hazard[:, 0, 0] = (1.0, 3.0)   # one stage each, rates 1 and 3
    >>> win_probability(hazard)[:, 0, 0].tolist()
    [0.25, 0.75]
    >>> jump = np.zeros((2, 2, 2)); jump[:, 0, 0] = (1.0, 0.0)      # firm 0 breaks through at rate 1
    >>> win_probability(hazard, jump)[:, 0, 0].tolist()            # (1 + 1) / 5, 3 / 5
    [0.4, 0.6]
    """
    return win_probability_flat(_single(hazard), hazard.reshape(2, -1), _flat(breakthrough)).reshape(hazard.shape)


def expected_duration_flat(layout: Layout, hazard: FloatArray, breakthrough: FloatArray | None = None) -> FloatArray:
    """Expected time until a firm wins, for flat arrays of a layout (see ``expected_duration``).

    Examples
    --------
    Two races, rate 1 for both firms at the start only: the one-stage race ends after
    1/2 on average; the other can reach state (0, 1), where nobody moves, so it may never end.

    >>> import numpy as np
    >>> from patentrace.models.lattice import Layout
    >>> layout = Layout.of([(1, 1), (1, 2)])
    >>> hazard = np.zeros((2, layout.size)); hazard[:, layout.offset] = 1.0
    >>> expected_duration_flat(layout, hazard)[layout.offset].tolist()
    [0.5, inf]
    """
    duration = np.zeros(layout.size)
    for step in layout.steps:
        w1, w2, total, scale, _ = _jump_scaled(hazard, breakthrough, step.here)
        # E = [1 / m + w1 E' + w2 E''] / (sum of w): the rates divided by their largest, m.
        # 0 * inf is 0 here: a move that never happens adds nothing.
        with np.errstate(invalid="ignore"):
            after = np.where(w1 > 0.0, w1 * duration[step.after_first], 0.0)
            after += np.where(w2 > 0.0, w2 * duration[step.after_second], 0.0)
        moving = total > 0.0
        with np.errstate(over="ignore", divide="ignore"):  # 1 / m beyond the float range: the duration is too
            mean_wait = np.where(moving, 1.0 / np.where(moving, scale, 1.0), np.inf)
            duration[step.here] = np.where(moving, (mean_wait + after) / np.where(moving, total, 1.0), np.inf)
    return duration


def expected_duration(hazard: FloatArray, breakthrough: FloatArray | None = None) -> FloatArray:
    """Expected time until a firm wins, shape ``(N0 + 1, N1 + 1)``; ``inf`` where the race may stall.

    Examples
    --------
    >>> import numpy as np
    >>> hazard = np.zeros((2, 2, 2)); hazard[:, 0, 0] = (1.0, 3.0)   # one stage each, rates 1 and 3
    >>> float(expected_duration(hazard)[0, 0])    # 1 / (1 + 3)
    0.25
    """
    flat = expected_duration_flat(_single(hazard), hazard.reshape(2, -1), _flat(breakthrough))
    return flat.reshape(hazard.shape[1:])


def _period_moves(
    race: LaggedRace, strategy: tuple[FloatArray, FloatArray], target: BoolArray | None = None
) -> Iterator[tuple[int, int, FloatArray, Outcomes]]:
    """Each open state of a lagged race, last stages first, with its period's transition (docs/theory/periods.md).

    Yields ``(i, j, advance, outcome)`` from
    [`patentrace.equations.periods.transition`][patentrace.equations.periods.transition], in the
    backward order of the lattice: every state a period can lead to comes before the
    state itself. States in ``target`` (if given) are passed over.
    """
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            if target is None or not target[i, j]:
                advance, outcome = transition(race, strategy, i, j)
                yield i, j, advance, outcome


def period_hitting_probability(
    race: LaggedRace,
    strategy: tuple[FloatArray, FloatArray],
    target: BoolArray,
    ends: tuple[int, ...] = (),
) -> FloatArray:
    """For a lagged race: probability of reaching open states in ``target`` or ending in ``ends``.

    A period can advance either firm by several stages, end the race (a win or a tie,
    the outcome kinds of [`patentrace.equations.periods`][patentrace.equations.periods]) or leave the state unchanged.
    With
    ``pi`` the advances' probabilities, ``U(s) = sum_{(d1, d2) != (0, 0)} pi U(next) /
    (1 - pi[0, 0])``; a state nobody leaves reaches nothing.

    Parameters
    ----------
    race : LaggedRace
        The model.
    strategy : (ndarray, ndarray)
        Each firm's mixed actions at every state, shape ``(N0 + 1, N1 + 1, m_k)``.
    target : ndarray of bool, shape (N0 + 1, N1 + 1)
        Open states that count as reached.
    ends : tuple of int
        Outcome kinds that count as reached (``FIRST_WINS``, ``SECOND_WINS``, ``TIE``).

    Returns
    -------
    ndarray, shape (N0 + 1, N1 + 1)

    Examples
    --------
    The oracle of docs/theory/periods.md (P5), where both firms work in equilibrium: each succeeds with
    probability 1/2 in a period, so the race ends in a tie a third of the time.

    >>> import numpy as np
    >>> import patentrace as pr
    >>> from patentrace.equations.periods import TIE
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> nowhere = np.zeros((2, 2), dtype=bool)
    >>> tie = period_hitting_probability(race, pr.solve(race).strategy, nowhere, ends=(TIE,))
    >>> round(float(tie[0, 0]), 12)
    0.333333333333
    """
    reach = target.astype(float)
    for i, j, advance, outcome in _period_moves(race, strategy, target):
        advance[0, 0] = 0.0  # leave the self-loop out: the rest is the probability of moving
        going_on = outcome.kind == CONTINUE
        worth = np.where(going_on, reach[outcome.next_i, outcome.next_j], np.isin(outcome.kind, ends))
        moving = float(np.sum(advance))  # summed directly: 1 - stay would cancel when moves are rare
        reach[i, j] = float(np.sum(advance * worth)) / moving if moving > 0.0 else 0.0
    return reach


def period_outcome_probabilities(
    race: LaggedRace, strategy: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """For a lagged race: each firm's probability of winning, and of a tie, from every state.

    Both come from [`period_hitting_probability`][patentrace.results.chain.period_hitting_probability]:
    firm 0 wins by ending the race with its win or by reaching a state where it has
    finished and firm 1 has not (and symmetrically); the finished corner, a tie,
    holds 1/2 for each firm (the race in periods, docs/theory/periods.md).

    Parameters
    ----------
    race : LaggedRace
        The race in periods whose outcomes are counted.
    strategy : (ndarray, ndarray)
        The strategies both firms play, as in ``period_hitting_probability``.

    Returns
    -------
    win : ndarray, shape (2, N0 + 1, N1 + 1)
        Firm ``k``'s probability of winning outright (the corner holds 1/2 each).
    tie : ndarray, shape (N0 + 1, N1 + 1)
        The probability that the race ends in a tie.

    Examples
    --------
    With both firms working in the oracle (P5) of docs/theory/periods.md, each wins a third
    of the time and a third of races end in a tie.

    >>> import numpy as np
    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> both_work = np.zeros((2, 2, 2)); both_work[0, 0] = (1.0, 0.0)
    >>> win, tie = period_outcome_probabilities(race, (both_work, both_work))
    >>> [round(float(p), 12) for p in (win[0, 0, 0], win[1, 0, 0], tie[0, 0])]
    [0.333333333333, 0.333333333333, 0.333333333333]
    """
    n1, n2 = race.stages
    nothing = np.zeros(race.shape, dtype=bool)
    first_won, second_won = nothing.copy(), nothing.copy()
    first_won[n1, :n2], second_won[:n1, n2] = True, True
    win = np.stack([
        period_hitting_probability(race, strategy, first_won, (FIRST_WINS,)),
        period_hitting_probability(race, strategy, second_won, (SECOND_WINS,)),
    ])
    win[:, n1, n2] = 0.5
    return win, period_hitting_probability(race, strategy, nothing, (TIE,))


def period_expected_duration(race: LaggedRace, strategy: tuple[FloatArray, FloatArray]) -> FloatArray:
    """For a lagged race: expected number of periods until the race ends; ``inf`` where it can stall.

    Examples
    --------
    With both firms working (the oracle (P5) of docs/theory/periods.md) a period ends the race with probability 3/4,
    so it lasts 4/3 periods; with both shirking it never ends.

    >>> import numpy as np
    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> both_work = np.zeros((2, 2, 2)); both_work[0, 0] = (1.0, 0.0)
    >>> round(float(period_expected_duration(race, (both_work, both_work))[0, 0]), 12)
    1.333333333333
    >>> both_shirk = np.zeros((2, 2, 2)); both_shirk[0, 0] = (0.0, 1.0)
    >>> float(period_expected_duration(race, (both_shirk, both_shirk))[0, 0])
    inf
    """
    periods = np.zeros(race.shape)
    for i, j, advance, outcome in _period_moves(race, strategy):
        advance[0, 0] = 0.0
        later = np.where(outcome.kind == CONTINUE, periods[outcome.next_i, outcome.next_j], 0.0)
        moving = float(np.sum(advance))
        with np.errstate(invalid="ignore"):
            after = float(np.sum(np.where(advance > 0.0, advance * later, 0.0)))
        with np.errstate(over="ignore", divide="ignore"):
            periods[i, j] = (1.0 + after) / moving if moving > 0.0 else np.inf
    return periods


def period_reachable(
    race: LaggedRace, strategy: tuple[FloatArray, FloatArray], target: BoolArray, ends: tuple[int, ...] = ()
) -> BoolArray:
    """For a lagged race: whether ``target`` or an outcome in ``ends`` can be reached at all.

    The exact counterpart of ``period_hitting_probability(...) > 0``.

    Examples
    --------
    When firm 0 works and firm 1 shirks, firm 0 can win but firm 1 cannot.

    >>> import numpy as np
    >>> import patentrace as pr
    >>> from patentrace.equations.periods import FIRST_WINS, SECOND_WINS
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> works, shirks = np.zeros((2, 2, 2)), np.zeros((2, 2, 2))
    >>> works[0, 0], shirks[0, 0] = (1.0, 0.0), (0.0, 1.0)
    >>> nowhere = np.zeros((2, 2), dtype=bool)
    >>> [bool(period_reachable(race, (works, shirks), nowhere, ends=(k,))[0, 0]) for k in (FIRST_WINS, SECOND_WINS)]
    [True, False]
    """
    reach = target.copy()
    for i, j, advance, outcome in _period_moves(race, strategy, target):
        going_on = outcome.kind == CONTINUE
        good = np.where(going_on, reach[outcome.next_i, outcome.next_j], np.isin(outcome.kind, ends))
        good[0, 0] = False
        reach[i, j] = bool(np.any((advance > 0.0) & good))
    return reach
