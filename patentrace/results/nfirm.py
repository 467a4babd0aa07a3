"""The equilibrium of a race with ``n`` firms: arrays over ``(firm, i_0, ..., i_{n-1})``, its checks and its chain.

An [`NFirmEquilibrium`][patentrace.NFirmEquilibrium] holds what an
[`Equilibrium`][patentrace.Equilibrium] holds for two firms, with one axis per firm:
``effort[k, i_0, ..., i_{n-1}]``. ``verify()`` re-derives optimality at every state
without trusting the solver: firm ``k``'s problem at a state is the two-firm problem
against its aggregate rival (docs/theory/race.md (16)-(17),
``patentrace.equations.nfirm``), so the deviation search and the HJB
residual of ``patentrace.results.verification`` apply as they are.
Win probabilities and expected durations come from the absorbing jump chain
(docs/theory/race.md (19)), in one compiled pass over the states from the last to the
first; with power costs the HJB residual is one compiled pass too.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> eq.effort.shape, eq.win_probability[:, 0, 0, 0].round(12).tolist()
((3, 2, 2, 2), [0.333333333333, 0.333333333333, 0.333333333333])
>>> gain, residual = eq.verify()
>>> gain < 1e-10 and residual < 1e-12
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from patentrace.equations import hjb
from patentrace.equations.nfirm import aggregate_rival
from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.models.costs import Power
from patentrace.models.nfirm_lattice import Lattice
from patentrace.results import verification
from patentrace.results.equilibrium import ArraySpec, StateResult, Verification

__all__ = ["NFirmEquilibrium", "chain_arrays", "expected_duration", "hitting_probability", "state_dims",
           "win_probability"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

def state_dims(firms: int) -> tuple[str, ...]:
    """The names of the state axes: ``i0``, ``i1``, ... (stages completed by each firm).

    Examples
    --------
    >>> state_dims(3)
    ('i0', 'i1', 'i2')
    """
    return tuple(f"i{k}" for k in range(firms))


def _rates(hazard: FloatArray, breakthrough: FloatArray, here: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Hazards and breakthrough hazards at ``here`` divided by their largest, and that largest (0 if none)."""
    moves, jumps = hazard[:, here], breakthrough[:, here]
    largest = np.maximum(moves.max(axis=0), jumps.max(axis=0))
    safe = np.where(largest > 0.0, largest, 1.0)
    return moves / safe, jumps / safe, largest


def hitting_probability(
    lattice: Lattice, hazard: FloatArray, breakthrough: FloatArray, target: BoolArray, credited: BoolArray,
) -> FloatArray:
    """Probability of ever reaching a ``target`` state from each state, flat (docs/theory/race.md (19)).

    Target states count 1, other terminal states 0. From an open state the chain moves to
    ``s + e_l`` at rate ``h_l`` or ends at rate ``b_m`` by firm ``m``'s breakthrough, which
    counts 1 where ``credited[m]``. A state where nothing moves never reaches a target (0).

    Parameters
    ----------
    lattice : Lattice
        The states.
    hazard, breakthrough : ndarray, shape (n, size)
        ``h_k`` and ``b_k`` at every flat state.
    target : ndarray of bool, shape (size,)
        The states to reach (absorbing).
    credited : ndarray of bool, shape (n,)
        Whose breakthroughs count as reaching the target.

    Examples
    --------
    Three firms, one stage each, at rates 1, 2 and 3: firm 2 wins with probability 1/2.

    >>> import numpy as np
    >>> lattice = Lattice((1, 1, 1))
    >>> hazard = np.zeros((3, lattice.size)); hazard[:, 0] = (1.0, 2.0, 3.0)
    >>> won = np.zeros(lattice.size, dtype=bool); won[1] = True          # state (0, 0, 1)
    >>> float(hitting_probability(lattice, hazard, np.zeros_like(hazard), won, np.zeros(3, dtype=bool))[0])
    0.5
    """
    out = np.where(target, 1.0, 0.0)
    credit = np.asarray(credited, dtype=float)[:, None]
    for here in lattice.hyperplanes:
        here = here[~target[here]]
        moves, jumps, largest = _rates(hazard, breakthrough, here)
        total = moves.sum(axis=0) + jumps.sum(axis=0)
        onward = sum(np.where(moves[k] > 0.0, moves[k] * out[here + stride], 0.0)
                     for k, stride in enumerate(lattice.strides))
        onward = onward + (jumps * credit).sum(axis=0)
        out[here] = np.where(largest > 0.0, onward / np.where(total > 0.0, total, 1.0), 0.0)
    return out


