"""The Markov perfect equilibrium of a :class:`~patentrace.Race` by backward induction.

Terminal values are known (SPEC.md §1): ``V_1(N1, j) = P``, ``V_1(i, N2) = L``
and symmetrically. Each anti-diagonal ``i + j = d`` depends only on the next,
so the solver sweeps anti-diagonals from the end of the race to ``(0, 0)``,
solving every state of one anti-diagonal at once: it finds every equilibrium of
each state's game (:mod:`patentrace.solvers.allroots`), applies the selection
rule where there are several, and records the multiplicity.

Examples
--------
>>> import patentrace as pr
>>> eq = solve_race(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> round(float(eq.effort[0, 0, 0]), 10)
0.6958114029
"""

from __future__ import annotations

import logging
import time

import numpy as np
from numpy.typing import NDArray

from patentrace import chain, hjb
from patentrace._version import __version__
from patentrace.equilibrium import Equilibrium, SolverInfo
from patentrace.lattice import anti_diagonals, open_states
from patentrace.models import Race
from patentrace.solvers.allroots import SELECTION_RULES, StateGames, find_equilibria, select

__all__ = ["single_firm", "solve_race"]

FloatArray = NDArray[np.float64]
logger = logging.getLogger(__name__)

# Continuation values below this multiple of the prize have left the float range
# (with quadratic costs a firm's value roughly squares with every stage it is behind).
_FLOAT_FLOOR = 1e-290


def _underflow(race: Race, value: FloatArray, effort: FloatArray) -> NDArray[np.bool_]:
    """Firm-states whose zero effort is an artefact of underflow, not a decision to idle.

    A firm idles only if ``Q = r A + h (A - B) - c'(0) (r + h) / lambda <= 0``. A zero
    effort with ``Q > 0`` is a positive effort below the float range (with
    ``c(x) ~ x**g``, ``g < 2``, the effort is about ``Q**(1/(g-1))``); and with
    ``c'(0) = 0`` a zero effort whose continuation values are themselves below the
    float range is decided by rounding, not by the model.
    """
    flag = np.zeros(value.shape, dtype=bool)
    i, j = np.nonzero(open_states(race.stages))
    own_next, rival_next = hjb.continuation(value, i, j)
    lam = state_productivity(race)
    for firm in (0, 1):
        idle = effort[firm, i, j] == 0.0
        a, b = own_next[firm], rival_next[firm]
        rival_hazard = lam[1 - firm, i, j] * effort[1 - firm, i, j]
        floor = float(race.cost[firm].marginal(0.0))
        gain = race.discount * a + rival_hazard * (a - b) - floor * (race.discount + rival_hazard) / lam[firm, i, j]
        vanished = (floor == 0.0) & (np.maximum(np.abs(a), np.abs(b)) < _FLOAT_FLOOR * race.prize)
        flag[firm, i, j] = idle & ((gain > 0.0) | vanished)
    return flag


def terminal_values(race: Race) -> FloatArray:
    """Values array with the terminal states filled (SPEC.md §1); open states hold 0."""
    n1, n2 = race.stages
    value = np.zeros((2, n1 + 1, n2 + 1))
    value[0, n1, :n2], value[1, n1, :n2] = race.prize, race.loser_prize
    value[0, :n1, n2], value[1, :n1, n2] = race.loser_prize, race.prize
    value[:, n1, n2] = 0.5 * (race.prize + race.loser_prize)
    return value


def state_productivity(race: Race) -> FloatArray:
    """``lambda_k`` at every state, shape ``(2, N1 + 1, N2 + 1)``; 0 at terminal states."""
    n1, n2 = race.stages
    lam = np.zeros((2, n1 + 1, n2 + 1))
    lam[0, :n1, :] = race.productivity_array(0)[:, None]
    lam[1, :, :n2] = race.productivity_array(1)[None, :]
    lam[0, :, n2] = 0.0
    lam[1, n1, :] = 0.0
    return lam


