"""The exact bimatrix oracle (tests/oracle_bimatrix.py) against games whose equilibria are known by hand."""

from fractions import Fraction

import nashpy
import numpy as np
import pytest

from tests import oracle_bimatrix as oracle


def test_battle_of_the_sexes_has_its_three_equilibria():
    # pure (0, 0) and (1, 1); mixed: the row player mixes to make the column player indifferent, 2/3 and 1/3
    found = oracle.extreme_equilibria(np.array([[2, 0], [0, 1]]), np.array([[1, 0], [0, 2]]))
    half = (Fraction(2, 3), Fraction(1, 3)), (Fraction(1, 3), Fraction(2, 3))
    assert sorted(found) == sorted([((1, 0), (1, 0)), ((0, 1), (0, 1)), half])
    assert not oracle.degenerate(np.array([[2, 0], [0, 1]]), np.array([[1, 0], [0, 2]]))


def test_matching_pennies_has_one_equilibrium_exactly_one_half():
    pennies = np.array([[1, -1], [-1, 1]])
    assert oracle.extreme_equilibria(pennies, -pennies) == [((Fraction(1, 2),) * 2, (Fraction(1, 2),) * 2)]


def test_a_degenerate_game_keeps_the_vertex_nashpy_misses():
    # Row 1 earns 1 against every column mix with y1 = y2 and y3 = 0, and is a best response only there; the
    # column player is indifferent against row 1. So (e_1, (1/2, 1/2, 0)) is an extreme equilibrium (found by hand),
    # which nashpy 0.0.43's float vertex enumeration does not return.
    first = np.array([[0, 2, 1], [1, 1, 0], [2, 0, 0]])
    second = np.array([[1, 1, 1], [0, 0, 0], [0, 0, 2]])
    assert oracle.degenerate(first, second)
    found = oracle.extreme_equilibria(first, second)
    assert ((0, 1, 0), (Fraction(1, 2), Fraction(1, 2), 0)) in found
    for x, y in found:
        assert oracle.is_equilibrium(first, second, np.array(x, dtype=float), np.array(y, dtype=float), atol=0.0)


def test_what_an_enumeration_may_return_depends_on_degeneracy():
    # Row 0 is dominant and the column player is indifferent: equilibria are (e_0, y) for every y (by hand),
    # a component whose extreme points are y = e_0 and y = e_1; its midpoint is an equilibrium but not extreme.
    first, second = np.array([[1.0, 1.0], [0.0, 0.0]]), np.ones((2, 2))
    middle = np.array([0.5, 0.5])
    assert oracle.degenerate(first, second)
    assert not oracle.is_extreme_equilibrium(first, second, np.array([1.0, 0.0]), middle)
    assert oracle.is_enumerated_equilibrium(first, second, np.array([1.0, 0.0]), middle)
    assert not oracle.is_enumerated_equilibrium(first, second, np.array([0.0, 1.0]), middle)  # row 1 is dominated
    # battle of the sexes (nondegenerate): the mixed equilibrium is enumerated, a miscoordinated pair is not
    battle, other = np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])
    assert oracle.is_enumerated_equilibrium(battle, other, np.array([2 / 3, 1 / 3]), np.array([1 / 3, 2 / 3]))
    assert not oracle.is_enumerated_equilibrium(battle, other, np.array([1.0, 0.0]), np.array([0.0, 1.0]))


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_nashpy_vertex_enumeration_on_generic_games(seed: int):
    # generic (normal) payoffs: nondegenerate with probability one, where nashpy's vertex enumeration is complete
    rng = np.random.default_rng(seed)
    m, n = (int(k) for k in rng.integers(2, 6, size=2))
    first, second = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    assert not oracle.degenerate(first, second)
    ours = oracle.extreme_equilibria(first, second)
    theirs = list(nashpy.Game(first, second).vertex_enumeration())
    assert len(ours) == len(theirs) and len(ours) % 2 == 1  # a nondegenerate game has an odd number
    for x, y in theirs:
        assert oracle.is_extreme_equilibrium(first, second, x, y, atol=1e-9)


def test_refuses_payoffs_of_different_shapes():
    with pytest.raises(ValueError, match=r"payoffs must both be m x n, got 2 x 2 and 3 x 2"):
        oracle.extreme_equilibria(np.eye(2), np.ones((3, 2)))
