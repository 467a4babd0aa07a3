"""The backward sweep compiled with numba, for states whose equilibrium is provably unique.

This is the fast path of [`patentrace.solvers.backward`][patentrace.solvers.backward] for races with
[`Power`][patentrace.models.costs.Power] costs (docs/theory/race.md). It computes what the
all-roots path (``patentrace.solvers.allroots``) computes, state by state in
one compiled loop per race, but claims an answer only where a proof of
uniqueness holds:

1. **Certificate.** At each state it checks uniqueness certificates
   (docs/solver.md, "The compiled path"): *idling* (one firm's net gain in (1) is
   non-positive at both ends of its rival's hazard range, so it idles throughout),
   *concavity* and *contraction* (those of
   ``patentrace.solvers.allroots.find_equilibria``; complementarity is checked
   through the convex conjugate of the power cost, in closed form), *flatness*
   (the composite best response ``T`` does not rise over the range, to rounding) and
   the *squeeze* (iterating an increasing ``T`` shrinks an interval holding every
   fixed point to rounding). Each proves that the state's game has exactly one
   equilibrium (at float precision).
2. **Root.** A firm whose continuation values are both 0 (below the float range)
   idles, and its rival plays its best response to an idle firm. Otherwise Newton's
   method on both first-order conditions (1), started from the neighbouring states'
   efforts; if it fails, the root of ``phi(y) = BR_p(lambda_o BR_o(lambda_p y)) - y``
   on ``[0, X]`` (pivot ``p`` and bound ``X`` as in the all-roots path) by Newton's
   method safeguarded by bisection, with ``phi'`` from implicit differentiation of
   (1): ``dBR/dh = (A - B - c'(x) / lambda) / (c''(x) (s + x))``.
3. **Check.** As in the all-roots path: the other firm plays its exact best
   response to the pivot's effort, the pivot's exact best response to that must
   return it to rounding, and no firm may gain more than ``1e-10`` of its
   continuation values by deviating.

A state that fails one of these steps is reported back. Without a ``settle`` function
the race stops there (``CompiledSweep.failed``), and
[`backward`][patentrace.solvers.backward] solves that whole race again on the all-roots path.
With one (the **hybrid path**, docs/solver.md, docs/theory/race.md and invariants.md: multiplicity is
reported, never silently resolved), the sweep marks the state pending, goes on with every
state that does not depend on it, and hands all pending states of the batch to ``settle``
(the all-roots search and selection rule of ``allroots``); it
writes back their efforts, values and multiplicities and resumes from them. Races that
hand over more than ``handover_budget`` states, or whose states ``settle`` refuses,
still go to the all-roots path whole. Races with a loser prize or with exponents
``g < 2`` often take the hybrid path.

States are visited row by row from ``(N0 - 1, N1 - 1)`` down to ``(0, 0)``: state
``(i, j)`` needs ``(i + 1, j)``, finished one row earlier, and ``(i, j + 1)``,
finished just before it (a state waiting for a handed-over state is skipped until a
later pass). Win probabilities and expected durations (the jump
chain of [`patentrace.results.chain`][patentrace.results.chain]) and the underflow flags of
[`backward`][patentrace.solvers.backward] are computed in the same pass.

The functions are compiled on first use and cached on disk (``cache=True``:
in ``__pycache__`` next to ``compiled_kernels``, or numba's per-user cache directory when
the package directory is read-only; ``NUMBA_CACHE_DIR`` overrides both).

Examples
--------
>>> import patentrace as pr
>>> sweep = sweep_races([pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())])
>>> sweep.failed.tolist()
[]
>>> round(float(sweep.arrays["value"][0, 0]), 10)   # V(0, 0), docs/theory/race.md
0.1795728262
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.models.costs import Power, Quadratic
from patentrace.models.lattice import Layout
from patentrace.solvers.compiled_kernels import FloatArray, IntArray, _sweep_kernel
from patentrace.solvers.selection import interchangeable

__all__ = [
    "FAILURES", "PATHS", "CompiledSweep", "Handover", "compilable", "handover_budget", "sweep_races",
]

#: Why a race left the compiled path, by status code (0 means it did not).
FAILURES: dict[int, str] = {
    1: "no uniqueness certificate at a state",
    3: "the root search did not converge",
    4: "the best responses are too steep at the root",
    5: "a profitable deviation remained",
    6: "the all-roots search failed at a state handed to it",
    7: "too many states without a certificate: the all-roots path is faster",
}

# Names of the ways a state was solved, indexed by the _*_PATH codes of compiled_kernels.
PATHS: tuple[str, ...] = (
    "newton on both conditions", "bracketed composite map", "one firm idles", "handed to the all-roots search",
    "mirror image of (j, i)",
)


@dataclass(frozen=True)
class Handover:
    """States the compiled sweep hands to the all-roots search, with their games as it sees them.

    The game of each state is that of docs/theory/race.md at the effective discount ``R = r + b_0 + b_1``
    with every value of firm ``k`` lowered by ``K_k`` (breakthroughs; ``R = r`` and ``K = 0``
    without them), exactly as the compiled sweep builds it.

    Attributes
    ----------
    race : ndarray of int, shape (m,)
        Position of each state's race in the batch.
    state : ndarray of int, shape (2, m)
        The ``(i, j)`` label of each state.
    own_next, rival_next : ndarray, shape (2, m)
        ``A_k - K_k`` and ``B_k - K_k``.
    productivity : ndarray, shape (2, m)
        ``lambda_k`` at each state.
    discount : ndarray, shape (m,)
        ``R`` at each state.
    shift : ndarray, shape (2, m)
        ``K_k`` at each state.
    """

    race: IntArray
    state: IntArray
    own_next: FloatArray
    rival_next: FloatArray
    productivity: FloatArray
    discount: FloatArray
    shift: FloatArray


#: What solves handed-over states: efforts (2, m), values of the shifted game (2, m) and the
#: number of equilibria (m,) of each state; it raises [`EquilibriumError`][patentrace.EquilibriumError]
#: where it cannot.
Settle = Callable[[Handover], tuple[FloatArray, FloatArray, IntArray]]


@dataclass(frozen=True, eq=False)
class CompiledSweep:
    """The compiled sweep's output for a batch of races, in flat arrays of a ``Layout``.

    Attributes
    ----------
    layout : Layout
        Where each race's states are.
    arrays : dict of str to ndarray
        The per-state fields of [`Equilibrium`][patentrace.Equilibrium] by name (``effort`` to
        ``underflow``), flat over the layout: shape ``(2, size)``, or ``(size,)`` for
        ``expected_duration`` and ``multiplicity``. Read-only;
        [`from_flat`][patentrace.Equilibrium.from_flat] makes one race's equilibrium of them.
    status : ndarray of int, shape (races,)
        0 where the race was solved; otherwise a code of ``FAILURES``, and the
        race's arrays are incomplete.
    failed_state : ndarray of int, shape (races, 2)
        The state ``(i, j)`` at which a race left the compiled path.
    paths : dict
        How many states were solved each way (``PATHS``).
    underflow_count : ndarray of int, shape (races,)
        Firm-states flagged in ``underflow``, per race.
    handed : ndarray of int, shape (races,)
        States of each race solved by the all-roots search (the hybrid path; 0 without it).

    Examples
    --------
    >>> import patentrace as pr
    >>> sweep = sweep_races([pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())])
    >>> sweep.status.tolist(), sum(sweep.paths.values())   # solved; 3 x 2 open states
    ([0], 6)
    """

    layout: Layout
    arrays: dict[str, NDArray[Any]]
    status: IntArray
    failed_state: IntArray
    paths: dict[str, int]
    underflow_count: IntArray
    handed: IntArray

    @property
    def failed(self) -> IntArray:
        """Positions of the races that must be solved on the all-roots path."""
        return np.flatnonzero(self.status != 0)


def compilable(race: Race) -> bool:
    """Whether the compiled sweep handles ``race``: both costs are [`Power`][patentrace.models.costs.Power].

    Examples
    --------
    >>> import patentrace as pr
    >>> compilable(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=3.0)))
    True
    """
    return all(type(c) in (Power, Quadratic) for c in race.cost)


def handover_budget(stages: tuple[int, int]) -> int:
    """Most states of a race the hybrid path hands to the all-roots search before giving up on it.

    Each hand-over is a Python-level all-roots search (milliseconds), while the vectorised
    all-roots path costs tens of microseconds per state; past ``16 + N0 N1 / 128`` states
    it is faster to solve the whole race on the all-roots path.

    Examples
    --------
    >>> handover_budget((200, 200))
    328
    """
    return 16 + stages[0] * stages[1] // 128


def sweep_races(races: Sequence[Race], settle: Settle | None = None) -> CompiledSweep:
    """Solve races with power costs in one compiled pass; report those it cannot certify.

    Parameters
    ----------
    races : sequence of Race
        Races whose costs are all [`Power`][patentrace.models.costs.Power] (see ``compilable``).
    settle : callable, optional
        The hybrid path. Without it a race stops at the first state the compiled sweep
        cannot settle (no uniqueness certificate, or a failed root search or check). With
        it such states are handed over (a ``Handover``, all ready states of all races
        at once) and ``settle`` returns their efforts, values and multiplicities
        (``backward`` passes the all-roots search with the selection rule); the sweep
        then goes on from them. A race is given up (status 6 or 7) only if ``settle``
        raises for it or it needs more than ``handover_budget`` hand-overs.

    Returns
    -------
    CompiledSweep
        Flat arrays for every race; a race with a nonzero ``status`` is incomplete
        and must be solved by the all-roots path.

    Raises
    ------
    TypeError
        If some race has a cost other than a power cost; it names the position.

    Examples
    --------
    >>> import patentrace as pr
    >>> sweep = sweep_races([pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())])
    >>> round(float(sweep.arrays["effort"][0, 0]), 10)   # Lee-Wilde closed form, docs/theory/race.md (10)
    0.6958114029
    """
    for position, race in enumerate(races):
        if not compilable(race):
            raise TypeError(f"races[{position}] must have power costs for the compiled sweep, got {race.cost!r}")
    count = len(races)
    layout = Layout.of([r.stages for r in races])
    stages = np.ascontiguousarray(layout.stages, dtype=np.int64)
    offset = np.ascontiguousarray(layout.offset, dtype=np.int64)
    discount = np.array([r.discount for r in races], dtype=float)
    prize = np.array([r.prize for r in races], dtype=float)
    loser = np.array([r.loser_prize for r in races], dtype=float)
    cost = np.array([[(c.scale, c.exponent, c.linear) for c in r.cost] for r in races], dtype=float).reshape(
        count, 2, 3
    )
    scale, exponent, linear = (np.ascontiguousarray(cost[:, :, n].T) for n in range(3))
    longest = int(stages.max(initial=0))
    productivity = np.zeros((2, count * longest))
    breakthrough = np.zeros((2, count * longest))
    start = np.zeros((2, count), dtype=np.int64)
    for firm in range(2):
        curves = [r.productivity[firm] for r in races]
        lengths = np.array([len(c) for c in curves], dtype=np.int64)
        start[firm, 1:] = np.cumsum(lengths)[:-1]
        flat = np.fromiter((v for c in curves for v in c), dtype=float, count=int(lengths.sum()))
        productivity[firm, : flat.size] = flat
        jumps = np.fromiter((v for r in races for v in r.breakthrough[firm]), dtype=float, count=int(lengths.sum()))
        breakthrough[firm, : jumps.size] = jumps
    size = layout.size
    effort, hazard, value, win = (np.empty((2, size)) for _ in range(4))
    duration = np.empty(size)
    multiplicity = np.empty(size, dtype=np.intp)
    underflow = np.empty((2, size), dtype=np.bool_)
    status = np.zeros(count, dtype=np.int64)
    failed_state = np.full((count, 2), -1, dtype=np.int64)
    paths = np.zeros(len(PATHS), dtype=np.int64)
    underflow_count = np.zeros(count, dtype=np.int64)
    done, given, pending = (np.zeros(size, dtype=np.bool_) for _ in range(3))
    active = np.ones(count, dtype=np.bool_)
    handed = np.zeros(count, dtype=np.int64)
    budget = np.array([handover_budget(r.stages) for r in races], dtype=np.int64)
    mirror = np.array([interchangeable(r) for r in races], dtype=np.bool_)

    def run(first_call: bool) -> None:
        _sweep_kernel(
            stages, offset, discount, prize, loser, scale, exponent, linear, productivity, start, breakthrough,
            effort, hazard, value, win, duration, multiplicity, underflow, status, failed_state, paths,
            underflow_count, done, given, pending, active, mirror, first_call, settle is not None,
        )

    run(True)
    while settle is not None:
        here = np.flatnonzero(pending)
        if here.size == 0:
            break
        pending[here] = False
        owner = np.searchsorted(offset, here, side="right") - 1
        handed += np.bincount(owner, minlength=count)
        over = handed > budget
        keep = ~over[owner]
        status[over & active], active[:] = 7, ~over & active
        here, owner = here[keep], owner[keep]
        if here.size == 0:
            break
        width = stages[owner, 1] + 1
        local = here - offset[owner]
        i, j = local // width, local % width
        refused = _hand_over(settle, here, owner, i, j, width, discount, prize, loser, productivity, breakthrough,
                             start, effort, value, multiplicity, given)
        status[refused], active[refused] = 6, False
        again = np.zeros(count, dtype=np.bool_)
        again[owner] = True
        active &= again
        # A race that handed states over is solved by the next pass unless it hands over more; a race
        # given up keeps code 6 or 7 and the state (i, j) of its last hand-over in failed_state.
        status[active] = 0
        run(False)
    for array in (effort, hazard, value, win, duration, multiplicity, underflow):
        array.setflags(write=False)  # handed to Equilibrium without a copy
    return CompiledSweep(
        layout=layout,
        arrays={"effort": effort, "hazard": hazard, "value": value, "win_probability": win,
                "expected_duration": duration, "multiplicity": multiplicity, "underflow": underflow},
        status=status.astype(np.intp), failed_state=failed_state.astype(np.intp),
        paths=dict(zip(PATHS, paths.tolist(), strict=True)), underflow_count=underflow_count.astype(np.intp),
        handed=handed.astype(np.intp),
    )


def _hand_over(
    settle: Settle, here: IntArray, race: IntArray, i: IntArray, j: IntArray, width: IntArray,
    discount: FloatArray, prize: FloatArray, loser: FloatArray, productivity: FloatArray, breakthrough: FloatArray,
    start: IntArray, effort: FloatArray, value: FloatArray, multiplicity: IntArray, given: NDArray[np.bool_],
) -> IntArray:
    """Solve the states ``here`` with ``settle`` and write them into the arrays; returns the races it refused.

    The game of each state is built as ``_sweep_kernel`` builds it (the same operations
    in the same order). All states go to ``settle`` at once; if it raises, each race's states
    are tried on their own, and the races whose states still fail are returned.
    """
    first, second = here + width, here + 1
    lam = np.stack([productivity[0, start[0, race] + i], productivity[1, start[1, race] + j]])
    jump = np.stack([breakthrough[0, start[0, race] + i], breakthrough[1, start[1, race] + j]])
    big, small = prize[race], loser[race]
    rate = discount[race] + jump[0] + jump[1]
    shift = np.stack([(jump[0] * big + jump[1] * small) / rate, (jump[1] * big + jump[0] * small) / rate])
    own = np.stack([value[0, first], value[1, second]]) - shift
    rival = np.stack([value[0, second], value[1, first]]) - shift

    def attempt(where: IntArray | slice) -> bool:
        job = Handover(race=race[where], state=np.stack([i[where], j[where]]), own_next=own[:, where],
                       rival_next=rival[:, where], productivity=lam[:, where], discount=rate[where],
                       shift=shift[:, where])
        try:
            x, v, n = settle(job)
        except EquilibriumError:
            return False
        at = here[where]
        effort[:, at], value[:, at], multiplicity[at] = x, v + shift[:, where], n
        given[at] = True
        return True

    if attempt(slice(None)):
        return np.zeros(0, dtype=np.intp)
    refused = [k for k in np.unique(race).tolist() if not attempt(np.flatnonzero(race == k))]
    return np.asarray(refused, dtype=np.intp)
