"""Every stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace], state by state (docs/theory/periods.md).

At a state, with the values of later states known, an equilibrium is a pair of
mixed actions ``sigma`` and values ``v`` such that ``sigma`` is a Nash equilibrium of
the bimatrix game ``M_k(v_k) = K_k + beta u w' v_k`` and ``v_k = sigma_1' M_k(v_k) sigma_2``
([`patentrace.equations.periods`][patentrace.equations.periods]). Best responses are pure, so equilibria are found by
enumerating pairs of supports ``(S_1, S_2)`` of equal size ``n``.

Firm 0's indifference over ``S_1`` fixes firm 1's mixture and firm 0's value: for
``a`` in ``S_1``,

    sum_b K_1(a, b) s_b + beta u_a y - v_1 = 0,   sum_b s_b = 1,   y = v_1 (w . s),

``n + 1`` linear equations in ``(s, v_1, y)`` and one bilinear one. The linear part
leaves a line ``x0 + t d`` (its null space, from a batched SVD), and the bilinear
equation is then a quadratic in ``t``: each support pair gives at most two
solutions for each firm, all found. (For two actions this is the quadratic of
docs/theory/periods.md.) A candidate is an equilibrium when the mixtures are non-negative and no
action outside a support pays more than the value. Supports of every size are
enumerated unless there are more than ``max_pairs`` pairs; then the larger sizes
are searched only among consecutive actions of the menu, up to three of them
(menus from [`from_race`][patentrace.LaggedRace.from_race] are effort grids, whose
equilibria mix neighbouring efforts), and the result says so (``complete`` is False).

Each equilibrium is checked for degeneracy (a firm with more pure best responses
than its support has actions, where equilibria can form a continuum): it is
reported in ``degenerate``, not hidden. ``nashpy``'s vertex enumeration on ``M(v)``
is an independent check ([`patentrace.equations.periods.nashpy_agrees`][patentrace.equations.periods.nashpy_agrees]),
used by the tests and by
[`LaggedEquilibrium.verify`][patentrace.LaggedEquilibrium.verify].

Examples
--------
>>> import patentrace as pr
>>> from patentrace.equations.periods import period_game, terminal_values
>>> p, k = 0.5, 0.4    # the binary oracle of docs/theory/periods.md (P5), middle regime: three equilibria
>>> work, shirk = pr.Action(k, {1: p, 0: 1 - p}), pr.Action(0.0, {0: 1.0})
>>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
>>> found = state_equilibria(period_game(race, terminal_values(race), 0, 0))
>>> len(found.value), found.complete
(3, True)
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.equations.periods import FIRST_WINS, SECOND_WINS, TIE, PeriodGame, period_game, terminal_values
from patentrace.errors import EquilibriumError
from patentrace.models import LaggedRace
from patentrace.models.lattice import Layout
from patentrace.results import chain
from patentrace.results.equilibrium import LaggedEquilibrium, SolverInfo
from patentrace.solvers.selection import SELECTION_RULES

__all__ = ["StateEquilibria", "solve_lagged", "state_equilibria"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_MAX_PAIRS = 200_000
_CHUNK = 20_000  # support pairs solved at once
_CONSECUTIVE_UP_TO = 3  # largest consecutive supports searched beyond max_pairs
_SAME = 1e-9


@dataclass(frozen=True)
class StateEquilibria:
    """Every equilibrium found at one state.

    Attributes
    ----------
    strategy : (ndarray (e, m1), ndarray (e, m2))
        Each equilibrium's mixed actions.
    value : ndarray, shape (e, 2)
        Each equilibrium's values.
    degenerate : bool
        Some equilibrium has a firm with more pure best responses than actions in its
        support: there may be a continuum of equilibria, of which these are points.
    complete : bool
        All support sizes were enumerated.

    Examples
    --------
    The oracle (P5) of docs/theory/periods.md with ``L < k < H`` (work costs 0.4 here): three equilibria, the
    symmetric mixed one working with probability ``(2/p)(1 - k/H)``.

    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.4, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> found = state_equilibria(period_game(race, terminal_values(race), 0, 0))
    >>> len(found.value), found.complete
    (3, True)
    >>> beta_p = 0.5 * race.discount_factor
    >>> mixed = sorted(float(s[0]) for s in found.strategy[0])[1]
    >>> bool(abs(mixed - (2 / 0.5) * (1 - 0.4 / beta_p)) < 1e-12)
    True
    """

    strategy: tuple[FloatArray, FloatArray]
    value: FloatArray
    degenerate: bool
    complete: bool


def _indifference(
    payoff: FloatArray, own_stay: FloatArray, rival_stay: FloatArray, beta: float, rows: IntArray, cols: IntArray
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Solve one firm's indifference over supports ``rows`` for the rival's mixture on ``cols``.

    ``payoff`` is the firm's ``K`` with its own actions as rows. For ``P`` support pairs of
    size ``n`` (``rows``, ``cols`` of shape ``(P, n)``) returns the rival's mixtures
    ``(P, 2, n)``, the firm's values ``(P, 2)`` and which of the two roots exist.
    """
    pairs, n = rows.shape
    system = np.zeros((pairs, n + 1, n + 2))
    system[:, :n, :n] = payoff[rows[:, :, None], cols[:, None, :]]
    system[:, :n, n] = -1.0
    system[:, :n, n + 1] = beta * own_stay[rows]
    system[:, n, :n] = 1.0
    rhs = np.zeros((pairs, n + 1))
    rhs[:, n] = 1.0
    left, singular, right = np.linalg.svd(system)
    rank_ok = singular[:, -1] > 1e-12 * np.maximum(singular[:, 0], 1e-300)
    kept = singular > 1e-12 * singular[:, :1]
    inverse = np.where(kept, 1.0 / np.where(kept, singular, 1.0), 0.0)
    coefficients = inverse * np.einsum("pij,pi->pj", left, rhs)  # U' b / s
    particular = np.einsum("pji,pj->pi", right[:, : n + 1, :], coefficients)
    direction = right[:, -1, :]
    mix0, mixd = particular[:, :n], direction[:, :n]
    v0, vd = particular[:, n], direction[:, n]
    y0, yd = particular[:, n + 1], direction[:, n + 1]
    w = rival_stay[cols]
    w0, wd = np.sum(w * mix0, axis=1), np.sum(w * mixd, axis=1)
    # y(t) - v(t) w(t) = 0
    a, b, c = -vd * wd, yd - v0 * wd - vd * w0, y0 - v0 * w0
    roots, exists = _quadratic(a, b, c)
    mixture = mix0[:, None, :] + roots[:, :, None] * mixd[:, None, :]
    value = v0[:, None] + roots * vd[:, None]
    return mixture, value, exists & rank_ok[:, None]


