"""Newton's method with continuation for the tug-of-war (docs/theory/tug-of-war.md).

The state graph of the tug-of-war has cycles, so the ``2 (K - 1)`` interior values
are solved together. Each firm's effort is eliminated through the first-order
condition ``c'(x) = lambda (A - V)`` (patentrace.equations.tug), leaving the HJB of
every position as one equation in the values. Its Jacobian is banded: with the
unknowns ordered ``V0(1), V1(1), V0(2), V1(2), ...`` a row touches only the
positions ``k - 1, k, k + 1``, two bands either side of the diagonal, so a Newton
step is one banded LU solve (``scipy.linalg.solve_banded``), linear in ``K``.

Continuation: the productivities are scaled by ``t`` from 0 to 1. At ``t = 0``
nobody can move and every interior value is 0, exactly, with the Jacobian ``r I``;
the path is followed with steps that double after a success and shrink after a
failure, and the end point is polished by Newton to machine precision. That is the
selection rule of ``pr.solve``: the equilibrium on the branch that continues the
race in which nobody moves. Where the race has several equilibria,
``pr.solve_all`` looks for the others.

Examples
--------
>>> import patentrace as pr
>>> eq = solve_tug(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> eq.solver.method, eq.solver.options["continuation_steps"] >= 1
('newton', True)
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_banded

from patentrace._version import __version__
from patentrace.equations import tug as tug_equations
from patentrace.errors import EquilibriumError, UnderflowWarning, user_stacklevel
from patentrace.models.costs import Power
from patentrace.models.tug_of_war import TugOfWar
from patentrace.results.equilibrium import SolverInfo
from patentrace.results.tug_equilibrium import TugEquilibrium

__all__ = ["NewtonDivergenceError", "TugSystem", "newton", "refine_tail", "solve_all_tug", "solve_tug"]

FloatArray = NDArray[np.float64]

_POLISH = 1e-14   # relative HJB residual at which Newton has converged
_PATH = 1e-9      # looser convergence on the way along the continuation path
_MAX_ITER = 60
# Largest gap between a stored effort and the best response recomputed by docs/theory/race.md (1),
# relative to max(1, x):
# the two are the same function of the values but rounded differently (1e-6 leaves room for ill-conditioned
# kinks where c'(0) > 0; the HJB residual check is the tight one).
_BEST_RESPONSE_GAP = 1e-6
UNDERFLOW_MESSAGE = (
    "some values of this tug-of-war are below the float range (eq.underflow marks the firm-positions): "
    "efforts there round to 0, and win probabilities and durations from those positions treat the race as "
    "stalled. Raise the prize relative to the cost scale, or shorten the race."
)


class NewtonDivergenceError(Exception):
    """Newton did not converge; carries the last iterate and its scaled residual."""

    def __init__(self, values: FloatArray, residual: FloatArray):
        super().__init__("newton did not converge")
        self.values = values
        self.residual = residual


@dataclass(frozen=True)
class TugSystem:
    """The stacked HJB of a tug-of-war at productivity scale ``t``, and its banded Jacobian.

    Parameters
    ----------
    model : TugOfWar
        The race.
    scale : float
        ``t``: the productivities are ``t lambda_f(k)``.

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> system = TugSystem(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 0.0)
    >>> system.residual(np.zeros((2, 2))).tolist()   # nobody moves: V = 0 solves the HJB
    [[0.0, 0.0], [0.0, 0.0]]
    """

    model: TugOfWar
    scale: float

    @property
    def productivity(self) -> FloatArray:
        """``t lambda_f(k)``, shape ``(2, K - 1)``."""
        return self.scale * self.model.productivity_array()

    def residual(self, interior: FloatArray) -> FloatArray:
        """HJB residual ``r V - [...]`` at the first-order-condition efforts, shape ``(2, K - 1)``."""
        value = tug_equations.full_values(self.model, interior)
        lam = self.productivity
        effort = tug_equations.efforts(self.model, value, lam)
        return tug_equations.hjb_residual(self.model, value, effort, lam)

    def evaluate(self, interior: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Residual ``(2, K - 1)``, the Jacobian in banded form ``(5, 2 (K - 1))``, and the total rates.

        Rows and columns are ordered ``V0(1), V1(1), V0(2), ...``; ``bands[2 + i - j, j]``
        is ``dG_i / dV_j`` (the storage of ``scipy.linalg.solve_banded`` with two bands
        either side).
        """
        model = self.model
        lam = self.productivity
        value = tug_equations.full_values(model, interior)
        effort = tug_equations.efforts(model, value, lam)
        residual = tug_equations.hjb_residual(model, value, effort, lam)
        slope = tug_equations.effort_slopes(model, effort, lam)
        hazard = lam * effort
        _, rival_next = tug_equations.continuations(value)
        total = model.discount + hazard[0] + hazard[1]
        # derivative of firm f's residual through the rival's hazard: -(B_f - V_f) * lambda_rival * slope_rival
        cross = -(rival_next - interior) * (lam * slope)[::-1]
        n = 2 * model.interior
        bands = np.zeros((5, n))

        def put(rows: slice, offset: int, entries: FloatArray) -> None:
            index = np.arange(n)[rows]
            bands[2 - offset, index + offset] = entries

        bands[2, :] = np.repeat(total, 2)                 # dG_f(k) / dV_f(k)
        put(slice(0, n - 2, 2), 2, -hazard[0, :-1])       # firm 0: V0(k+1), own success
        put(slice(2, n, 2), -2, -hazard[1, 1:])           # firm 0: V0(k-1), rival success
        put(slice(2, n, 2), -1, cross[0, 1:])             # firm 0: V1(k-1), through h1(k)
        put(slice(0, n, 2), 1, -cross[0])                 # firm 0: V1(k), through h1(k)
        put(slice(3, n, 2), -2, -hazard[1, 1:])           # firm 1: V1(k-1), own success
        put(slice(1, n - 2, 2), 2, -hazard[0, :-1])       # firm 1: V1(k+1), rival success
        put(slice(1, n - 2, 2), 1, cross[1, :-1])         # firm 1: V0(k+1), through h0(k)
        put(slice(1, n, 2), -1, -cross[1])                # firm 1: V0(k), through h0(k)
        return residual, bands, total


