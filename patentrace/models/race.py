"""The race in continuous time with perfect monitoring (docs/theory/race.md).

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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from patentrace.models._common import _costs, _race_basics, _stage_rates
from patentrace.models.arguments import CostPair, StagePair, StageRates
from patentrace.models.parameters import ModelData

__all__ = ["Race"]


@dataclass(frozen=True)
class Race(ModelData):
    """The multi-stage patent race in continuous time with perfect monitoring (docs/theory/race.md).

    Firm ``k`` in its stage ``i`` chooses effort ``x >= 0`` at flow cost ``c_k(x)``
    and completes the stage at Poisson rate ``lambda_k(i) x``. The first firm to
    complete its ``N_k`` stages wins ``prize``; the other gets ``loser_prize``.
    Both discount at rate ``discount``.

    Parameters
    ----------
    stages : int or (int, int)
        ``N_k >= 1``, the number of stages each firm must complete.
    prize : float
        ``P > 0``, the winner's payoff, a normal float (at least ``sys.float_info.min``).
    discount : float
        ``r > 0``. ``r = 0`` is excluded: zero effort then solves (1) everywhere
        without being an equilibrium.
    cost : Cost or (Cost, Cost)
        The flow cost of effort, one for both firms or one per firm.
    loser_prize : float
        ``0 <= L <= P``, the loser's payoff (default 0).
    productivity : None, sequence, or pair of sequences
        ``lambda_k(i) > 0``: the hazard per unit of effort at experience level
        ``i`` (a learning curve). None means 1 everywhere; one sequence of length
        ``max(N0, N1)`` is shared by both firms (firm ``k`` uses its first ``N_k``
        entries); a pair gives each firm ``N_k`` entries.
    breakthrough : None, sequence, or pair of sequences
        ``b_k(i) >= 0``: while firm ``k`` has completed ``i`` stages it wins
        outright at rate ``b_k(i)``, whatever its effort (FGST's random discovery,
        docs/theory/race.md (14)-(15) "Breakthroughs"). Same shapes as ``productivity``; None means 0
        everywhere, and a race with ``b = 0`` is the race without breakthroughs.

    Attributes
    ----------
    stages, cost, productivity, breakthrough
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

    stages: StagePair
    prize: float
    discount: float
    cost: CostPair
    loser_prize: float = 0.0
    productivity: StageRates = None
    breakthrough: StageRates = None

    def __post_init__(self) -> None:
        stages, prize, discount, loser_prize = _race_basics(self.stages, self.prize, self.discount, self.loser_prize)
        costs = _costs(self.cost)
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
        """``b_k`` at every state, shape ``(2, N0 + 1, N1 + 1)``; None without breakthroughs (docs/theory/race.md (14)).

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
        out = np.zeros((2, *self.shape))
        out[0, : self.stages[0], :] = self.breakthrough_array(0)[:, None]
        out[1, :, : self.stages[1]] = self.breakthrough_array(1)[None, :]
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """``(N0 + 1, N1 + 1)``: the shape of every per-state array.

        Examples
        --------
        >>> from patentrace.costs import Quadratic
        >>> Race(stages=(3, 2), prize=1.0, discount=0.1, cost=Quadratic()).shape
        (4, 3)
        """
        return (self.stages[0] + 1, self.stages[1] + 1)

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
