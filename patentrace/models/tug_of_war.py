"""The tug-of-war: a race whose state is the gap, which moves both ways (docs/theory/tug-of-war.md).

Harris and Vickers (1987): positions ``k = 0 .. K``; firm 0 wins at ``K``, firm 1
wins at ``0``. In an interior position firm 0's effort pushes the race to ``k + 1``
and firm 1's pushes it to ``k - 1``, so a firm that falls behind can come back.
The model holds and validates the parameters; solvers live elsewhere.

Examples
--------
>>> import patentrace as pr
>>> tug = pr.TugOfWar(length=4, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
>>> tug.interior, tug.start_position
(3, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._validate import finite_real
from patentrace.models._common import _costs, _discount, _prize
from patentrace.models.costs import Power
from patentrace.models.parameters import ModelData

__all__ = ["TugOfWar"]


def _length(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"length must be an int >= 2 (positions 0 .. length), got {value!r} "
                        f"of type {type(value).__name__}")
    if int(value) < 2:
        raise ValueError(f"length must be an int >= 2 (positions 0 .. length), got {int(value)!r}")
    return int(value)


def _is_sequence(value: object) -> bool:
    return not isinstance(value, (str, bytes)) and isinstance(value, (Sequence, np.ndarray))


def _rates(value: Any, interior: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Productivity: None (1), one number, one sequence per position, or one such entry per firm."""
    if value is None:
        return ((1.0,) * interior, (1.0,) * interior)
    if isinstance(value, Real) and not isinstance(value, bool):
        per_firm: tuple[Any, Any] = (value, value)
    elif _is_sequence(value) and len(value) == 2 and any(_is_sequence(v) for v in value):
        per_firm = (value[0], value[1])
    elif _is_sequence(value):
        per_firm = (value, value)
    else:
        raise TypeError(f"productivity must be None, a number, a sequence of {interior} numbers (one per interior "
                        f"position 1 .. {interior}), or a pair of those (one per firm), got {value!r}")
    result = []
    for firm, entry in enumerate(per_firm):
        if _is_sequence(entry):
            if len(entry) != interior:
                raise ValueError(f"productivity for firm {firm} must have one entry per interior position "
                                 f"1 .. {interior} ({interior} entries), got {len(entry)}")
            entries = list(entry)
        else:
            entries = [entry] * interior
        numbers = tuple(finite_real(f"productivity[{firm}][{i}]", v) for i, v in enumerate(entries))
        for i, v in enumerate(numbers):
            if v <= 0.0:
                raise ValueError(f"productivity[{firm}][{i}] (position {i + 1}) must be > 0, got {v!r}")
        result.append(numbers)
    return result[0], result[1]


