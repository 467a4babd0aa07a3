"""Hypothesis strategies: random races as the issue asks for them.

Asymmetric stage counts 1..8, power costs with exponents in [1.5, 4] and linear
terms, learning curves, discounts from 1e-4 to 1.
"""

from hypothesis import settings
from hypothesis import strategies as st

import patentrace as pr


def examples(count: int) -> int:
    """``count`` examples under the default profile, scaled in proportion under another one (thorough: 5x).

    For tests that set their own ``max_examples``; read when the test module is imported, after
    ``tests/conftest.py`` has loaded the profile.
    """
    return max(1, count * settings.default.max_examples // settings.get_profile("default").max_examples)


@st.composite
def costs(draw: st.DrawFn, linear: bool = True) -> pr.costs.Power:
    scale = draw(st.floats(0.2, 5.0))
    exponent = draw(st.one_of(st.just(2.0), st.floats(1.5, 4.0)))
    m = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.2))) if linear else 0.0
    return pr.costs.Power(scale=scale, exponent=exponent, linear=m)


@st.composite
def races(draw: st.DrawFn, max_stages: int = 8, linear: bool = True, loser: bool = True) -> pr.Race:
    n1 = draw(st.integers(1, max_stages))
    n2 = draw(st.integers(1, max_stages))
    prize = draw(st.floats(0.5, 5.0))
    loser_prize = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.5))) * prize if loser else 0.0
    discount = 10.0 ** draw(st.floats(-4.0, 0.0))
    cost = draw(st.one_of(costs(linear).map(lambda c: (c, c)), st.tuples(costs(linear), costs(linear))))
    productivity = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.lists(st.floats(0.3, 3.0), min_size=n1, max_size=n1),
                st.lists(st.floats(0.3, 3.0), min_size=n2, max_size=n2),
            ),
        )
    )
    return pr.Race(
        stages=(n1, n2), prize=prize, discount=discount, cost=cost, loser_prize=loser_prize, productivity=productivity
    )


def swapped(race: pr.Race) -> pr.Race:
    """The same race with the firms' roles exchanged."""
    return pr.Race(
        stages=race.stages[::-1],
        prize=race.prize,
        discount=race.discount,
        cost=race.cost[::-1],
        loser_prize=race.loser_prize,
        productivity=race.productivity[::-1],
        breakthrough=race.breakthrough[::-1],
    )
