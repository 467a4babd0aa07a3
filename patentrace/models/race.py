"""The race in continuous time with perfect monitoring (docs/theory/race.md).

Models know nothing of solvers: they hold parameters, normalise them to one
canonical form (one entry per firm for every per-firm quantity: a pair for two
firms) and refuse bad input with a message that names the parameter and its valid
range. A race has two firms or more (docs/theory/race.md (16)-(17), "More than two firms").

Examples
--------
>>> import patentrace as pr
>>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=1.0))
>>> race.stages, race.productivity
((3, 2), ((1.0, 1.0, 1.0), (1.0, 1.0)))
>>> pr.Race(stages=(2, 2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()).shape
(3, 3, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace.models._common import _costs, _prizes, _stage_counts, _stage_rates
from patentrace.models.arguments import CostPair, StagePair, StageRates
from patentrace.models.parameters import ModelData

__all__ = ["Race"]


@dataclass(frozen=True)
class Race(ModelData):
    """The multi-stage patent race in continuous time with perfect monitoring (docs/theory/race.md).

    Firm ``k`` in its stage ``i`` chooses effort ``x >= 0`` at flow cost ``c_k(x)``
    and completes the stage at Poisson rate ``lambda_k(i) x``. The first firm to
    complete its ``N_k`` stages wins ``prize``; every other firm gets ``loser_prize``.
    All discount at rate ``discount``. Two firms by default; ``stages`` with ``n``
    entries makes a race of ``n >= 2`` firms (docs/theory/race.md (16)-(17)), whose
    per-firm parameters take one value for all firms or one per firm.

    Parameters
    ----------
    stages : int or sequence of int
        ``N_k >= 1``, the number of stages each firm must complete: one int (two
        firms with the same count) or one per firm (at least two).
    prize : float
        ``P > 0``, the winner's payoff, a normal float (at least ``sys.float_info.min``).
    discount : float
        ``r > 0``. ``r = 0`` is excluded: zero effort then solves (1) everywhere
        without being an equilibrium.
    cost : Cost or sequence of Cost
        The flow cost of effort, one for all firms or one per firm.
    loser_prize : float
        ``0 <= L <= P``, the loser's payoff (default 0).
    productivity : None, sequence, or one sequence per firm
        ``lambda_k(i) > 0``: the hazard per unit of effort at experience level
        ``i`` (a learning curve). None means 1 everywhere; one sequence of length
        ``max(N_k)`` is shared by all firms (firm ``k`` uses its first ``N_k``
        entries); one sequence per firm gives each firm ``N_k`` entries.
    breakthrough : None, sequence, or one sequence per firm
        ``b_k(i) >= 0``: while firm ``k`` has completed ``i`` stages it wins
        outright at rate ``b_k(i)``, whatever its effort (FGST's random discovery,
        docs/theory/race.md (14)-(15) "Breakthroughs"). Same shapes as ``productivity``; None means 0
        everywhere, and a race with ``b = 0`` is the race without breakthroughs.

    Attributes
    ----------
    stages, cost, productivity, breakthrough
        Always normalised to tuples with one entry per firm (pairs for two firms).

    Examples
    --------
    >>> from patentrace.costs import Quadratic
    >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic()).stages
    (2, 2)
    >>> Race(stages=2, prize=1.0, discount=-0.1, cost=Quadratic())
    Traceback (most recent call last):
    ...
    ValueError: discount must be > 0 (a positive, finite discount rate), got -0.1
    >>> Race(stages=(2, 2, 2), prize=1.0, discount=0.1, cost=(Quadratic(), Quadratic()))
    Traceback (most recent call last):
    ...
    ValueError: cost must be one value or one per firm (3 firms, as many as stages has entries), got 2 entries
    """

    stages: StagePair
    prize: float
    discount: float
    cost: CostPair
    loser_prize: float = 0.0
    productivity: StageRates = None
    breakthrough: StageRates = None

    def __post_init__(self) -> None:
        stages = _stage_counts(self.stages)
        prize, discount, loser_prize = _prizes(self.prize, self.discount, self.loser_prize)
        costs = _costs(self.cost, firms=len(stages))
        productivity = _stage_rates("productivity", self.productivity, stages, allow_zero=False)
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "prize", prize)
        object.__setattr__(self, "discount", discount)
        object.__setattr__(self, "loser_prize", loser_prize)
        object.__setattr__(self, "cost", costs)
        object.__setattr__(self, "productivity", productivity)
        breakthrough = _stage_rates("breakthrough", self.breakthrough, stages, allow_zero=True)
        object.__setattr__(self, "breakthrough", breakthrough)

    @property
    def firms(self) -> int:
        """``n``, the number of firms (2 unless ``stages`` has more entries).

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> Race(stages=(3, 2, 2), prize=1.0, discount=0.1, cost=Quadratic()).firms
        3
        """
        return len(self.stages)

    @property
    def has_breakthroughs(self) -> bool:
        """Whether some breakthrough hazard ``b_k(i)`` is positive (docs/theory/race.md (14)-(15)).

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic()).has_breakthroughs
        False
        >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.0, 0.2]).has_breakthroughs
        True
        """
        return any(v > 0.0 for rates in self.breakthrough for v in rates)

    def breakthrough_array(self, firm: int) -> NDArray[np.float64]:
        """``b_firm(i)`` for ``i = 0 .. N_firm - 1`` as an array (docs/theory/race.md (14)-(15), "Breakthroughs").

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.0, 0.1, 0.2])
        >>> race.breakthrough_array(0).tolist(), race.breakthrough_array(1).tolist()
        ([0.0, 0.1, 0.2], [0.0, 0.1])
        >>> Race(stages=2, prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.1, -0.2])
        Traceback (most recent call last):
        ...
        ValueError: breakthrough[0][1] must be >= 0, got -0.2
        """
        return np.asarray(self.breakthrough[firm], dtype=float)

    def breakthrough_hazard(self) -> NDArray[np.float64] | None:
        """``b_k`` at every state, shape ``(n, N0 + 1, ...)``; None without breakthroughs (docs/theory/race.md (14)).

        The entries are 0 once firm ``k`` has finished.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = Race(stages=(1, 2), prize=1.0, discount=0.1, cost=Quadratic(), breakthrough=[0.1, 0.3])
        >>> race.breakthrough_hazard()[1].tolist()
        [[0.1, 0.3, 0.0], [0.1, 0.3, 0.0]]
        """
        if not self.has_breakthroughs:
            return None
        out = np.zeros((self.firms, *self.shape))
        for firm, count in enumerate(self.stages):
            axis = [1] * self.firms
            axis[firm] = count
            running: list[int | slice] = [firm, *([slice(None)] * self.firms)]
            running[1 + firm] = slice(0, count)
            out[tuple(running)] = self.breakthrough_array(firm).reshape(axis)
        return out

    @property
    def shape(self) -> tuple[int, ...]:
        """``(N0 + 1, N1 + 1)`` (``n`` entries for ``n`` firms): the shape of every per-state array.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Quadratic()).shape
        (4, 3)
        """
        return tuple(n + 1 for n in self.stages)

    def productivity_array(self, firm: int) -> NDArray[np.float64]:
        """``lambda_firm(i)`` for ``i = 0 .. N_firm - 1`` as an array.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> race = Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Quadratic(), productivity=[1.0, 1.5, 2.0])
        >>> race.productivity_array(0).tolist(), race.productivity_array(1).tolist()
        ([1.0, 1.5, 2.0], [1.0, 1.5])
        """
        return np.asarray(self.productivity[firm], dtype=float)
