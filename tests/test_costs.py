"""Costs: values, derivatives, the best response of docs/theory/race.md (1), sympy forms, validation."""

import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

import patentrace as pr
from patentrace.costs import Cost, Power, Quadratic, exact_rational


def equation_one(cost: Cost, x: float, rate: float) -> float:
    """Left side of docs/theory/race.md (1) in the form c'(x)(s + x) - c(x)."""
    return float(cost.marginal(x) * (rate + x) - cost.value(x))


@given(
    scale=st.floats(0.1, 10.0),
    exponent=st.floats(1.2, 5.0),
    linear=st.floats(0.0, 0.5),
    target=st.floats(1e-6, 10.0),
    rate=st.floats(1e-4, 10.0),
)
def test_power_best_response_matches_brentq(scale: float, exponent: float, linear: float, target: float, rate: float):
    cost = Power(scale=scale, exponent=exponent, linear=linear)
    x = float(cost.best_response(target, rate))
    if linear * rate >= target:
        assert x == 0.0  # docs/theory/race.md (7): idles exactly where c'(0) s >= q
        return
    reference = brentq(lambda y: equation_one(cost, y, rate) - target, 0.0, 1e6, xtol=1e-300, rtol=1e-15)
    assert x == pytest.approx(reference, rel=1e-12)


def test_quadratic_closed_form_of_spec():
    # x = -(r + h) + sqrt((r + h)^2 + 2 q / a) for a = 1, lambda = 1
    a, r, h, q = 2.0, 0.1, 0.3, 0.7
    x = float(Quadratic(scale=a).best_response(q, r + h))
    assert x == pytest.approx(-(r + h) + math.sqrt((r + h) ** 2 + 2 * q / a), rel=1e-14)


@pytest.mark.parametrize("exponent", [1.5, 2.0, 3.0])
def test_best_response_keeps_relative_precision_for_tiny_gains(exponent: float):
    # far-behind states: q of 1e-30 and below must not lose the root
    cost = Power(scale=1.0, exponent=exponent)
    for q in (1e-30, 1e-100, 1e-140):  # x ~ q^(1/(g-1)) stays above 1e-300
        x = float(cost.best_response(q, 0.1))
        assert x > 0.0
        assert equation_one(cost, x, 0.1) == pytest.approx(q, rel=1e-12)


def test_generic_best_response_of_a_user_cost_agrees_with_power():
    class Cubic(Cost):
        def value(self, effort):
            return np.asarray(effort, dtype=float) ** 3 / 3 + 0.1 * np.asarray(effort, dtype=float)

        def marginal(self, effort):
            return np.asarray(effort, dtype=float) ** 2 + 0.1

        def expression(self, effort=None):
            x = effort if effort is not None else sympy.Symbol("x")
            return x**3 / 3 + x / 10

    user, shipped = Cubic(), Power(scale=1.0, exponent=3.0, linear=0.1)
    targets = np.array([0.001, 0.05, 0.3, 2.0, 40.0])
    rates = np.array([0.5, 0.2, 1.0, 0.05, 3.0])
    np.testing.assert_allclose(user.best_response(targets, rates), shipped.best_response(targets, rates), rtol=1e-10)
    np.testing.assert_allclose(user.inverse_marginal([0.05, 1.1, 4.1]), [0.0, 1.0, 2.0], rtol=1e-12, atol=0)


def test_inverse_marginal_inverts_marginal():
    cost = Power(scale=2.0, exponent=2.5, linear=0.3)
    x = np.array([0.0, 0.01, 1.0, 7.0])
    np.testing.assert_allclose(cost.inverse_marginal(cost.marginal(x)), x, rtol=1e-13, atol=1e-15)
    assert float(cost.inverse_marginal(0.1)) == 0.0  # below c'(0)


def test_sympy_expression_is_exact():
    x = sympy.Symbol("x")
    expr = Quadratic(scale=1.0, linear=0.05).expression(x)
    assert sympy.simplify(expr - (x / 20 + x**2 / 2)) == 0
    assert exact_rational(0.05) == sympy.Rational(1, 20)
    value = Power(scale=0.5, exponent=3.0, linear=0.25).expression(x).subs(x, 2)
    assert value == sympy.Rational(1, 2) + sympy.Rational(4, 3)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"scale": 0.0}, "scale"),
        ({"scale": -1.0}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"exponent": 1.0}, "exponent"),
        ({"exponent": 0.5}, "exponent"),
        ({"linear": -0.1}, "linear"),
        ({"linear": float("inf")}, "linear"),
    ],
)
def test_bad_cost_parameters_raise_naming_them(kwargs: dict, name: str):
    with pytest.raises(ValueError, match=name):
        Power(**kwargs)


@pytest.mark.parametrize("bad", ["1", None, True, 1 + 2j])
def test_non_numbers_raise_type_error(bad: object):
    with pytest.raises(TypeError, match="scale"):
        Quadratic(scale=bad)  # type: ignore[arg-type]


def test_race_refuses_a_non_convex_user_cost():
    class Concave(Cost):
        def value(self, effort):
            return np.sqrt(np.asarray(effort, dtype=float))

        def marginal(self, effort):
            x = np.asarray(effort, dtype=float)
            return 0.5 / np.sqrt(np.maximum(x, 1e-300))

        def expression(self, effort=None):
            return sympy.sqrt(effort if effort is not None else sympy.Symbol("x"))

    with pytest.raises(ValueError, match=r"not convex|finite"):
        pr.Race(stages=2, prize=1.0, discount=0.1, cost=Concave())
