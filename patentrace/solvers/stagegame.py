"""Every stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace], state by state (docs/theory/periods.md).

At a state, with the values of later states known, an equilibrium is a pair of
mixed actions ``sigma`` and values ``v`` such that ``sigma`` is a Nash equilibrium of
the bimatrix game ``M_k(v_k) = K_k + beta u w' v_k`` and ``v_k = sigma_1' M_k(v_k) sigma_2``
([`patentrace.equations.periods`][patentrace.equations.periods]). Best responses are pure, so equilibria are found by
enumerating pairs of supports ``(S_1, S_2)`` of equal size ``n``.

Each support pair's indifference conditions are solved in
[`patentrace.solvers.supports`][patentrace.solvers.supports] (a line and a quadratic, every
solution found); each candidate's values are recomputed from the profile (the ratio game's
values) before its best responses are checked in the full game, so a value read off an
ill-conditioned support system cannot pass.

Before the search, payoff-identical duplicate actions are merged and strictly dominated
actions removed ([`patentrace.solvers.dominance`][patentrace.solvers.dominance]).
Supports of every size of what remains are then enumerated unless there are more than
``max_pairs`` pairs; then the larger sizes are searched only among consecutive actions of
the menu, up to three of them (menus from
[`from_race`][patentrace.LaggedRace.from_race] are effort grids, whose equilibria mix
neighbouring efforts), the result says so (``complete`` is False) and
``solve_lagged`` emits an [`IncompleteEnumerationWarning`][patentrace.IncompleteEnumerationWarning]
naming the states.

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
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._version import __version__
from patentrace.equations.periods import PeriodGame, period_game, terminal_values
from patentrace.errors import EquilibriumError, IncompleteEnumerationWarning, user_stacklevel
from patentrace.models import LaggedRace
from patentrace.models.lattice import Layout
from patentrace.results import chain
from patentrace.results.equilibrium import LaggedEquilibrium, SolverInfo
from patentrace.solvers.dominance import Reduction, reduce_game
from patentrace.solvers.selection import SELECTION_RULES
from patentrace.solvers.supports import CONSECUTIVE_UP_TO, indifference, polish, support_pairs

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = [
    "MAX_PAIRS",
    "SearchRecord",
    "StateEquilibria",
    "check_lagged",
    "deviation_gains",
    "solve_lagged",
    "state_equilibria",
]

MAX_PAIRS = 200_000
_CHUNK = 20_000  # support pairs solved at once
_SAME = 1e-9
_LOOSE = 1e-6  # first screen of candidates, before Newton polishing (relative to the payoff scale)


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
        Every support pair of the reduced game was enumerated.
    searched : int or None
        Incomplete searches: the largest support size whose pairs were all searched in the
        reduced game (larger supports only among up to three neighbouring actions); None
        when ``complete``.
    undominated : (int, int) or None
        Actions of each firm left after merging duplicates and removing strictly
        dominated actions: the game whose supports were enumerated.
    duplicates : (tuple, tuple)
        Each firm's groups of payoff-identical actions (indices into its menu). An
        equilibrium puts the weight of a group on its first action; the others are
        equivalent and not counted as further equilibria.

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
    searched: int | None = None
    undominated: tuple[int, int] | None = None
    duplicates: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]] = ((), ())


def state_equilibria(game: PeriodGame, max_pairs: int = MAX_PAIRS) -> StateEquilibria:
    """Every equilibrium of the period game at one state (see the module docstring).

    Payoff-identical duplicate actions are merged and strictly dominated actions
    removed first (``reduce_game``); the supports of what remains are enumerated.
    A degenerate game (payoff ties, common with deterministic progress) can have no
    equilibrium whose supports have equal sizes; then the payoffs are perturbed by
    1e-10 of their scale, the perturbed game's equilibria are found, and those that
    are equilibria of the original game to 1e-9 are kept, with ``degenerate`` set.
    Every equilibrium returned is checked in the full game, its values recomputed
    from the profile: no action of either firm pays more than 1e-9 of the payoff
    scale above its value.

    Parameters
    ----------
    game : PeriodGame
        The state's game, from [`patentrace.equations.periods.period_game`][patentrace.equations.periods.period_game].
    max_pairs : int
        Most support pairs to enumerate (in the reduced game).

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
    reduction = reduce_game(game, scale)
    small = reduction.game
    candidates, searched = _enumerate(small, small.other, max_pairs, tol)
    found = _lift(game, reduction, candidates, tol)
    perturbed = False
    if not found:
        noise = np.random.default_rng(0).random(small.other.shape)
        candidates, searched = _enumerate(small, small.other + 1e-10 * scale * noise, max_pairs, tol)
        found = _lift(game, reduction, candidates, tol)
        perturbed = True
    if not found:
        hint = {} if searched is None else {
            "searched": f"every support pair up to size {searched}, then supports of neighbouring actions only; "
                        "raise max_pairs to search them all"}
        raise EquilibriumError("no equilibrium found at a period game", None,
                               {"actions": game.other.shape[1:], "undominated": small.other.shape[1:],
                                "complete": searched is None, **hint})
    strategy1, strategy2, value = _distinct([c[0] for c in found], [c[1] for c in found],
                                            [_ratio_values(game, c[0], c[1]) for c in found])
    degenerate = perturbed or _degenerate(game, strategy1, strategy2, value, tol)
    return StateEquilibria((strategy1, strategy2), value, degenerate, searched is None, searched=searched,
                           undominated=(int(small.other.shape[1]), int(small.other.shape[2])),
                           duplicates=reduction.duplicates)