def _scaled(residual: FloatArray, total: FloatArray, prize: float) -> float:
    """Largest ``|G| / (r + h0 + h1) / P``: the HJB residual in units of the prize."""
    return float(np.max(np.abs(residual) / total)) / prize


def newton(
    system: TugSystem, start: FloatArray, tolerance: float = _POLISH, compiled: bool = True
) -> tuple[FloatArray, int]:
    """Damped Newton on the stacked HJB from ``start`` (shape ``(2, K - 1)``).

    Returns the values and the number of iterations; raises ``NewtonDivergenceError`` when the
    scaled residual does not fall below ``tolerance`` within the iteration budget. With
    ``compiled`` and power costs the iteration runs in patentrace.solvers.tug_kernels
    (the same iteration, compiled); otherwise here with numpy and LAPACK.

    Examples
    --------
    >>> import numpy as np
    >>> import patentrace as pr
    >>> system = TugSystem(pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), 1.0)
    >>> values, _ = newton(system, np.zeros((2, 1)))
    >>> x = (1 - 0.1 + (1 + 0.4 + 0.01) ** 0.5) / 3        # Lee-Wilde, V = P - a x
    >>> bool(abs(values[0, 0] - (1 - x)) < 1e-14)
    True
    """
    if compiled and uses_power_kernel(system.model):
        from patentrace.solvers.tug_kernels import power_newton  # numba loads on first use

        values, count = power_newton(system.model, system.scale, start, tolerance)
        if count > 0:
            return values, count
        raise NewtonDivergenceError(values, TugSystem(system.model, system.scale).residual(values))
    prize = system.model.prize
    u = np.array(start, dtype=float)
    residual, bands, total = system.evaluate(u)
    error = _scaled(residual, total, prize)
    for iteration in range(1, _MAX_ITER + 1):
        try:
            step = solve_banded((2, 2), bands, -residual.T.ravel(), check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            raise NewtonDivergenceError(u, residual) from None
        step = step.reshape(-1, 2).T
        alpha = 1.0
        while True:
            trial = u + alpha * step
            t_residual, t_bands, t_total = system.evaluate(trial)
            t_error = _scaled(t_residual, t_total, prize)
            if np.isfinite(t_error) and (t_error <= (1.0 - 1e-4 * alpha) * error or t_error <= tolerance):
                break
            alpha *= 0.5
            if alpha < 1e-3:
                raise NewtonDivergenceError(u, residual)
        u, residual, bands, total, error = trial, t_residual, t_bands, t_total, t_error
        small_step = float(np.max(np.abs(alpha * step))) <= 1e-12 * prize
        if error <= tolerance and (small_step or error == 0.0):
            return u, iteration
    raise NewtonDivergenceError(u, residual)


def continuation(
    model: TugOfWar, start: FloatArray | None = None, compiled: bool = True
) -> tuple[FloatArray, dict[str, int]]:
    """Follow the equilibrium from productivity scale 0 (or from ``start`` at scale 1) to scale 1.

    With ``start`` given, Newton is run at scale 1 from it only (the multi-start of
    ``solve_all``). Returns the interior values and counts of steps and iterations;
    raises ``NewtonDivergenceError`` if the path cannot be followed.

    Examples
    --------
    >>> import patentrace as pr
    >>> values, counts = continuation(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> values.shape, counts["continuation_steps"] >= 1
    ((2, 2), True)
    """
    if start is not None:
        values, iterations = newton(TugSystem(model, 1.0), start, compiled=compiled)
        return values, {"continuation_steps": 0, "newton_iterations": iterations}
    u = np.zeros((2, model.interior))
    t, step, steps, iterations = 0.0, 1.0, 0, 0
    last: FloatArray | None = None
    last_t = 0.0
    while t < 1.0:
        target = min(1.0, t + step)
        guess = u if last is None else u + (u - last) * (target - t) / (t - last_t)
        try:
            found, used = newton(TugSystem(model, target), guess, _POLISH if target == 1.0 else _PATH, compiled)
        except NewtonDivergenceError:
            step *= 0.25
            if step < 1e-6:
                raise
            continue
        iterations += used
        steps += 1
        last, last_t, u, t = u, t, found, target
        step = min(2.0 * step, 1.0)
    return u, {"continuation_steps": steps, "newton_iterations": iterations}


_SMALL = 1e-6        # values below this (times the prize) are refined to full relative precision
_TAIL_SWEEPS = 60


def refine_tail(model: TugOfWar, value: FloatArray) -> tuple[FloatArray, int]:
    """Give the values far behind (below 1e-6 of the prize) their relative precision (docs/theory/tug-of-war.md).

    Newton's values are accurate to about 1e-16 of the prize in absolute terms, so a value
    of 1e-40 may be wrong in every digit. Far behind, a firm's value hardly moves the
    other values, so it is refined alone: with every other value and the rival's hazards
    held fixed, each small value is replaced by the value of its best response (docs/theory/race.md
    (1) and the HJB solved for ``V``, both free of cancellation), all at once, until no
    value changes by more than 1e-15 of itself. Each sweep carries the precision one
    position further from the large values, and the values fall so fast (about squaring
    per position) that a few sweeps reach the float range's end. Exact zeros whose
    neighbours are zero too (below the float range) are left alone.

    Returns the values and the sweeps used (0: nothing to refine; negative: it did not
    settle, and Newton's values are returned unchanged).

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = solve_tug(pr.TugOfWar(length=12, prize=1.0, discount=0.05, cost=pr.costs.Quadratic()))
    >>> v = eq.value[0, 1:4]
    >>> bool(v[0] < v[1] ** 1.5 < v[2])   # far behind, each value far below the next
    True
    """
    from patentrace.equations import hjb

    lam = model.productivity_array()
    v = np.array(value, dtype=float)
    inner = v[:, 1:-1]
    own_next, rival_next = tug_equations.continuations(v)
    small = (np.abs(inner) <= _SMALL * model.prize) & ((inner != 0.0) | (own_next != 0.0) | (rival_next != 0.0))
    if not small.any():
        return v, 0
    rival_hazard = (lam * tug_equations.efforts(model, v))[::-1]
    for sweep in range(1, _TAIL_SWEEPS + 1):
        own_next, rival_next = tug_equations.continuations(v)
        new = v.copy()
        for f in (0, 1):
            at = small[f]
            if at.any():
                args = (lam[f, at], own_next[f, at], rival_next[f, at], rival_hazard[f, at], model.discount)
                problem = hjb.FirmProblem(model.cost[f], *args)
                new[f, 1:-1][at] = problem.flow_value(problem.best_response())
        settled = bool(np.all(np.abs(new - v) <= 1e-15 * np.abs(new)))
        v = new
        if settled:
            if np.abs(v - value).max() > 1e-12 * model.prize:   # a refinement never moves a value visibly
                return np.array(value, dtype=float), -sweep
            return v, sweep
    return np.array(value, dtype=float), -_TAIL_SWEEPS


def solve_tug(model: TugOfWar, tolerance: float = 1e-10, compiled: bool = True) -> TugEquilibrium:
    """The equilibrium of a tug-of-war by continuation and Newton, checked state by state (docs/theory/tug-of-war.md).

    Parameters
    ----------
    model : TugOfWar
        The race.
    tolerance : float
        Largest HJB residual and largest gap between a stored effort and the best
        response of docs/theory/race.md (1) to the stored values, both relative to
        the prize, accepted at any position.
    compiled : bool
        Run the Newton iterations compiled where both costs are power costs (default);
        False keeps them in numpy (the second path the tests compare with).

    Returns
    -------
    TugEquilibrium
        With ``solver.method == "newton"`` and the path counts in ``solver.options``.

    Raises
    ------
    EquilibriumError
        If the continuation stalls or the result fails a check; ``details`` name the
        firm, the position and the residual.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = solve_tug(pr.TugOfWar(length=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> round(float(eq.effort[0, 1]), 10)   # Lee-Wilde: (P - a r + sqrt(P^2 + 4 a P r + a^2 r^2)) / (3 a)
    0.6958114029
    """
    started = time.perf_counter()
    try:
        interior, counts = continuation(model, compiled=compiled)
    except NewtonDivergenceError as failure:
        raise _failure("continuation in the productivity scale did not converge", model, failure.values,
                       failure.residual) from None
    value, sweeps = refine_tail(model, tug_equations.full_values(model, interior))
    info = SolverInfo("newton", "continuation from the race in which nobody moves",
                      {"tolerance": tolerance, "compiled": compiled and uses_power_kernel(model), **counts,
                       "tail_sweeps": sweeps}, __version__, 0.0)
    eq = TugEquilibrium.build(model, value, info)
    check(eq, tolerance)
    if eq.underflow.any():
        warnings.warn(UNDERFLOW_MESSAGE, UnderflowWarning, stacklevel=user_stacklevel())
    seconds = time.perf_counter() - started
    # the equilibrium is not shared yet: record the time in place instead of copying every array again
    object.__setattr__(eq, "solver", SolverInfo(info.method, info.selection, info.options, info.version, seconds))
    return eq


def uses_power_kernel(model: TugOfWar) -> bool:
    """Whether both costs are power costs, so that the compiled Newton iteration applies.

    Examples
    --------
    >>> import patentrace as pr
    >>> uses_power_kernel(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    True
    """
    return all(isinstance(c, Power) for c in model.cost)


def _failure(message: str, model: TugOfWar, interior: FloatArray, residual: FloatArray) -> EquilibriumError:
    firm, k = np.unravel_index(int(np.argmax(np.abs(residual))), residual.shape)
    return EquilibriumError(message, None, {
        "firm": int(firm), "position": int(k) + 1, "residual": float(residual[firm, k]),
        "value": float(interior[firm, k]), "length": model.length,
    })


def check(eq: TugEquilibrium, tolerance: float) -> None:
    """Raise unless every array is finite, the HJB (T2) holds and each effort is the best response.

    The equations are those of docs/theory/tug-of-war.md.

    The best response is recomputed from docs/theory/race.md (1) with the stored
    continuation values and the rival's stored hazard (the value eliminated), a second
    path to the effort than the first-order condition the solver used.

    Examples
    --------
    >>> import patentrace as pr
    >>> check(pr.solve(pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())), 1e-10)
    """
    model = eq.model
    for name in ("effort", "hazard", "value", "win_probability"):
        array = getattr(eq, name)
        if not np.all(np.isfinite(array)):
            firm, k = np.argwhere(~np.isfinite(array))[0]
            raise EquilibriumError(f"{name} is not finite", None, {"firm": int(firm), "position": int(k)})
    residual = eq.residual()
    if not residual.max() <= tolerance:
        firm, k = np.unravel_index(int(np.argmax(residual)), residual.shape)
        raise EquilibriumError("HJB residual above tolerance", None, {
            "firm": int(firm), "position": int(k), "residual": float(residual[firm, k]), "tolerance": tolerance})
    own_next, rival_next = tug_equations.continuations(eq.value)
    lam = model.productivity_array()
    from patentrace.equations import hjb

    for f in (0, 1):
        response = hjb.FirmProblem(model.cost[f], lam[f], own_next[f], rival_next[f], eq.hazard[1 - f, 1:-1],
                                   model.discount).best_response()
        scale = np.maximum(1.0, np.abs(response))
        gap = np.abs(response - eq.effort[f, 1:-1]) / scale
        if not gap.max() <= _BEST_RESPONSE_GAP:
            k = int(np.argmax(gap))
            raise EquilibriumError("effort is not the best response to the values", None, {
                "firm": f, "position": k + 1, "effort": float(eq.effort[f, k + 1]), "best_response": float(response[k]),
            })


_GUARANTEE_MULTISTART = (
    "numerical: Newton from the continuation path and from a fixed family of profiles and seeded random "
    "starts; every equilibrium returned is checked at every position, but equilibria whose basins no "
    "start reaches can be missing"
)
_GUARANTEE_EXACT = (
    "exact: for quadratic costs and length <= 4 the polynomial system of every active set was solved "
    "completely (Groebner basis over the rationals and multiplication matrices); every real admissible "
    "solution was polished and checked, so the list is every Markov perfect equilibrium"
)


def _alone(model: TugOfWar, firm: int) -> FloatArray:
    """Interior values when only ``firm`` ever works: it solves its lone problem backwards, the rival idles.

    The preemption profile: a start for the equilibria in which one firm gives up.
    """
    from patentrace.equations import hjb

    n = model.interior
    lam = model.productivity_array()[firm]
    order = range(n - 1, -1, -1) if firm == 0 else range(n)
    own = np.zeros(n)
    rival = np.zeros(n)
    ahead_own, ahead_rival = model.prize, model.loser_prize
    for k in order:
        alone = hjb.FirmProblem(model.cost[firm], lam[k], ahead_own, 0.0, 0.0, model.discount)
        effort = float(alone.best_response())
        own[k] = float(alone.flow_value(effort))
        hazard = lam[k] * effort
        rival[k] = hazard * ahead_rival / (model.discount + hazard)
        ahead_own, ahead_rival = own[k], rival[k]
    return np.stack([own, rival]) if firm == 0 else np.stack([rival, own])


def _starts(model: TugOfWar, count: int, seed: int) -> list[FloatArray]:
    """Starting values: each firm alone, power profiles from the loser's to the winner's prize, and random ones."""
    k = np.arange(1, model.length) / model.length
    low, high = model.loser_prize, model.prize
    shapes = (0.25, 1.0, 4.0, 16.0)
    starts = [np.stack([low + (high - low) * k**p, low + (high - low) * k[::-1] ** q])
              for p in shapes for q in shapes]
    starts += [_alone(model, 0), _alone(model, 1)]
    starts.append(np.stack([np.full(k.size, high), np.full(k.size, low)]))
    starts.append(np.stack([np.full(k.size, low), np.full(k.size, high)]))
    rng = np.random.default_rng(seed)
    for _ in range(count):
        draw = np.sort(rng.uniform(low, high, (2, k.size)), axis=1)
        starts.append(np.stack([draw[0], draw[1][::-1]]))
    return starts


def _distinct(found: list[TugEquilibrium], candidate: TugEquilibrium) -> bool:
    scale = candidate.model.prize
    return all(np.abs(eq.value - candidate.value).max() > 1e-8 * scale for eq in found)


def _certified(
    model: TugOfWar, interior: FloatArray, info: SolverInfo, tolerance: float, found: list[TugEquilibrium]
) -> TugEquilibrium | None:
    """Polish by Newton at full productivity; a new equilibrium if it is distinct from ``found`` and passes every check.

    The deviation search, the slowest check, runs only on candidates not found before.
    """
    try:
        polished, _ = newton(TugSystem(model, 1.0), interior)
    except NewtonDivergenceError:
        return None
    eq = TugEquilibrium.build(model, refine_tail(model, tug_equations.full_values(model, polished))[0], info)
    if not _distinct(found, eq):
        return None
    try:
        check(eq, tolerance)
    except EquilibriumError:
        return None
    return eq if eq.deviation_gain().max() <= tolerance else None


def solve_all_tug(
    model: TugOfWar,
    *,
    method: str = "auto",
    starts: int = 64,
    seed: int = 0,
    tolerance: float = 1e-10,
    max_equilibria: int = 1000,
) -> list[TugEquilibrium]:
    """Every equilibrium of a tug-of-war that the method can find, with what is guaranteed (docs/theory/tug-of-war.md).

    Parameters
    ----------
    model : TugOfWar
        The race.
    method : {"auto", "exact", "multistart"}
        ``"exact"``: for quadratic costs and ``length <= 4``, the complete enumeration of
        patentrace.solvers.tug_exact; ``"multistart"``: Newton from the continuation path
        and from ``starts`` further starting profiles; ``"auto"`` (default): exact where it
        applies, otherwise multi-start.
    starts : int
        Random starting profiles of the multi-start, besides a fixed family of 20 (each firm
        alone, the other idle; power profiles; each firm at its prize).
    seed : int
        Seed of the random starts (the result is deterministic).
    tolerance : float
        Largest HJB residual and deviation gain (relative to the prize) accepted.
    max_equilibria : int
        Most equilibria to return; more raise ``TooManyEquilibriaError``.

    Returns
    -------
    list of TugEquilibrium
        Distinct, each checked at every position (HJB, best response, deviation gain),
        ordered by firm 0's value at the start position. Each one's ``solver.options``
        holds ``"guarantee"`` (what the list is known to contain), ``"complete"`` (True
        only for the exact enumeration) and the counts.

    Raises
    ------
    ValueError
        If ``method`` is unknown, or ``"exact"`` is asked for a model it does not cover.
    EquilibriumError
        If the exact enumeration finds a solution that does not survive polishing.

    Examples
    --------
    >>> import patentrace as pr
    >>> found = solve_all_tug(pr.TugOfWar(length=3, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> len(found), found[0].solver.options["complete"]
    (1, True)
    """
    from patentrace.errors import TooManyEquilibriaError
    from patentrace.solvers import tug_exact

    if method not in ("auto", "exact", "multistart"):
        raise ValueError(f"method must be 'auto', 'exact' or 'multistart', got {method!r}")
    exact = method == "exact" or (
        method == "auto" and model.is_quadratic and model.length <= tug_exact.MAX_EXACT_LENGTH)
    started = time.perf_counter()
    found: list[TugEquilibrium] = []
    if exact:
        enumeration = tug_exact.exact_equilibria(model)
        options: dict[str, object] = {
            "method": "exact", "complete": enumeration.complete, "active_sets": enumeration.active_sets,
            "complex_solutions": enumeration.solutions, "admissible_real": len(enumeration.values),
            "guarantee": _GUARANTEE_EXACT if enumeration.complete else
            "incomplete: some active set's system was not zero-dimensional; its equilibria are missing",
            "tolerance": tolerance,
        }
        info = SolverInfo("all equilibria", "none", options, __version__, 0.0)
        for interior in enumeration.values:
            try:
                polished, _ = newton(TugSystem(model, 1.0), interior)
            except NewtonDivergenceError:
                raise EquilibriumError("an exact solution did not polish", None,
                                       {"values": interior.tolist()}) from None
            candidate = TugEquilibrium.build(model, refine_tail(model, tug_equations.full_values(model, polished))[0],
                                             info)
            if not _distinct(found, candidate):
                continue
            check(candidate, tolerance)
            if not candidate.deviation_gain().max() <= tolerance:
                raise EquilibriumError("an exact solution has a profitable deviation", None, {
                    "values": interior.tolist(), "deviation_gain": float(candidate.deviation_gain().max())})
            found.append(candidate)
    else:
        options = {"method": "multistart", "complete": False, "starts": 0,
                   "guarantee": _GUARANTEE_MULTISTART, "tolerance": tolerance}
        info = SolverInfo("all equilibria", "none", options, __version__, 0.0)
        candidates: list[FloatArray] = []
        with contextlib.suppress(NewtonDivergenceError):    # the continuation's end is one more start
            candidates.append(continuation(model)[0])
        candidates += _starts(model, starts, seed)
        for start in candidates:
            eq = _certified(model, start, info, tolerance, found)
            if eq is not None:
                found.append(eq)
                if len(found) > max_equilibria:
                    raise TooManyEquilibriaError(max_equilibria, len(found), [])
        options["starts"] = len(candidates)
    if len(found) > max_equilibria:
        raise TooManyEquilibriaError(max_equilibria, len(found), [])
    position = model.start_position
    found.sort(key=lambda eq: float(eq.value[0, position]))
    seconds = time.perf_counter() - started
    options["equilibria"] = len(found)
    final = SolverInfo(info.method, info.selection, dict(options), info.version, seconds)
    return [replace(eq, solver=final) for eq in found]