@dataclass(frozen=True)
class TugOfWar(ModelData):
    """The tug-of-war of Harris and Vickers (1987): the gap moves both ways (docs/theory/tug-of-war.md).

    Positions ``k = 0 .. K``. Firm 0 wins ``prize`` on reaching ``K`` and firm 1 on
    reaching ``0``; the other firm gets ``loser_prize``. In an interior position firm
    0's effort ``x0`` moves the race to ``k + 1`` at rate ``lambda0(k) x0`` and firm 1's
    effort moves it to ``k - 1`` at rate ``lambda1(k) x1``, each at flow cost
    ``c_k(x)``. Firm 0's HJB is
    ``r V0(k) = max_x {-c0(x) + lambda0 x (V0(k+1) - V0(k))} + h1 (V0(k-1) - V0(k))``,
    and symmetrically for firm 1.

    Parameters
    ----------
    length : int
        ``K >= 2``. ``K = 2`` has one interior position: the one-stage race.
    prize : float
        ``P > 0``, a normal float.
    discount : float
        ``r > 0``.
    cost : Cost or (Cost, Cost)
        The flow cost of effort, one for both firms or one per firm.
    loser_prize : float
        ``0 <= L <= P`` (default 0).
    productivity : None, float, sequence, or pair
        ``lambda_f(k) > 0`` at the interior positions ``k = 1 .. K-1``: None means 1;
        one number applies everywhere; one sequence of ``K - 1`` numbers is shared by
        both firms; a pair (one number or sequence per firm) gives each firm its own.
    start : int, optional
        The position histories start from (simulation, reports), in ``1 .. K-1``;
        None means the middle, ``K // 2``.

    Attributes
    ----------
    length, prize, discount, loser_prize, start
        As given, validated.
    cost, productivity
        Always pairs, one entry per firm; ``productivity[f][k - 1]`` is ``lambda_f(k)``.

    Notes
    -----
    ``to_dict()`` writes the model as JSON data (its type and these fields, costs as
    ``{"cost": family, ...}``) and ``from_dict()`` rebuilds an equal model, float for
    float; a cost of your own is written as its ``repr`` and refused on the way back,
    naming it (patentrace.models.parameters).

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> TugOfWar(length=3, prize=1.0, discount=0.1, cost=Quadratic(), productivity=[1.0, 2.0]).productivity
    ((1.0, 2.0), (1.0, 2.0))
    >>> TugOfWar(length=3, prize=1.0, discount=0.1, cost=Quadratic(), start=3)
    Traceback (most recent call last):
    ...
    ValueError: start must be an interior position in 1 .. 2 (length - 1), got 3
    >>> tug = TugOfWar(length=3, prize=1.0, discount=0.1, cost=Quadratic(), loser_prize=0.25, start=2)
    >>> TugOfWar.from_dict(tug.to_dict()) == tug
    True
    """

    length: Any
    prize: float
    discount: float
    cost: Any
    loser_prize: float = 0.0
    productivity: Any | None = None
    start: int | None = None

    def __post_init__(self) -> None:
        length = _length(self.length)
        prize, discount = _prize(self.prize), _discount(self.discount)
        loser = finite_real("loser_prize", self.loser_prize)
        if not 0.0 <= loser <= prize:
            raise ValueError(f"loser_prize must be >= 0 and <= prize ({prize!r}), got {loser!r}")
        costs = _costs(self.cost, one="Cost")
        productivity = _rates(self.productivity, length - 1)
        start = self.start
        if start is not None:
            if isinstance(start, bool) or not isinstance(start, Integral):
                raise TypeError(f"start must be None or an int in 1 .. {length - 1} (length - 1), got {start!r}")
            start = int(start)
            if not 1 <= start <= length - 1:
                raise ValueError(f"start must be an interior position in 1 .. {length - 1} (length - 1), got {start}")
        for name, value in (("length", length), ("prize", prize), ("discount", discount), ("loser_prize", loser),
                            ("cost", costs), ("productivity", productivity), ("start", start)):
            object.__setattr__(self, name, value)
        rates = np.array(productivity, dtype=float)
        rates.setflags(write=False)
        object.__setattr__(self, "_rates", rates)       # not a field: the solvers read it at every step

    @property
    def interior(self) -> int:
        """``K - 1``, the number of interior positions.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> TugOfWar(length=5, prize=1.0, discount=0.1, cost=Quadratic()).interior
        4
        """
        return int(self.length) - 1

    @property
    def start_position(self) -> int:
        """``start``, or ``K // 2`` when it is None.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> TugOfWar(length=5, prize=1.0, discount=0.1, cost=Quadratic()).start_position
        2
        """
        return int(self.start) if self.start is not None else int(self.length) // 2

    def productivity_array(self) -> NDArray[np.float64]:
        """``lambda_f(k)`` for ``k = 1 .. K-1``, shape ``(2, K - 1)`` (read-only).

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> TugOfWar(length=3, prize=1.0, discount=0.1, cost=Quadratic(), productivity=([1.0, 2.0], 3.0)
        ...          ).productivity_array().tolist()
        [[1.0, 2.0], [3.0, 3.0]]
        """
        rates: NDArray[np.float64] = self.__dict__["_rates"]
        return rates

    @property
    def is_symmetric(self) -> bool:
        """Whether the race is the same seen from either end: equal costs, ``lambda0(k) = lambda1(K - k)``.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> TugOfWar(length=3, prize=1.0, discount=0.1, cost=Quadratic(), productivity=[1.0, 2.0]).is_symmetric
        False
        """
        lam = self.productivity_array()
        return bool(self.cost[0] == self.cost[1] and np.array_equal(lam[0], lam[1][::-1]))

    @property
    def is_quadratic(self) -> bool:
        """Whether both costs are power costs with exponent 2 (``m x + a x^2 / 2``).

        Examples
        --------
        >>> from patentrace.costs import Power, Quadratic
        >>> TugOfWar(length=3, prize=1.0, discount=0.1, cost=(Quadratic(), Power(exponent=3.0))).is_quadratic
        False
        """
        return all(isinstance(c, Power) and c.exponent == 2.0 for c in self.cost)