def _lift(
    game: PeriodGame, reduction: Reduction, candidates: list[tuple[FloatArray, FloatArray]], tol: float
) -> list[tuple[FloatArray, FloatArray]]:
    """The reduced game's equilibria as profiles of the full game, kept only if they are equilibria there."""
    out = []
    rows, cols = reduction.kept
    for small1, small2 in candidates:
        sigma1, sigma2 = np.zeros(game.other.shape[1]), np.zeros(game.other.shape[2])
        sigma1[rows], sigma2[cols] = small1, small2
        if _is_equilibrium(game, sigma1, sigma2, tol):
            out.append((sigma1, sigma2))
    return out


def _enumerate(
    game: PeriodGame, other: FloatArray, max_pairs: int, tol: float
) -> tuple[list[tuple[FloatArray, FloatArray]], int | None]:
    """Equilibria of the period game with payoffs ``other`` (``K``), by support enumeration.

    Returns the candidates and the largest support size searched in full (None: all of them).
    """
    k1, k2 = other
    u, w = game.stay
    mv, mw = game.moves(0), game.moves(1)
    m1, m2 = k1.shape
    beta, impatience = game.beta, game.one_minus_beta
    scale = float(np.max(np.abs(other))) + 1.0
    found: list[tuple[FloatArray, FloatArray]] = []
    supports, searched = support_pairs(m1, m2, max_pairs)
    for all_rows, all_cols in supports:
        for start in range(0, all_rows.shape[0], _CHUNK):
            rows, cols = all_rows[start : start + _CHUNK], all_cols[start : start + _CHUNK]
            points1, system1, ok1 = indifference(k1, (u, mv), mw, beta, impatience, rows, cols)
            points2, system2, ok2 = indifference(k2.T, (w, mw), mv, beta, impatience, cols, rows)
            n = rows.shape[1]
            for r1, r2 in itertools.product(range(2), range(2)):
                ok = ok1[:, r1] & ok2[:, r2]
                ok &= np.all(points2[:, r2, :n] >= -_LOOSE, axis=1) & np.all(points1[:, r1, :n] >= -_LOOSE, axis=1)
                at = np.flatnonzero(ok)
                if at.size == 0:
                    continue
                good = _best_responses(game, other, rows[at], cols[at], points1[at, r1], points2[at, r2],
                                       _LOOSE * scale)
                at = at[good]
                if at.size == 0:
                    continue
                polished1 = polish(system1[at], mw[cols[at]], points1[at, r1])
                polished2 = polish(system2[at], mv[rows[at]], points2[at, r2])
                good = _best_responses(game, other, rows[at], cols[at], polished1, polished2, tol)
                good &= np.all(polished1[:, :n] >= -1e-10, axis=1) & np.all(polished2[:, :n] >= -1e-10, axis=1)
                for p in np.flatnonzero(good):
                    sigma1, sigma2 = np.zeros(m1), np.zeros(m2)
                    sigma1[rows[at[p]]] = polished2[p, :n]
                    sigma2[cols[at[p]]] = polished1[p, :n]
                    found.append((_mixture(sigma1), _mixture(sigma2)))
    return found, searched


