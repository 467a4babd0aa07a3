"""Picklable model builders and measures for the sweep tests (importable by worker processes)."""

import os
from fractions import Fraction

import patentrace as pr

CALLS: dict[tuple[float, float], int] = {}


def make_race(discount: float, scale: float, stages: int = 3) -> pr.Race:
    """A symmetric quadratic race."""
    return pr.Race(stages=stages, prize=1.0, discount=discount, cost=pr.costs.Quadratic(scale=scale))


def leader_value(eq: pr.Equilibrium) -> float:
    """Firm 0's value at (0, 0)."""
    return float(eq.value[0, 0, 0])


def both_efforts(eq: pr.Equilibrium) -> list[float]:
    """Both firms' efforts at (0, 1)."""
    return [float(eq.effort[0, 0, 1]), float(eq.effort[1, 0, 1])]


def fragile_race(discount: float, scale: float) -> pr.Race:
    """Fails to build at one point, and gives a non-model at another."""
    if discount == 0.2 and scale == 2.0:
        raise RuntimeError("no race here")
    if discount == 0.05 and scale == 0.5:
        return "not a race"  # type: ignore[return-value]
    return make_race(discount, scale)


def fragile_measure(eq: pr.Equilibrium) -> float:
    """Fails for one race."""
    if eq.model.discount == 0.1 and eq.model.cost[0].scale == 1.0:
        raise ZeroDivisionError("measure broke")
    return leader_value(eq)


def dies_once(eq: pr.Equilibrium) -> float:
    """Kills its worker process the first time it runs (a marker file, named by $SWEEP_DEATH_MARKER, remembers)."""
    marker = os.environ["SWEEP_DEATH_MARKER"]
    if not os.path.exists(marker):
        with open(marker, "w") as handle:
            handle.write("died once\n")
        os._exit(3)
    return leader_value(eq)


def kills_at_point(eq: pr.Equilibrium) -> float:
    """Kills its worker process every time it measures the race with discount 0.1 and scale 1.0."""
    if eq.model.discount == 0.1 and eq.model.cost[0].scale == 1.0:
        os._exit(3)
    return leader_value(eq)


def value_as_object(eq: pr.Equilibrium) -> Fraction:
    """Firm 0's value at (0, 0) as an exact fraction: a type a checkpoint cannot store."""
    return Fraction(leader_value(eq))
