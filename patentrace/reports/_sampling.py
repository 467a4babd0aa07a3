"""What every Monte Carlo report shares: the seed, the follower, frequencies with standard errors.

The simulators of a race on a lattice ([`simulate`][patentrace.simulate], docs/theory/leapfrog.md)
and of a tug-of-war (docs/theory/tug-of-war.md) draw different histories but count them
alike: a frequency ``f`` over ``n`` paths has standard error ``sqrt(f (1 - f) / n)``, the
seed (or the fresh entropy drawn) is recorded so that it repeats the numbers, and the
follower is the firm with further to go at the start.

Examples
--------
>>> frequency(25, 100)
(0.25, 0.04330127018922193)
>>> follower_at_start(3, 1), follower_at_start(2, 2)
(0, None)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = ["Tally", "follower_at_start", "frequency", "mean_duration", "seeded_generator"]

ModelT = TypeVar("ModelT")
StartT = TypeVar("StartT")


@dataclass(frozen=True, eq=False)
class Tally(Generic[ModelT, StartT]):
    """The fields every simulation result starts with: what was simulated, who won, leapfrogged, how long it took.

    Attributes
    ----------
    model
        The race simulated.
    start
        Where every path starts.
    paths, seed : int
        Number of paths; the seed (the fresh entropy drawn when none was given).
    follower, leader : int or None
        The firm with further (less far) to go at ``start``; None when level.
    win_frequency, win_standard_error : ndarray, shape (2,)
        Share of paths each firm won, and its standard error.
    leapfrog_frequency, leapfrog_standard_error : float or None
        Share of paths on which the follower was ever strictly ahead (a win counts);
        None when level at the start.
    catch_up_frequency, catch_up_standard_error : float or None
        Share of paths on which the follower ever drew level or got ahead.
    mean_duration, duration_standard_error : float
        Mean time until the race ended; ``inf`` if a path stalled.
    """

    model: ModelT
    start: StartT
    paths: int
    seed: int
    follower: int | None
    leader: int | None
    win_frequency: NDArray[np.float64]
    win_standard_error: NDArray[np.float64]
    leapfrog_frequency: float | None
    leapfrog_standard_error: float | None
    catch_up_frequency: float | None
    catch_up_standard_error: float | None
    mean_duration: float
    duration_standard_error: float


def mean_duration(durations: NDArray[np.float64], stalled: bool) -> tuple[float, float]:
    """The mean of the paths' durations and its standard error ``s / sqrt(n)``; ``(inf, inf)`` if a path stalled.

    One path has no spread to estimate, so its standard error is ``inf`` too.

    Examples
    --------
    >>> import numpy as np
    >>> mean_duration(np.array([1.0, 2.0, 3.0]), stalled=False)    # s = 1
    (2.0, 0.5773502691896258)
    >>> mean_duration(np.array([1.0, 2.0]), stalled=True)
    (inf, inf)
    """
    count = durations.size
    if stalled:
        return math.inf, math.inf
    spread = float(durations.std(ddof=1) / math.sqrt(count)) if count > 1 else math.inf
    return float(durations.mean()), spread


def frequency(hits: int, n: int) -> tuple[float, float]:
    """``hits / n`` and its standard error ``sqrt(f (1 - f) / n)``."""
    f = hits / n
    return f, math.sqrt(f * (1.0 - f) / n)


def seeded_generator(seed: int | None) -> tuple[int, np.random.Generator]:
    """The seed to record (fresh entropy when ``seed`` is None) and the generator it seeds.

    Examples
    --------
    >>> seed, rng = seeded_generator(7)
    >>> seed, float(rng.random()) == float(seeded_generator(7)[1].random())
    (7, True)
    """
    entropy = np.random.SeedSequence().entropy if seed is None else seed
    assert isinstance(entropy, int)
    return entropy, np.random.default_rng(np.random.SeedSequence(entropy))


def follower_at_start(left0: int, left1: int) -> int | None:
    """The firm with more left to go (``left0`` for firm 0, ``left1`` for firm 1); None when level."""
    return None if left0 == left1 else (0 if left0 > left1 else 1)