def _mixture(weights: FloatArray) -> FloatArray:
    """Weights as a mixed action: rounding noise (below 1e-13) set to 0, the rest normalised to sum to 1."""
    out = np.where(weights > 1e-13, weights, 0.0)
    return np.asarray(out / out.sum())


def _best_responses(
    game: PeriodGame, other: FloatArray, rows: IntArray, cols: IntArray, points1: FloatArray, points2: FloatArray,
    tol: float,
) -> NDArray[np.bool_]:
    """Which candidates leave no action of either firm gaining more than ``tol`` over its value.

    ``points1[p] = (s_2, v_1, z_1)`` solves firm 1's indifference (firm 2's mixture on
    ``cols[p]``), ``points2[p] = (s_1, v_2, z_2)`` firm 2's. The gain of firm 1's action ``a``
    is ``(K_1 s_2)_a - (1 - beta + beta m_a) v_1 - beta u_a z_1``: no cancellation when
    ``beta`` is close to 1.
    """
    n = rows.shape[1]
    k1, k2 = other
    u, w = game.stay
    mv, mw = game.moves(0), game.moves(1)
    beta, impatience = game.beta, game.one_minus_beta
    s2, v1, z1 = points1[:, :n], points1[:, n], points1[:, n + 1]
    s1, v2, z2 = points2[:, :n], points2[:, n], points2[:, n + 1]
    gain1 = (np.einsum("apk,pk->pa", k1[:, cols], s2) - (impatience + beta * mv[None, :]) * v1[:, None]
             - beta * u[None, :] * z1[:, None])
    gain2 = (np.einsum("bpk,pk->pb", k2.T[:, rows], s1) - (impatience + beta * mw[None, :]) * v2[:, None]
             - beta * w[None, :] * z2[:, None])
    return np.asarray(np.all(gain1 <= tol, axis=1) & np.all(gain2 <= tol, axis=1))