def _quadratic(a: FloatArray, b: FloatArray, c: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Real roots of ``a t^2 + b t + c`` (two slots each; a linear equation fills one)."""
    scale = np.maximum.reduce([np.abs(a), np.abs(b), np.abs(c), np.full(a.shape, 1e-300)])
    a, b, c = a / scale, b / scale, c / scale
    linear = np.abs(a) <= 1e-13
    discriminant = b * b - 4.0 * a * c
    real = discriminant >= -1e-12
    root = np.sqrt(np.maximum(discriminant, 0.0))
    q = -0.5 * (b + np.where(b >= 0.0, root, -root))  # cancellation-free
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # non-finite roots are dropped
        first = np.where(linear, -c / b, q / a)
        second = np.where(linear, np.nan, c / q)
    exists = np.stack([real & np.isfinite(first), real & ~linear & np.isfinite(second)], axis=1)
    return np.stack([np.nan_to_num(first), np.nan_to_num(second)], axis=1), exists


def _support_pairs(m1: int, m2: int, max_pairs: int) -> tuple[list[tuple[IntArray, IntArray]], bool]:
    """Index arrays of support pairs of equal size, by size; and whether they are all of them.

    Every support pair of each size while the running count stays within ``max_pairs``;
    for the sizes beyond, up to 3, only supports of consecutive actions (natural for
    menus that are grids of efforts, where equilibria mix neighbouring actions).
    """
    out: list[tuple[IntArray, IntArray]] = []
    total, complete = 0, True
    for n in range(1, min(m1, m2) + 1):
        count = math.comb(m1, n) * math.comb(m2, n)
        if complete and (total + count <= max_pairs or not out):
            total += count
            first = np.array(list(itertools.combinations(range(m1), n)), dtype=np.intp)
            second = np.array(list(itertools.combinations(range(m2), n)), dtype=np.intp)
        elif n <= _CONSECUTIVE_UP_TO:
            complete = False
            first = np.arange(n)[None, :] + np.arange(m1 - n + 1)[:, None]
            second = np.arange(n)[None, :] + np.arange(m2 - n + 1)[:, None]
        else:
            return out, False
        out.append((np.repeat(first, len(second), axis=0), np.tile(second, (len(first), 1))))
    return out, complete


def state_equilibria(game: PeriodGame, max_pairs: int = _MAX_PAIRS) -> StateEquilibria:
    """Every equilibrium of the period game at one state (see the module docstring).

    A degenerate game (payoff ties, common with deterministic progress) can have no
    equilibrium whose supports have equal sizes; then the payoffs are perturbed by
    1e-10 of their scale, the perturbed game's equilibria are found, and those that
    are equilibria of the original game to 1e-9 are kept, with ``degenerate`` set.

    Parameters
    ----------
    game : PeriodGame
        The state's game, from [`patentrace.equations.periods.period_game`][patentrace.equations.periods.period_game].
    max_pairs : int
        Most support pairs to enumerate.

    Returns
    -------
    StateEquilibria

    Examples
    --------
    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> found = state_equilibria(period_game(race, terminal_values(race), 0, 0))
    >>> found.strategy[0].tolist(), found.strategy[1].tolist()     # k < L: both work, uniquely
    ([[1.0, 0.0]], [[1.0, 0.0]])
    """
    scale = float(np.max(np.abs(game.other))) + 1.0
    tol = 1e-9 * scale
    found, complete = _enumerate(game, game.other, max_pairs, tol)
    perturbed = False
    if not found:
        noise = np.random.default_rng(0).random(game.other.shape)
        candidates, complete = _enumerate(game, game.other + 1e-10 * scale * noise, max_pairs, tol)
        found = [c for c in candidates if _is_equilibrium(game, c[0], c[1], tol)]
        perturbed = True
    if not found:
        hint = {} if complete else {
            "searched": f"every support pair up to {max_pairs} pairs, then consecutive supports only; "
                        "raise max_pairs to search them all"}
        raise EquilibriumError("no equilibrium found at a period game", None,
                               {"actions": game.other.shape[1:], "complete": complete, **hint})
    strategy1, strategy2, value = _distinct([c[0] for c in found], [c[1] for c in found],
                                            [_ratio_values(game, c[0], c[1]) for c in found])
    degenerate = perturbed or _degenerate(game, strategy1, strategy2, value, tol)
    return StateEquilibria((strategy1, strategy2), value, degenerate, complete)


def _enumerate(
    game: PeriodGame, other: FloatArray, max_pairs: int, tol: float
) -> tuple[list[tuple[FloatArray, FloatArray]], bool]:
    """Equilibria of the period game with payoffs ``other`` (``K``), by support enumeration."""
    k1, k2 = other
    u, w = game.stay
    m1, m2 = k1.shape
    beta = game.beta
    found: list[tuple[FloatArray, FloatArray]] = []
    supports, complete = _support_pairs(m1, m2, max_pairs)
    for all_rows, all_cols in supports:
        for start in range(0, all_rows.shape[0], _CHUNK):
            rows, cols = all_rows[start : start + _CHUNK], all_cols[start : start + _CHUNK]
            mix2, value1, ok1 = _indifference(k1, u, w, beta, rows, cols)
            mix1, value2, ok2 = _indifference(k2.T, w, u, beta, cols, rows)
            for r1, r2 in itertools.product(range(2), range(2)):
                ok = ok1[:, r1] & ok2[:, r2]
                ok &= np.all(mix1[:, r2] >= -1e-10, axis=1) & np.all(mix2[:, r1] >= -1e-10, axis=1)
                at = np.flatnonzero(ok)
                if at.size == 0:
                    continue
                s1, s2 = mix1[at, r2], mix2[at, r1]
                v1, v2 = value1[at, r1], value2[at, r2]
                # every action's payoff against the candidate: none may beat the value
                pay1 = np.einsum("apk,pk->pa", k1[:, cols[at]], s2)
                pay1 += beta * u[None, :] * np.sum(w[cols[at]] * s2, axis=1)[:, None] * v1[:, None]
                pay2 = np.einsum("bpk,pk->pb", k2.T[:, rows[at]], s1)
                pay2 += beta * w[None, :] * np.sum(u[rows[at]] * s1, axis=1)[:, None] * v2[:, None]
                good = np.all(pay1 <= v1[:, None] + tol, axis=1) & np.all(pay2 <= v2[:, None] + tol, axis=1)
                for p in np.flatnonzero(good):
                    sigma1, sigma2 = np.zeros(m1), np.zeros(m2)
                    sigma1[rows[at[p]]] = np.clip(s1[p], 0.0, None)
                    sigma2[cols[at[p]]] = np.clip(s2[p], 0.0, None)
                    found.append((sigma1 / sigma1.sum(), sigma2 / sigma2.sum()))
    return found, complete


def _is_equilibrium(game: PeriodGame, sigma1: FloatArray, sigma2: FloatArray, tol: float) -> bool:
    """Whether no pure action beats the ratio-game values of ``(sigma1, sigma2)`` in the original game."""
    v1, v2 = _ratio_values(game, sigma1, sigma2)
    return bool(np.all(game.payoff(0, v1) @ sigma2 <= v1 + tol) and np.all(sigma1 @ game.payoff(1, v2) <= v2 + tol))


def _ratio_values(game: PeriodGame, sigma1: FloatArray, sigma2: FloatArray) -> tuple[float, float]:
    """``v_k = sigma_1' K_k sigma_2 / (1 - beta (u . sigma_1)(w . sigma_2))``: the values, recomputed exactly."""
    leaving = game.leaving(sigma1, sigma2)
    return float(sigma1 @ game.other[0] @ sigma2) / leaving, float(sigma1 @ game.other[1] @ sigma2) / leaving


def _distinct(
    found1: list[FloatArray], found2: list[FloatArray], values: list[tuple[float, float]]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    keep: list[int] = []
    for k in range(len(values)):
        if not any(
            np.max(np.abs(found1[k] - found1[q])) < _SAME and np.max(np.abs(found2[k] - found2[q])) < _SAME
            for q in keep
        ):
            keep.append(k)
    if not keep:
        return np.zeros((0, 0)), np.zeros((0, 0)), np.zeros((0, 2))
    return (np.array([found1[k] for k in keep]), np.array([found2[k] for k in keep]),
            np.array([values[k] for k in keep], dtype=float))


def _degenerate(game: PeriodGame, s1: FloatArray, s2: FloatArray, value: FloatArray, tol: float) -> bool:
    for k in range(value.shape[0]):
        best1 = np.sum(game.payoff(0, value[k, 0]) @ s2[k] >= value[k, 0] - tol)
        best2 = np.sum(s1[k] @ game.payoff(1, value[k, 1]) >= value[k, 1] - tol)
        if best1 > np.sum(s1[k] > 0) or best2 > np.sum(s2[k] > 0):
            return True
    return False


def _select(found: StateEquilibria, game: PeriodGame, rule: str) -> int:
    """Position of the chosen equilibrium: fastest / slowest expected progress, or richest."""
    steps = [p @ np.arange(p.shape[1]) for p in game.progress]
    progress = found.strategy[0] @ steps[0] + found.strategy[1] @ steps[1]
    score = {"fastest": progress, "slowest": -progress, "richest": found.value.sum(axis=1)}[rule]
    return int(np.argmax(score))


def solve_lagged(race: LaggedRace, selection: str = "fastest", max_pairs: int = _MAX_PAIRS) -> LaggedEquilibrium:
    """The stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace] by backward induction.

    States only move forward apart from the self-loop, so they are solved from the
    end of the race backwards, every equilibrium of each state found and one chosen
    by ``selection`` (``"fastest"``: most expected progress per period; ``"slowest"``;
    ``"richest"``: the largest joint value).

    Parameters
    ----------
    race : LaggedRace
        The model.
    selection : {"fastest", "slowest", "richest"}
        Rule for states with several equilibria.
    max_pairs : int
        Most support pairs enumerated per state.

    Returns
    -------
    LaggedEquilibrium

    Examples
    --------
    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> eq = solve_lagged(race)
    >>> eq.strategy[0][0, 0].tolist(), int(eq.multiplicity[0, 0])
    ([1.0, 0.0], 1)
    """
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}")
    started = time.perf_counter()
    n1, n2 = race.stages
    sizes = (len(race.menus[0][0]), len(race.menus[1][0]))
    value = terminal_values(race)
    strategy = (np.zeros((n1 + 1, n2 + 1, sizes[0])), np.zeros((n1 + 1, n2 + 1, sizes[1])))
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    degenerate = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    complete = True
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            game = period_game(race, value, i, j)
            try:
                found = state_equilibria(game, max_pairs)
            except EquilibriumError as err:
                raise EquilibriumError(str(err).split(" at ")[0], (i, j), err.details) from None
            chosen = _select(found, game, selection)
            strategy[0][i, j], strategy[1][i, j] = found.strategy[0][chosen], found.strategy[1][chosen]
            value[:, i, j] = found.value[chosen]
            multiplicity[i, j] = found.value.shape[0]
            degenerate[i, j] = found.degenerate
            complete &= found.complete
    win, tie = _outcome_probabilities(race, strategy)
    return LaggedEquilibrium(
        model=race, strategy=strategy, value=value, win_probability=win, tie_probability=tie,
        expected_duration=chain.period_expected_duration(race, strategy),
        multiplicity=multiplicity, degenerate=degenerate,
        solver=SolverInfo(
            method="support enumeration",
            selection=selection,
            options={"max_pairs": max_pairs, "complete": complete},
            version=__version__,
            seconds=time.perf_counter() - started,
        ),
    )


def _outcome_probabilities(race: LaggedRace, strategy: tuple[FloatArray, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Each firm's probability of winning, and of a tie, from every state (the corner holds 1/2 each)."""
    n1, n2 = race.stages
    nothing = np.zeros(race.shape, dtype=bool)
    first_won, second_won = nothing.copy(), nothing.copy()
    first_won[n1, :n2], second_won[:n1, n2] = True, True
    win = np.stack([
        chain.period_hitting_probability(race, strategy, first_won, (FIRST_WINS,)),
        chain.period_hitting_probability(race, strategy, second_won, (SECOND_WINS,)),
    ])
    win[:, n1, n2] = 0.5
    return win, chain.period_hitting_probability(race, strategy, nothing, (TIE,))
