"""What every race validates alike: stages, prizes, discount, per-stage rates (docs/theory/race.md, periods.md).

The helpers the model modules share; each raises with the parameter's name and its
valid range.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np

from patentrace._validate import finite_real
from patentrace.models.costs import Cost


def discounted_period(discount: float, lag: float) -> float:
    """``(1 - exp(-r lag)) / r``: a unit flow over one period, discounted to its start (without cancellation)."""
    return -math.expm1(-discount * lag) / discount


def _stage_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"stages must be an int >= 1 or a pair of them, got {value!r}")
    if int(value) < 1:
        raise ValueError(f"stages must be >= 1, got {int(value)}")
    return int(value)


def _pair(name: str, value: Any, one: str = "value") -> tuple[Any, Any]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be one {one} or a pair (one per firm), got {len(value)} entries")
        return value[0], value[1]
    return value, value


def _per_firm(name: str, value: Any, firms: int, one: str = "value") -> tuple[Any, ...]:
    """One entry per firm: ``value`` for every firm, or a sequence of ``firms`` entries (two firms: ``_pair``)."""
    if firms == 2:
        return _pair(name, value, one)
    if isinstance(value, (tuple, list)):
        if len(value) != firms:
            raise ValueError(f"{name} must be one {one} or one per firm ({firms} firms, as many as stages has "
                             f"entries), got {len(value)} entries")
        return tuple(value)
    return (value,) * firms


def _costs(value: Any, one: str = "value", firms: int = 2) -> tuple[Cost, ...]:
    """The flow cost of effort, one for all firms or one per firm, each checked (``one`` names a single entry)."""
    costs = _per_firm("cost", value, firms, one)
    for firm, cost in enumerate(costs):
        if not isinstance(cost, Cost):
            raise TypeError(
                f"cost for firm {firm} must be a patentrace.costs.Cost (e.g. Quadratic(scale=1.0)), "
                f"got {cost!r} of type {type(cost).__name__}"
            )
        cost.check()
    return costs


def _prize(value: Any) -> float:
    """The winner's payoff ``P``: a finite, normal, positive float."""
    prize = finite_real("prize", value)
    if not prize >= sys.float_info.min:  # a subnormal prize has no relative precision left
        raise ValueError(f"prize must be > 0 and finite, at least {sys.float_info.min!r} (a normal float), "
                         f"got {prize!r}")
    return prize


def _discount(value: Any) -> float:
    """The discount rate ``r``: finite and positive."""
    discount = finite_real("discount", value)
    if discount <= 0.0:
        raise ValueError(f"discount must be > 0 (a positive, finite discount rate), got {discount!r}")
    return discount


def _stage_counts(stages: Any) -> tuple[int, ...]:
    """Stages per firm: one int for two firms, or one entry per firm for any number of firms >= 2."""
    if not isinstance(stages, (tuple, list)):
        count = _stage_count(stages)
        return (count, count)
    if len(stages) < 2:
        raise ValueError(f"stages must be one int >= 1 or one per firm for at least 2 firms, got {len(stages)} "
                         f"entries: {tuple(stages)!r}")
    return tuple(_stage_count(n) for n in stages)


def _prizes(prize: Any, discount: Any, loser_prize: Any) -> tuple[float, float, float]:
    """Validate the prize, the discount rate and the loser prize."""
    prize_, discount_ = _prize(prize), _discount(discount)
    loser = finite_real("loser_prize", loser_prize)
    if loser > prize_:  # docs/theory/race.md: 0 <= L <= P
        raise ValueError(f"loser_prize must be <= prize ({prize_!r}) and >= 0, got {loser!r}")
    if loser < 0.0:
        raise ValueError(f"loser_prize must be >= 0 and <= prize ({prize_!r}), got {loser!r}")
    return prize_, discount_, loser


def _race_basics(
    stages: Any, prize: Any, discount: Any, loser_prize: Any
) -> tuple[tuple[int, int], float, float, float]:
    """Validate what every two-firm race has: stages, prize, discount rate, loser prize."""
    first, second = _pair("stages", stages)
    counts = (_stage_count(first), _stage_count(second))
    return (counts, *_prizes(prize, discount, loser_prize))


def _stage_rates(name: str, value: Any, stages: tuple[int, ...], allow_zero: bool) -> tuple[tuple[float, ...], ...]:
    """Normalise a per-stage rate: None, one sequence for all firms, or one sequence per firm."""
    if value is None:
        default = 0.0 if allow_zero else 1.0
        return tuple((default,) * n for n in stages)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be None, a sequence of numbers, or a pair of sequences, got {value!r}")
    nested = len(value) > 0 and all(isinstance(v, (Sequence, np.ndarray)) for v in value)
    if nested:
        if len(value) != len(stages):
            raise ValueError(f"{name} as one sequence per firm needs exactly {len(stages)} sequences (one per entry "
                             f"of stages), got {len(value)}")
        per_firm = tuple(value)
        wanted = stages
    else:
        per_firm = (value,) * len(stages)
        wanted = (max(stages),) * len(stages)
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


def _sequence(name: str, value: Any) -> Sequence[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or len(value) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of efforts, got {value!r}")
    return list(value)


def _nested(value: Any) -> bool:
    return (
        isinstance(value, (Sequence, np.ndarray)) and len(value) == 2
        and all(isinstance(v, (Sequence, np.ndarray)) for v in value)
    )