def deviation_gains(game: PeriodGame, sigma1: FloatArray, sigma2: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each action's payoff above the firm's value, the values being those the profile pays (docs/theory/periods.md).

    Firm 1's action ``a`` against ``sigma_2`` pays ``(K_1 sigma_2)_a + beta u_a W v_1`` with
    ``W = w . sigma_2``; its gain is that minus ``v_1``, written
    ``(K_1 sigma_2)_a - v_1 (1 - beta + beta m_a + beta u_a (1 - W))`` with ``m_a = 1 - u_a``
    summed from the progress distribution, so no two nearly equal numbers are subtracted
    when ``beta`` is close to 1.

    Examples
    --------
    The oracle of docs/theory/periods.md with ``k < L``: against a worker, working gains nothing and
    shirking loses.

    >>> import numpy as np
    >>> import patentrace as pr
    >>> from patentrace.equations.periods import period_game, terminal_values
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> game = period_game(race, terminal_values(race), 0, 0)
    >>> gains = deviation_gains(game, np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    >>> [float(g[0]) == 0.0 or abs(float(g[0])) < 1e-15 for g in gains], [bool(g[1] < 0) for g in gains]
    ([True, True], [True, True])
    """
    v1, v2 = _ratio_values(game, sigma1, sigma2)
    beta, impatience = game.beta, game.one_minus_beta
    mv, mw = game.moves(0), game.moves(1)
    gain1 = game.other[0] @ sigma2 - v1 * (impatience + beta * mv + beta * game.stay[0] * float(mw @ sigma2))
    gain2 = sigma1 @ game.other[1] - v2 * (impatience + beta * mw + beta * game.stay[1] * float(mv @ sigma1))
    return np.asarray(gain1), np.asarray(gain2)


def _is_equilibrium(game: PeriodGame, sigma1: FloatArray, sigma2: FloatArray, tol: float) -> bool:
    """Whether no pure action beats the ratio-game values of ``(sigma1, sigma2)`` in the original game."""
    gain1, gain2 = deviation_gains(game, sigma1, sigma2)
    return bool(np.all(gain1 <= tol) and np.all(gain2 <= tol))


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
        gain1, gain2 = deviation_gains(game, s1[k], s2[k])
        best1, best2 = np.sum(gain1 >= -tol), np.sum(gain2 >= -tol)
        if best1 > np.sum(s1[k] > 0) or best2 > np.sum(s2[k] > 0):
            return True
    return False


def _select(found: StateEquilibria, game: PeriodGame, rule: str) -> int:
    """Position of the chosen equilibrium: fastest / slowest expected progress, or richest."""
    steps = [p @ np.arange(p.shape[1]) for p in game.progress]
    progress = found.strategy[0] @ steps[0] + found.strategy[1] @ steps[1]
    score = {"fastest": progress, "slowest": -progress, "richest": found.value.sum(axis=1)}[rule]
    return int(np.argmax(score))


@dataclass
class SearchRecord:
    """What the per-state searches of one lagged race left out or merged (for ``solver.options``).

    Attributes
    ----------
    incomplete : dict
        ``(i, j)`` -> ``(searched, m1, m2)`` at states whose search was incomplete: supports of
        up to ``searched`` actions were all searched among the ``m1 x m2`` undominated actions,
        larger ones only among neighbouring actions.
    duplicates : (set, set)
        Each firm's groups of payoff-identical actions met at some state.

    Examples
    --------
    >>> record = SearchRecord()
    >>> record.options()
    {'complete': True, 'incomplete_states': [], 'searched_support_size': [], 'undominated_actions': [], \
'duplicate_actions': [[], []]}
    """

    incomplete: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    duplicates: tuple[set[tuple[int, ...]], set[tuple[int, ...]]] = field(default_factory=lambda: (set(), set()))

    def add(self, state: tuple[int, int], found: StateEquilibria) -> None:
        """Record one state's search.

        Examples
        --------
        >>> import patentrace as pr
        >>> from patentrace.equations.periods import period_game, terminal_values
        >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=1, prize=1.0, lag=1.0, discount=0.05, actions=[work, work, shirk])
        >>> record = SearchRecord()
        >>> record.add((0, 0), state_equilibria(period_game(race, terminal_values(race), 0, 0)))
        >>> record.options()["duplicate_actions"]
        [[[0, 1]], [[0, 1]]]
        """
        if found.searched is not None:
            m1, m2 = found.undominated or found.strategy[0].shape[1:] + found.strategy[1].shape[1:]
            self.incomplete[state] = (found.searched, int(m1), int(m2))
        for firm in (0, 1):
            self.duplicates[firm].update(found.duplicates[firm])

    def options(self) -> dict[str, Any]:
        """Plain data for ``solver.options``: completeness, the incomplete states, the duplicate actions.

        Examples
        --------
        >>> SearchRecord(incomplete={(0, 0): (2, 9, 9)}).options()["incomplete_states"]
        [[0, 0]]
        """
        states = sorted(self.incomplete)
        return {
            "complete": not states,
            "incomplete_states": [[i, j] for i, j in states],
            "searched_support_size": [self.incomplete[s][0] for s in states],
            "undominated_actions": [list(self.incomplete[s][1:]) for s in states],
            "duplicate_actions": [[list(g) for g in sorted(self.duplicates[firm])] for firm in (0, 1)],
        }

    def warn(self, max_pairs: int) -> None:
        """Emit an ``IncompleteEnumerationWarning`` if some state's search was incomplete.

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     SearchRecord(incomplete={(0, 1): (2, 9, 9)}).warn(max_pairs=1000)
        >>> print(caught[0].message)  # doctest: +ELLIPSIS
        equilibria may be missing at 1 state(s), [[0, 1]]: ... (0, 1): supports of more than 2 of 9 x 9 ...
        """
        if not self.incomplete:
            return
        states = sorted(self.incomplete)
        shown = "; ".join(
            f"{s}: supports of more than {self.incomplete[s][0]} of {self.incomplete[s][1]} x {self.incomplete[s][2]} "
            "undominated actions" for s in states[:6]) + ("; ..." if len(states) > 6 else "")
        warnings.warn(
            f"equilibria may be missing at {len(states)} state(s), {[list(s) for s in states]}: beyond "
            f"max_pairs={max_pairs} support pairs, larger supports were searched only among neighbouring actions "
            f"(up to {CONSECUTIVE_UP_TO}) -- {shown}. Raise max_pairs to search them all.",
            IncompleteEnumerationWarning, stacklevel=user_stacklevel(),
        )


def solve_lagged(race: LaggedRace, selection: str = "fastest", max_pairs: int = MAX_PAIRS) -> LaggedEquilibrium:
    """The stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace] by backward induction.

    States only move forward apart from the self-loop, so they are solved from the
    end of the race backwards, every equilibrium of each state found and one chosen
    by ``selection`` (``"fastest"``: most expected progress per period; ``"slowest"``;
    ``"richest"``: the largest joint value). Where some state's search was incomplete
    (more support pairs than ``max_pairs`` after the reduction), an
    ``IncompleteEnumerationWarning`` names the states.

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
        ``solver.options`` holds ``complete``, ``incomplete_states`` with
        ``searched_support_size`` and ``undominated_actions`` at each (the support size searched in
        full, the actions left after the reduction), and
        ``duplicate_actions`` (each firm's groups of payoff-identical actions).

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
    record = SearchRecord()
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
            record.add((i, j), found)
    record.warn(max_pairs)
    win, tie = chain.period_outcome_probabilities(race, strategy)
    return LaggedEquilibrium(
        model=race, strategy=strategy, value=value, win_probability=win, tie_probability=tie,
        expected_duration=chain.period_expected_duration(race, strategy),
        multiplicity=multiplicity, degenerate=degenerate,
        solver=SolverInfo(
            method="support enumeration",
            selection=selection,
            options={"max_pairs": max_pairs, **record.options()},
            version=__version__,
            seconds=time.perf_counter() - started,
        ),
    )


def check_lagged(eq: LaggedEquilibrium, tolerance: float) -> None:
    """Raise unless every open state's profile is an equilibrium of its period game (docs/theory/periods.md).

    At every open state the period game is rebuilt from the stored values of later
    states; the largest gain of a pure action over the firm's value
    (``deviation_gains``, values recomputed from the profile) and the Bellman
    residual ``|v_k - sigma_1' M_k(v_k) sigma_2|`` must both be at most ``tolerance``
    times the prize.

    Raises
    ------
    EquilibriumError
        At the first state that fails, with the gain, the residual, the profile and the values.

    Examples
    --------
    >>> import patentrace as pr
    >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
    >>> race = pr.LaggedRace(stages=2, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
    >>> check_lagged(solve_lagged(race), 1e-10)     # passes silently
    """
    race = eq.model
    bound = tolerance * race.prize
    for step in Layout.of([race.stages]).steps:
        for i, j in zip(step.i.tolist(), step.j.tolist(), strict=True):
            game = period_game(race, eq.value, i, j)
            s1, s2 = eq.strategy[0][i, j], eq.strategy[1][i, j]
            v1, v2 = float(eq.value[0, i, j]), float(eq.value[1, i, j])
            gains = deviation_gains(game, s1, s2)
            gain = max(float(np.max(gains[0])), float(np.max(gains[1])), 0.0)
            residual = max(abs(v1 - float(s1 @ game.payoff(0, v1) @ s2)), abs(v2 - float(s1 @ game.payoff(1, v2) @ s2)))
            if not (gain <= bound and residual <= bound):
                raise EquilibriumError(
                    "a lagged equilibrium fails its check", (i, j),
                    {"deviation_gain": gain, "residual": residual, "tolerance": bound,
                     "strategy": (s1.tolist(), s2.tolist()), "value": (v1, v2)})
