"""Checking an equilibrium without trusting the solver (docs/theory/invariants.md).

Two checks, both from the HJB (2) of docs/theory/race.md and the stored arrays alone (and
``check_finite``, which every solve runs on every array it returns):

- **deviation gain**: at each open state, each firm's value ``V(x)`` (rival's hazard
  and continuation values held fixed) is maximised over its own effort by a grid
  search and a bracketed local optimiser, not through the first-order condition;
  the gain over the stored value is what a one-state deviation would earn;
- **HJB residual**: ``r V - [-c(x) + h (A - V) + h' (B - V)]`` at the stored effort and
  value, relative to the state's value scale (each product of the HJB taken apart).

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> float(deviation_gain(eq).max()) < 1e-12, float(hjb_residual(eq).max()) < 1e-12
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import elementwise

from patentrace.equations import hjb
from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.models.costs import CostLike, Power
from patentrace.models.lattice import open_states

__all__ = [
    "best_deviation_value", "certify", "check_finite", "deviation_gain", "hjb_residual", "numpy_residual",
    "relative_residual",
]

_FLOAT_FLOOR = 1e-290  # of the prize: below it a value has left the float range (as in the solvers)
_SMALLEST_NORMAL = float(np.finfo(float).tiny)  # below it a double keeps fewer than 53 bits

FloatArray = NDArray[np.float64]


class Solved(Protocol):
    """What the checks read of a solved race: the model and the per-state arrays."""

    @property
    def model(self) -> Race: ...

    @property
    def effort(self) -> FloatArray: ...

    @property
    def hazard(self) -> FloatArray: ...

    @property
    def value(self) -> FloatArray: ...


class Certifiable(Solved, Protocol):
    """A solved race with its jump-chain arrays: what ``certify`` reads."""

    @property
    def win_probability(self) -> FloatArray: ...

    @property
    def expected_duration(self) -> FloatArray: ...

# Effort grid of the deviation search, as fractions of the search range: dense near
# zero (far-behind efforts are tiny) and uniform across the range.
_SEARCH = np.unique(np.concatenate([[0.0], np.geomspace(1e-12, 1.0, 48), np.linspace(0.0, 1.0, 65)]))


def _best_deviation_value(
    cost: CostLike,
    discount: float,
    productivity: FloatArray,
    own_next: FloatArray,
    rival_next: FloatArray,
    rival_hazard: FloatArray,
    effort: FloatArray,
    spread: float,
    jumps: tuple[FloatArray, FloatArray, float, float],
) -> FloatArray:
    """Largest value ``V(x)`` (docs/theory/race.md (3)) over own effort, found without the first-order condition.

    Efforts whose marginal cost exceeds ``lambda * spread`` cannot pay, so the
    search covers ``[0, max(that, 2 * effort)]`` with a grid, then refines the
    best grid point with a bracketed minimiser of ``-V``. ``jumps`` holds the own and
    rival breakthrough hazards, the prize and the loser prize (docs/theory/race.md (14)-(15)).
    """
    own_jump, rival_jump, prize, loser = jumps

    def payoff(
        x: FloatArray, lam: FloatArray, a: FloatArray, b: FloatArray, h: FloatArray, bo: FloatArray, br: FloatArray
    ) -> FloatArray:
        return hjb.FirmProblem(cost, lam, a, b, h, discount, own_breakthrough=bo, rival_breakthrough=br,
                               prize=prize, loser_prize=loser).flow_value(x)

    top = np.maximum(cost.inverse_marginal(productivity * spread), 2.0 * effort)
    top = np.where(top > 0.0, top, 1.0)
    trial = top[:, None] * _SEARCH[None, :]
    on_grid = payoff(trial, productivity[:, None], own_next[:, None], rival_next[:, None], rival_hazard[:, None],
                     own_jump[:, None], rival_jump[:, None])
    best = np.argmax(on_grid, axis=1)
    rows = np.arange(best.size)
    inner = np.clip(best, 1, _SEARCH.size - 2)
    local = elementwise.find_minimum(
        lambda x, lam, a, b, h, bo, br: -payoff(x, lam, a, b, h, bo, br),
        (trial[rows, inner - 1], trial[rows, inner], trial[rows, inner + 1]),
        args=(productivity, own_next, rival_next, rival_hazard, own_jump, rival_jump),
    )
    refined = np.where(local.success, -np.asarray(local.f_x), -np.inf)
    return np.asarray(np.maximum(on_grid[rows, best], refined))


def best_deviation_value(problem: hjb.FirmProblem, effort: FloatArray, spread: float) -> FloatArray:
    """Largest value over own effort of one firm's problem at many states, without the first-order condition.

    The discount, prize and loser prize are one number for all the states.

    The search of ``deviation_gain`` (a grid, then a bracketed optimiser) for a
    [`FirmProblem`][patentrace.equations.hjb.FirmProblem] whose fields are arrays over states; ``spread``
    bounds the gain of a stage (``P - min(L, 0)``).

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> alone = hjb.FirmProblem(Quadratic(), np.ones(1), np.ones(1), np.zeros(1), np.zeros(1), 0.1, prize=1.0)
    >>> x = alone.best_response()
    >>> bool(abs(best_deviation_value(alone, x, 1.0)[0] - alone.flow_value(x)[0]) < 1e-15)
    True
    """
    size = np.shape(effort)

    def full(v: object) -> FloatArray:
        return np.asarray(np.broadcast_to(np.asarray(v, dtype=float), size), dtype=float)

    jumps = (full(problem.own_breakthrough), full(problem.rival_breakthrough), float(np.max(problem.prize)),
             float(np.max(problem.loser_prize)))
    return _best_deviation_value(
        problem.cost, float(np.max(problem.discount)), full(problem.productivity), full(problem.own_next),
        full(problem.rival_next), full(problem.rival_hazard), full(effort), spread, jumps)


def deviation_gain(eq: Solved) -> FloatArray:
    """Best gain from a one-state deviation in effort, per firm and state (absolute).

    At each open state and for each firm, the value ``V(x)`` of docs/theory/race.md (rival's
    hazard and continuation values fixed) is maximised over a grid of efforts
    from 0 to a search bound, then refined by a bracketed local optimiser
    (``scipy.optimize.elementwise.find_minimum``). The bound is where the
    marginal cost reaches ``lambda (P - min(L, 0))``, above which no effort can
    pay, or twice the equilibrium effort if larger.

    Returns
    -------
    ndarray, shape (2, N0 + 1, N1 + 1)
        ``max_x V(x) - value`` floored at 0; 0 at terminal states.
    """
    race = eq.model
    i, j = np.nonzero(open_states(race.stages))
    own_next, rival_next = hjb.continuation(eq.value, i, j)
    productivity = np.stack([race.productivity_array(0)[i], race.productivity_array(1)[j]])
    jumps = np.stack([race.breakthrough_array(0)[i], race.breakthrough_array(1)[j]])
    spread = race.prize - min(race.loser_prize, 0.0)
    gain = np.zeros_like(eq.value)
    for firm in (0, 1):
        i_open = (i, j)
        best = _best_deviation_value(
            race.cost[firm], race.discount, productivity[firm], own_next[firm], rival_next[firm],
            eq.hazard[1 - firm][i_open], eq.effort[firm][i_open], spread,
            (jumps[firm], jumps[1 - firm], race.prize, race.loser_prize),
        )
        gain[firm][i_open] = np.maximum(best - eq.value[firm][i_open], 0.0)
    return gain



def hjb_residual(eq: Solved) -> FloatArray:
    """HJB residual per firm and state, relative to the state's value scale (docs/theory/race.md, invariants.md).

    The residual ``rho = r V - [-c(x) + h (A - V) + h' (B - V) + b (P - V) + b' (L - V)]`` is
    divided by the scale at which a double can evaluate it: every product taken
    apart, ``S = r |V| + c(x) + h (|A| + |V|) + h' (|B| + |V|) + b (|P| + |V|) + b' (|L| + |V|)``.
    A value ``V`` wrong by a relative ``delta`` gives about ``delta`` (each rate
    multiplies ``V`` in ``rho`` and in ``S`` alike), and a correct one a few rounding
    units, however much ``A - V`` cancels: with a rival hazard of 3e11 and
    ``B - V = 1e-11``, the old scale ``h' |B - V|`` turned a rounding error of ``V``
    into a residual of 1e-6.

    Returns
    -------
    ndarray, shape (2, N0 + 1, N1 + 1)
        ``|rho| / max(S, F)``; 0 where ``rho`` is exactly 0 and at terminal states. Values
        far behind can fall into the subnormal range, where a double keeps only a few
        digits, so the scale is at least ``F = (r + h + h' + b + b') v_min`` with ``v_min``
        the larger of ``1e-290 P`` (the float floor below which values count as underflow,
        ``Equilibrium.underflow``) and the smallest
        normal double (for prizes as small as 1e-300 or 5e-324). Never NaN for finite
        arrays; a non-finite term gives NaN or inf, which every check treats as a failure.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(3, 2), prize=1e-300, discount=0.1, cost=pr.costs.Quadratic()))
    >>> float(hjb_residual(eq).max())
    0.0
    """
    race = eq.model
    if all(isinstance(c, Power) for c in race.cost):  # one compiled pass (the check runs on every solve)
        from patentrace.results.residual_kernel import power_residual

        return power_residual(eq, max(_FLOAT_FLOOR * race.prize, _SMALLEST_NORMAL))
    return numpy_residual(eq)


def numpy_residual(eq: Solved) -> FloatArray:
    """``hjb_residual`` for any cost, in numpy (the compiled kernel's reference for power costs).

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> float(numpy_residual(eq).max()) < 1e-15
    True
    """
    race = eq.model
    n1, n2 = race.stages
    # Open states as slices (views, no gathering): (i, j) for i < N0, j < N1.
    v_all, x_all, h_all = eq.value[:, :n1, :n2], eq.effort[:, :n1, :n2], eq.hazard[:, :n1, :n2]
    # A_k (own success) and B_k (rival success) of each firm, docs/theory/race.md.
    after = ((eq.value[0, 1:, :n2], eq.value[0, :n1, 1:]), (eq.value[1, :n1, 1:], eq.value[1, 1:, :n2]))
    productivity = (race.productivity_array(0)[:, None], race.productivity_array(1)[None, :])
    if race.has_breakthroughs:
        jumps = (race.breakthrough_array(0)[:, None], race.breakthrough_array(1)[None, :])
    else:
        jumps = (np.zeros((1, 1)), np.zeros((1, 1)))
    out = np.zeros_like(eq.value)
    for firm in (0, 1):
        v, x, h, h_rival = v_all[firm], x_all[firm], h_all[firm], h_all[1 - firm]
        a, b = after[firm]
        b_own, b_rival = jumps[firm], jumps[1 - firm]
        problem = hjb.FirmProblem(race.cost[firm], productivity[firm], a, b, h_rival, race.discount,
                                  own_breakthrough=b_own, rival_breakthrough=b_rival, prize=race.prize,
                                  loser_prize=race.loser_prize)
        raw = problem.hjb_residual(v, x)
        out[firm, :n1, :n2] = _relative(raw, _value_scale(problem, x, v), race.discount + h + h_rival + b_own + b_rival,
                                        race.prize)
    return out


def _value_scale(problem: hjb.FirmProblem, x: FloatArray, v: FloatArray) -> FloatArray:
    """``r |V| + c(x) + h (|A| + |V|) + h' (|B| + |V|) + b (|P| + |V|) + b' (|L| + |V|)``: each product apart."""
    b_own, b_rival = np.asarray(problem.own_breakthrough), np.asarray(problem.rival_breakthrough)
    h, h_rival = np.asarray(problem.productivity) * x, np.asarray(problem.rival_hazard)
    a, b = np.asarray(problem.own_next), np.asarray(problem.rival_next)
    size = np.asarray(problem.discount) * np.abs(v) + problem.cost.value(x)
    size = size + h * (np.abs(a) + np.abs(v)) + h_rival * (np.abs(b) + np.abs(v))
    prize, loser = np.abs(np.asarray(problem.prize)), np.abs(np.asarray(problem.loser_prize))
    return np.asarray(size + b_own * (prize + np.abs(v)) + b_rival * (loser + np.abs(v)))


def relative_residual(problem: hjb.FirmProblem, effort: FloatArray, value: FloatArray) -> FloatArray:
    """``|rho| / max(S, F)`` of ``hjb_residual`` for one firm's problem at the stored effort and value.

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> x = (1 - 0.1 + (1 + 0.4 + 0.01) ** 0.5) / 3             # Lee-Wilde, docs/theory/race.md (10)
    >>> problem = hjb.FirmProblem(Quadratic(), 1.0, 1.0, 0.0, x, 0.1, prize=1.0)
    >>> bool(relative_residual(problem, x, 1 - x) < 1e-15)
    True
    """
    x, v = np.asarray(effort, dtype=float), np.asarray(value, dtype=float)
    rates = (np.asarray(problem.discount) + np.asarray(problem.productivity) * x + np.asarray(problem.rival_hazard)
             + np.asarray(problem.own_breakthrough) + np.asarray(problem.rival_breakthrough))
    return _relative(problem.hjb_residual(v, x), _value_scale(problem, x, v), rates, float(np.max(problem.prize)))


def _relative(raw: FloatArray, scale: FloatArray, rates: FloatArray, prize: float) -> FloatArray:
    """``|raw| / max(scale, rates * v_min)``, exactly 0 where ``raw`` is 0 (see ``hjb_residual``)."""
    smallest_value = max(_FLOAT_FLOOR * prize, _SMALLEST_NORMAL)
    with np.errstate(invalid="ignore", over="ignore"):
        floor = rates * smallest_value
        ratio = np.abs(raw) / np.maximum(scale, floor)
    return np.asarray(np.where(raw == 0.0, 0.0, ratio))


def check_finite(arrays: Mapping[str, NDArray[np.float64]], may_be_infinite: tuple[str, ...] = ()) -> None:
    """Raise unless every entry of every array is finite (docs/theory/invariants.md (I4): never NaN, never silent).

    Parameters
    ----------
    arrays : mapping of str to ndarray
        Output arrays by name, indexed ``[firm, i, j]`` (3 axes, the first of length 2),
        ``[i, j]`` (2 axes) or ``[i, j, action]`` (3 axes, strategies).
    may_be_infinite : tuple of str
        Arrays in which ``+inf`` is a documented answer (expected durations: the race can
        stall or the expected time exceeds the largest double); NaN and ``-inf`` never are.

    Raises
    ------
    EquilibriumError
        Naming the array, the firm (where it has one), the state, and the offending number.

    Examples
    --------
    >>> import numpy as np
    >>> check_finite({"value": np.zeros((2, 2, 2))})
    >>> win = np.zeros((2, 2, 2)); win[1, 0, 1] = np.nan
    >>> check_finite({"win_probability": win})
    Traceback (most recent call last):
    ...
    patentrace.errors.EquilibriumError: non-finite win_probability of firm 1 at state (0, 1): win_probability=nan
    """
    for name, array in arrays.items():
        data = np.asarray(array, dtype=float)
        bad = ~np.isfinite(data)
        if name in may_be_infinite:
            bad &= ~np.isposinf(data)
        if not bad.any():
            continue
        where = tuple(int(v) for v in np.argwhere(bad)[0])
        number = float(data[where])
        per_firm = data.ndim == 3 and data.shape[0] == 2 and not name.startswith("strategy")
        state = (where[1], where[2]) if per_firm else (where[0], where[1])
        firm = f" of firm {where[0]}" if per_firm else ""
        details: dict[str, object] = {name: number}
        if int(bad.sum()) > 1:
            details["entries"] = int(bad.sum())
        raise EquilibriumError(f"non-finite {name}{firm}", state, details)


def certify(eq: Certifiable, tolerance: float, deviation: bool = False) -> None:
    """The post-solve check of every [`patentrace.solve`][patentrace.solve] of a Race (docs/theory/invariants.md).

    Every output array finite (``check_finite``; ``expected_duration`` may be ``+inf``),
    then the HJB residual (``hjb_residual``, relative to the state's value scale) at most
    ``tolerance`` everywhere; with ``deviation`` also the deviation gain (``deviation_gain``)
    relative to the prize. A NaN anywhere counts as a failure.

    Raises
    ------
    EquilibriumError
        Naming the check, the firm, the state and the numbers.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> certify(eq, 1e-12, deviation=True)
    """
    check_finite({"effort": eq.effort, "hazard": eq.hazard, "value": eq.value,
                  "win_probability": eq.win_probability, "expected_duration": eq.expected_duration},
                 may_be_infinite=("expected_duration",))
    checks = ["HJB residual", "deviation gain"] if deviation else ["HJB residual"]
    for name in checks:
        array = hjb_residual(eq) if name == "HJB residual" else deviation_gain(eq) / eq.model.prize
        failing = ~(array <= tolerance)
        if failing.any():
            firm, i, j = (int(v) for v in np.argwhere(failing)[np.argmax(np.where(
                np.isnan(array[failing]), np.inf, array[failing]))])
            raise EquilibriumError(
                f"verification failed: {name} above tolerance for firm {firm}",
                (i, j),
                {name.replace(" ", "_"): float(array[firm, i, j]), "tolerance": tolerance,
                 "effort": float(eq.effort[firm, i, j]), "value": float(eq.value[firm, i, j]),
                 "states_failing": int(failing.sum())},
            )