def win_probability(lattice: Lattice, hazard: FloatArray, breakthrough: FloatArray) -> FloatArray:
    """Each firm's probability of winning, shape ``(n, size)``; terminal states as ``Lattice.terminal``.

    ``W_k(s) = [sum_l h_l W_k(s + e_l) + b_k] / (sum_l h_l + sum_m b_m)`` (docs/theory/race.md (19)),
    every firm at once, state by state from the last; 0 where nothing moves.

    Examples
    --------
    >>> import numpy as np
    >>> lattice = Lattice((1, 1, 1))
    >>> hazard = np.zeros((3, lattice.size)); hazard[:, 0] = (1.0, 2.0, 3.0)
    >>> win_probability(lattice, hazard, np.zeros_like(hazard))[:, 0].round(15).tolist()
    [0.166666666666667, 0.333333333333333, 0.5]
    """
    return chain_arrays(lattice, hazard, breakthrough)[0]


def chain_arrays(lattice: Lattice, hazard: FloatArray, breakthrough: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``win_probability`` and ``expected_duration`` together, in one compiled pass (the same numbers).

    Examples
    --------
    >>> import numpy as np
    >>> lattice = Lattice((1, 1, 1))
    >>> hazard = np.zeros((3, lattice.size)); hazard[:, 0] = (1.0, 2.0, 3.0)
    >>> win, duration = chain_arrays(lattice, hazard, np.zeros_like(hazard))
    >>> win[:, 0].round(15).tolist(), float(duration[0])
    ([0.166666666666667, 0.333333333333333, 0.5], 0.16666666666666666)
    """
    win, duration = np.zeros((lattice.firms, lattice.size)), np.zeros(lattice.size)
    from patentrace.results.nfirm_chain import chain_pass  # numba on first use
    chain_pass(np.asarray(lattice.shape, dtype=np.intp), np.asarray(lattice.strides, dtype=np.intp),
               np.ascontiguousarray(hazard, dtype=float), np.ascontiguousarray(breakthrough, dtype=float), win,
               duration)
    return win, duration


def expected_duration(lattice: Lattice, hazard: FloatArray, breakthrough: FloatArray) -> FloatArray:
    """Expected time until some firm wins, flat; ``inf`` where the race can stall (docs/theory/race.md (19)).

    ``T(s) = [1 + sum_l h_l T(s + e_l)] / (sum_l h_l + sum_m b_m)``, 0 at terminal states.

    Examples
    --------
    >>> import numpy as np
    >>> lattice = Lattice((1, 1, 1))
    >>> hazard = np.zeros((3, lattice.size)); hazard[:, 0] = (1.0, 2.0, 3.0)
    >>> float(expected_duration(lattice, hazard, np.zeros_like(hazard))[0])      # 1 / 6
    0.16666666666666666
    """
    return chain_arrays(lattice, hazard, breakthrough)[1]


@dataclass(frozen=True, eq=False, kw_only=True)
class NFirmEquilibrium(StateResult):
    """A Markov perfect equilibrium of a [`Race`][patentrace.Race] of ``n >= 3`` firms (docs/theory/race.md (16)-(19)).

    Attributes
    ----------
    model : Race
        The race solved.
    effort, hazard, value, win_probability : ndarray, shape (n, N0 + 1, ..., N_{n-1} + 1)
        ``[k, i_0, ..., i_{n-1}]``: firm ``k``'s effort, hazard, value and probability of
        winning at that state. At terminal states: effort 0, value ``prize`` / ``loser_prize``,
        win probability 1 / 0; at unreachable states (two or more firms finished) they share.
    expected_duration : ndarray, shape (N0 + 1, ..., N_{n-1} + 1)
        Expected time until someone wins; ``inf`` where the race can stall.
    multiplicity : ndarray of int, same shape
        Equilibria found at each state given the selected continuation; 1 at terminal
        states, 0 at unreachable ones.
    solver : SolverInfo
        ``options["path"] == "nfirm"``, with how many states were certified supermodular
        and how many needed the search (docs/solver.md, "More than two firms").

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> eq.effort.shape, eq.multiplicity.shape
    ((3, 3, 2, 2), (3, 2, 2))
    >>> pr.NFirmEquilibrium.from_dict(eq.to_dict()) == eq
    True
    """

    model: Race
    effort: FloatArray
    hazard: FloatArray

    ARRAYS: ClassVar[dict[str, ArraySpec]] = {
        "effort": (("firm",), np.float64), "hazard": (("firm",), np.float64),
        "value": (("firm",), np.float64), "win_probability": (("firm",), np.float64),
        "expected_duration": ((), np.float64), "multiplicity": ((), np.intp),
    }
    """Each array's leading dimensions; the state dimensions ``i0 .. i{n-1}`` follow (``_specs``)."""

    @classmethod
    def _sizes(cls, model: Any) -> dict[str, int]:
        return {"firm": len(model.stages), **{d: n + 1 for d, n in zip(state_dims(len(model.stages)),
                                                                          model.stages, strict=True)}}

    @classmethod
    def _specs(cls, model: Any) -> dict[str, tuple[tuple[str, ...], type[np.generic], tuple[int, ...]]]:
        sizes, states = cls._sizes(model), state_dims(len(model.stages))
        return {name: ((*lead, *states), dtype, tuple(sizes[d] for d in (*lead, *states)))
                for name, (lead, dtype) in cls.ARRAYS.items()}

    def __repr__(self) -> str:
        many = int(np.sum(self.multiplicity > 1))
        return (f"NFirmEquilibrium(stages={tuple(self.model.stages)}, solver={self.solver.method!r}, "
                f"selection={self.solver.selection!r}, states_with_several_equilibria={many})")

    def to_dataframe(self) -> Any:
        """A tidy ``pandas.DataFrame``: one row per state and firm (columns ``i0 .. i{n-1}``, ``firm``, the arrays).

        The arrays over states (``expected_duration``, ``multiplicity``) repeat on every
        firm's row. Requires the optional ``pandas`` package.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> table = eq.to_dataframe()
        >>> len(table), list(table.columns[:5])
        (24, ['i0', 'i1', 'i2', 'firm', 'effort'])
        >>> round(float(table[(table.i0 == 0) & (table.i1 == 0) & (table.i2 == 0)].effort.iloc[0]), 10)
        0.8094182111
        """
        try:
            import pandas as pd
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("to_dataframe needs pandas: pip install 'patentrace[pandas]'") from err
        firms = self.model.firms
        grids = np.indices((*self.model.shape, firms)).reshape(firms + 1, -1)
        columns: dict[str, Any] = {name: grid for name, grid in zip((*state_dims(firms), "firm"), grids,
                                                                     strict=True)}
        for name, (lead, _) in self.ARRAYS.items():
            array = np.asarray(getattr(self, name))
            columns[name] = np.moveaxis(array, 0, -1).ravel() if lead else np.repeat(array.ravel(), firms)
        return pd.DataFrame(columns)

    def _firm_problems(self) -> tuple[IntArray, list[tuple[hjb.FirmProblem, FloatArray, FloatArray]]]:
        """The open states, and per firm its problem there, its effort and its value (unshifted values)."""
        race, lattice = self.model, Lattice(tuple(self.model.stages))
        opened = np.flatnonzero(lattice.finished == 0)
        states = lattice.coordinates(opened)
        value, hazard = self.value.reshape(race.firms, -1), self.hazard.reshape(race.firms, -1)
        effort = self.effort.reshape(race.firms, -1)
        after = np.stack([value[:, opened + stride] for stride in lattice.strides], axis=1)
        total, mean = aggregate_rival(hazard[:, opened], after)
        jumps = np.stack([np.append(race.breakthrough_array(k), 0.0)[states[k]] for k in range(race.firms)])
        out = []
        for k in range(race.firms):
            lam = race.productivity_array(k)[states[k]]
            problem = hjb.FirmProblem(race.cost[k], lam, after[k, k], mean[k], total[k], race.discount,
                                      own_breakthrough=jumps[k], rival_breakthrough=jumps.sum(axis=0) - jumps[k],
                                      prize=race.prize, loser_prize=race.loser_prize)
            out.append((problem, effort[k, opened], value[k, opened]))
        return opened, out

    def deviation_gain(self) -> FloatArray:
        """Best gain from a one-state deviation in effort, per firm and state (absolute), shape of ``value``.

        Each firm's value at each open state is maximised over its own effort by the grid
        search and bounded optimiser of ``patentrace.results.verification``, rivals and
        continuation fixed.

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=(1, 2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(eq.deviation_gain().max() < 1e-12)
        True
        """
        opened, problems = self._firm_problems()
        spread = self.model.prize - min(self.model.loser_prize, 0.0)
        gain = np.zeros((self.model.firms, opened.size))
        for k, (p, x, v) in enumerate(problems):
            best = verification.best_deviation_value(p, x, spread)
            gain[k] = np.maximum(best - v, 0.0)
        out = np.zeros((self.model.firms, int(np.prod(self.model.shape))))
        out[:, opened] = gain
        return out.reshape(self.value.shape)

    def residual(self) -> FloatArray:
        """HJB residual per firm and state, relative to the state's value scale (as for two firms).

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=(1, 2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(eq.residual().max() < 1e-13)
        True
        """
        if all(isinstance(c, Power) for c in self.model.cost):
            return self._power_residual()
        opened, problems = self._firm_problems()
        out = np.zeros((self.model.firms, int(np.prod(self.model.shape))))
        for k, (p, x, v) in enumerate(problems):
            out[k, opened] = verification.relative_residual(p, x, v)
        return out.reshape(self.value.shape)

    def _power_residual(self) -> FloatArray:
        """``residual()`` for power costs in one compiled pass (``residual_pass``), the same formulas."""
        race, lattice = self.model, Lattice(tuple(self.model.stages))
        firms = race.firms
        tables = np.zeros((2, firms, max(race.stages) + 1))
        for k in range(firms):
            tables[0, k, :race.stages[k]] = race.productivity_array(k)
            tables[1, k, :race.stages[k]] = race.breakthrough_array(k)
        cost = np.array([[c.scale, c.exponent, c.linear] for c in race.cost if isinstance(c, Power)], dtype=float)
        smallest = max(verification._FLOAT_FLOOR * race.prize, verification._SMALLEST_NORMAL)
        out = np.zeros((firms, lattice.size))
        from patentrace.results.nfirm_chain import residual_pass  # numba on first use
        residual_pass(np.asarray(lattice.shape, dtype=np.intp), np.asarray(lattice.strides, dtype=np.intp), tables,
                      np.ascontiguousarray(self.effort, dtype=float).reshape(firms, -1),
                      np.ascontiguousarray(self.hazard, dtype=float).reshape(firms, -1),
                      np.ascontiguousarray(self.value, dtype=float).reshape(firms, -1), cost,
                      np.array([race.discount, race.prize, race.loser_prize, smallest]), out)
        return out.reshape(self.value.shape)

    def verify(self) -> Verification:
        """Largest deviation gain (relative to the prize) and largest relative HJB residual.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=(2, 1, 1), prize=1.0, discount=0.05, cost=pr.costs.Power(scale=1.0, exponent=3.0))
        >>> gain, residual = pr.solve(race).verify()
        >>> gain < 1e-10 and residual < 1e-12
        True
        """
        gain = float(np.max(self.deviation_gain())) / self.model.prize
        return Verification(max_deviation_gain=gain, max_residual=float(np.max(self.residual())))

    def certify(self, tolerance: float, deviation: bool = False) -> None:
        """Raise [`EquilibriumError`][patentrace.EquilibriumError] unless every array is finite and the checks pass.

        The post-solve check of every [`patentrace.solve`][patentrace.solve] of a race of ``n``
        firms: as ``patentrace.results.verification.certify`` for two.

        Examples
        --------
        >>> import patentrace as pr
        >>> pr.solve(pr.Race(stages=(1, 1, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).certify(1e-12)
        """
        arrays = {"effort": self.effort, "hazard": self.hazard, "value": self.value,
                  "win_probability": self.win_probability, "expected_duration": self.expected_duration}
        for name, array in arrays.items():
            if np.isfinite(array).all():
                continue
            bad = ~np.isfinite(array) & ~((name == "expected_duration") & np.isposinf(array))
            if bad.any():
                where = tuple(int(v) for v in np.argwhere(bad)[0])
                raise EquilibriumError(f"non-finite {name}", where, {name: float(array[where])})
        checks = {"HJB residual": self.residual}
        if deviation:
            checks["deviation gain"] = lambda: self.deviation_gain() / self.model.prize
        for name, compute in checks.items():
            array = compute()
            failing = ~(array <= tolerance)
            if failing.any():
                where = tuple(int(v) for v in np.argwhere(failing)[0])
                raise EquilibriumError(f"verification failed: {name} above tolerance for firm {where[0]}",
                                       where[1:], {name.replace(" ", "_"): float(array[where]),
                                                   "tolerance": tolerance, "states_failing": int(failing.sum())})