def solve_race(race: Race, selection: str = "fastest", grid: int = 16) -> Equilibrium:
    """Solve a :class:`~patentrace.Race` backwards over anti-diagonals.

    Parameters
    ----------
    race : Race
        The model.
    selection : {"fastest", "slowest", "richest"}
        Rule for states with several equilibria (see :func:`patentrace.solvers.allroots.select`).
    grid : int
        Resolution of the per-state root search (see :func:`~patentrace.solvers.allroots.find_equilibria`).

    Returns
    -------
    Equilibrium
        Efforts, hazards, values, win probabilities, expected durations and
        multiplicities at every state.

    Raises
    ------
    EquilibriumError
        If some state's equilibrium cannot be certified; it names the state.
    """
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}")
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 2:
        raise ValueError(f"grid must be an int >= 2, got {grid!r}")
    started = time.perf_counter()
    n1, n2 = race.stages
    value = terminal_values(race)
    effort = np.zeros_like(value)
    multiplicity = np.ones((n1 + 1, n2 + 1), dtype=np.intp)
    multiplicity[n1, n2] = 0
    lam = state_productivity(race)
    for i, j in anti_diagonals(race.stages):
        own_next, rival_next = hjb.continuation(value, i, j)
        games = StateGames(own_next, rival_next, lam[:, i, j], race.discount, race.cost, np.stack([i, j]))
        found = find_equilibria(games, grid)
        chosen = select(found, games.productivity, selection)
        effort[:, i, j] = found.effort[:, chosen]
        value[:, i, j] = found.value[:, chosen]
        multiplicity[i, j] = found.count
    hazard = lam * effort
    underflow = _underflow(race, value, effort)
    if underflow.any():
        logger.warning(
            "%d firm-states have continuation values below the float range (< %g x prize): their efforts "
            "are positive in theory but round to 0; see Equilibrium.underflow",
            int(underflow.sum()), _FLOAT_FLOOR,
        )
    return Equilibrium(
        model=race,
        effort=effort,
        hazard=hazard,
        value=value,
        win_probability=chain.win_probability(hazard),
        expected_duration=chain.expected_duration(hazard),
        multiplicity=multiplicity,
        underflow=underflow,
        solver=SolverInfo(
            method="backward",
            selection=selection,
            options={"grid": grid},
            version=__version__,
            seconds=time.perf_counter() - started,
        ),
    )


def single_firm(race: Race, firm: int = 0) -> tuple[FloatArray, FloatArray]:
    """The policy of a firm that races alone: its rival never moves (SPEC.md §1).

    With no rival hazard, equation (1) reads ``c'(x)(r + lambda x)/lambda - c(x) = r A``
    with ``A`` the value one stage on. This is the policy a leader plays once its
    rival has dropped out for good ("as if alone", Harris and Vickers 1985).

    Parameters
    ----------
    race : Race
        The model; only ``firm``'s stages, cost and productivity and the prize matter.
    firm : int
        0 or 1.

    Returns
    -------
    effort, value : ndarray, shape (N + 1,)
        Indexed by stages completed; ``value[N]`` is the prize, ``effort[N]`` is 0.

    Examples
    --------
    >>> import patentrace as pr
    >>> effort, value = single_firm(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> import math; v1 = (math.sqrt(1.0 + 0.05) - math.sqrt(0.05)) ** 2   # SPEC closed form
    >>> bool(abs(value[1] - v1) < 1e-15)
    True
    """
    if firm not in (0, 1):
        raise ValueError(f"firm must be 0 or 1, got {firm!r}")
    n = race.stages[firm]
    cost, lam = race.cost[firm], race.productivity_array(firm)
    effort, value = np.zeros(n + 1), np.zeros(n + 1)
    value[n] = race.prize
    for i in range(n - 1, -1, -1):
        effort[i] = hjb.best_response(cost, lam[i], value[i + 1], 0.0, 0.0, race.discount)
        value[i] = hjb.flow_value(cost, effort[i], lam[i], value[i + 1], 0.0, 0.0, race.discount)
    return effort, value
