"""Cost.check runs once per power cost (a sweep builds thousands of races with one cost), and refuses as before."""

from dataclasses import dataclass, field

import numpy as np
import pytest

import patentrace as pr
from patentrace.models import costs


def test_equal_shipped_costs_are_checked_on_the_grid_once(monkeypatch: pytest.MonkeyPatch):
    calls = []
    original = costs.Cost._check_on_grid

    def counted(self: costs.Cost) -> None:
        calls.append(self)
        original(self)

    monkeypatch.setattr(costs.Cost, "_check_on_grid", counted)
    costs._check_shipped.cache_clear()
    for discount in np.linspace(0.01, 0.2, 50):
        # a new but equal cost object at every race, as make_model builds them in a sweep
        pr.Race(stages=(3, 2), prize=1.0, discount=float(discount), cost=pr.costs.Power(scale=0.7, exponent=2.5))
    assert calls == [pr.costs.Power(scale=0.7, exponent=2.5)]
    pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Power(scale=0.7, exponent=2.25))  # other numbers
    pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=0.7))  # another type, equal numbers
    assert len(calls) == 3


def test_a_failing_check_is_not_remembered():
    # x^400 / 400 overflows on [0, 1000]: refused, and refused again (a failure is never cached as a pass)
    for _ in range(2):
        with pytest.raises(ValueError, match="must be finite"):
            pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=400.0))


def test_user_costs_are_still_checked_every_time():
    class Twice(pr.costs.Quadratic):  # marginal is not the derivative of value
        def marginal(self, x):  # type: ignore[override]
            return 2 * np.asarray(x, dtype=float)

    for _ in range(2):
        with pytest.raises(ValueError, match="not the derivative"):
            pr.Race(stages=2, prize=1.0, discount=0.1, cost=Twice())


def test_an_unhashable_frozen_subclass_is_checked_without_the_memory():
    @dataclass(frozen=True)
    class Tagged(pr.costs.Power):
        tags: list[str] = field(default_factory=list)

    race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=Tagged(scale=1.0, exponent=2.0, tags=["a"]))
    # one stage each, c(x) = x^2 / 2, P = 1, r = 0.1: G(x) = x (r + 2 x) - x^2 / 2 = r P + x P, i.e.
    # 15 x^2 - 9 x - 1 = 0 at the symmetric equilibrium
    assert pr.solve(race).effort[0, 0, 0] == pytest.approx((9 + 141**0.5) / 30, rel=1e-12)
