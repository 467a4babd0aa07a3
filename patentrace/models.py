"""The races a researcher states: frozen, validated at construction (SPEC.md §1).

Models know nothing of solvers: they hold parameters, normalise them to one
canonical form (a pair for every per-firm quantity) and refuse bad input with a
message that names the parameter and its valid range.

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=1.0))
>>> race.stages, race.productivity
((3, 2), ((1.0, 1.0, 1.0), (1.0, 1.0)))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import finite_real
from patentrace.costs import Cost

__all__ = ["Race"]


def _stage_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"stages must be an int >= 1 or a pair of them, got {value!r}")
    if int(value) < 1:
        raise ValueError(f"stages must be >= 1, got {int(value)}")
    return int(value)


def _pair(name: str, value: Any) -> tuple[Any, Any]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be one value or a pair (one per firm), got {len(value)} entries")
        return value[0], value[1]
    return value, value


def _stage_rates(name: str, value: Any, stages: tuple[int, int], allow_zero: bool) -> tuple[tuple[float, ...], ...]:
    """Normalise a per-stage rate: None, one sequence for both firms, or a pair of sequences."""
    if value is None:
        default = 0.0 if allow_zero else 1.0
        return tuple((default,) * n for n in stages)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be None, a sequence of numbers, or a pair of sequences, got {value!r}")
    nested = len(value) > 0 and all(isinstance(v, (Sequence, np.ndarray)) for v in value)
    if nested:
        if len(value) != 2:
            raise ValueError(f"{name} as one sequence per firm needs exactly 2 sequences, got {len(value)}")
        per_firm = (value[0], value[1])
        wanted = stages
    else:
        per_firm = (value, value)
        wanted = (max(stages), max(stages))
    result = []
    for firm, (entries, n_wanted) in enumerate(zip(per_firm, wanted, strict=True)):
        if len(entries) != n_wanted:
            raise ValueError(
                f"{name} for firm {firm} must have one entry per stage ({n_wanted}), got {len(entries)}"
            )
        numbers = tuple(finite_real(f"{name}[{firm}][{i}]", v) for i, v in enumerate(entries))
        for i, v in enumerate(numbers):
            if v < 0.0 or (v == 0.0 and not allow_zero):
                bound = ">= 0" if allow_zero else "> 0"
                raise ValueError(f"{name}[{firm}][{i}] must be {bound}, got {v!r}")
        result.append(numbers[: stages[firm]])
    return tuple(result)


@dataclass(frozen=True)
class Race:
    """The multi-stage patent race in continuous time with perfect monitoring (SPEC.md §1).

    Firm ``k`` in its stage ``i`` chooses effort ``x >= 0`` at flow cost ``c_k(x)``
    and completes the stage at Poisson rate ``lambda_k(i) x``. The first firm to
    complete its ``N_k`` stages wins ``prize``; the other gets ``loser_prize``.
    Both discount at rate ``discount``.

    Parameters
    ----------
    stages : int or (int, int)
        ``N_k >= 1``, the number of stages each firm must complete.
    prize : float
        ``P > 0``, the winner's payoff.
    discount : float
        ``r > 0``. ``r = 0`` is excluded: zero effort then solves (1) everywhere
        without being an equilibrium.
    cost : Cost or (Cost, Cost)
        The flow cost of effort, one for both firms or one per firm.
    loser_prize : float
        ``L <= P``, the loser's payoff (default 0).
    productivity : None, sequence, or pair of sequences
        ``lambda_k(i) > 0``: the hazard per unit of effort at experience level
        ``i`` (a learning curve). None means 1 everywhere; one sequence of length
        ``max(N1, N2)`` is shared by both firms (firm ``k`` uses its first ``N_k``
        entries); a pair gives each firm ``N_k`` entries.

    Attributes
    ----------
    stages, cost, productivity
        Always normalised to pairs, one entry per firm.

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic()).stages
    (2, 2)
    >>> Race(stages=2, prize=1.0, discount=-0.1, cost=Quadratic())
    Traceback (most recent call last):
    ...
    ValueError: discount must be > 0 (a positive, finite discount rate), got -0.1
    """

    stages: Any
    prize: float
    discount: float
    cost: Any
    loser_prize: float = 0.0
    productivity: Any = None

    def __post_init__(self) -> None:
        first, second = _pair("stages", self.stages)
        stages = (_stage_count(first), _stage_count(second))
        prize = finite_real("prize", self.prize)
        if prize <= 0.0:
            raise ValueError(f"prize must be > 0 and finite, got {prize!r}")
        discount = finite_real("discount", self.discount)
        if discount <= 0.0:
            raise ValueError(f"discount must be > 0 (a positive, finite discount rate), got {discount!r}")
        loser_prize = finite_real("loser_prize", self.loser_prize)
        if loser_prize > prize:
            raise ValueError(f"loser_prize must be <= prize ({prize!r}), got {loser_prize!r}")
        costs = _pair("cost", self.cost)
        for firm, cost in enumerate(costs):
            if not isinstance(cost, Cost):
                raise TypeError(
                    f"cost for firm {firm} must be a patentrace.costs.Cost (e.g. Quadratic(scale=1.0)), "
                    f"got {cost!r} of type {type(cost).__name__}"
                )
            cost.check()
        productivity = _stage_rates("productivity", self.productivity, stages, allow_zero=False)
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "prize", prize)
        object.__setattr__(self, "discount", discount)
        object.__setattr__(self, "loser_prize", loser_prize)
        object.__setattr__(self, "cost", costs)
        object.__setattr__(self, "productivity", productivity)

    @property
    def shape(self) -> tuple[int, int]:
        """``(N1 + 1, N2 + 1)``: the shape of every per-state array."""
        return (self.stages[0] + 1, self.stages[1] + 1)

    def productivity_array(self, firm: int) -> NDArray[np.float64]:
        """``lambda_firm(i)`` for ``i = 0 .. N_firm - 1`` as an array."""
        return np.asarray(self.productivity[firm], dtype=float)
