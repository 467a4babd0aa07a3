"""SymbolicEquilibrium.polynomial: an exact number's polynomial, and the documented ValueError otherwise (issue 20)."""

import numpy as np
import pytest
import sympy

import patentrace as pr


def test_certified_number_raises_the_documented_value_error():
    # Issue 20: with c(x) = x^2.5 / 2.5 the one-stage race's effort is a certified decimal (form "certified"),
    # and polynomial() used to raise sympy's NotAlgebraic, which is not a ValueError.
    race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=2.5))
    sym = pr.symbolic.solve(race)
    assert sym.form(0, 0) == "certified"
    for quantity in ("effort", "value"):
        with pytest.raises(ValueError, match=rf"{quantity} of firm 1 at \(0, 0\) .*certified") as caught:
            sym.polynomial(quantity, 1, 0, 0)
        assert not isinstance(caught.value, sympy.polys.polyerrors.NotAlgebraic)


def test_closed_form_next_to_a_certified_state_still_has_its_polynomial():
    # The (2, 1) race with cubic costs: (1, 0) has a closed form, (0, 0) only a certified number.
    race = pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=3.0))
    sym = pr.symbolic.solve(race)
    assert (sym.form(1, 0), sym.form(0, 0)) == ("closed form", "certified")
    with pytest.raises(ValueError, match=r"effort of firm 0 at \(0, 0\)"):
        sym.polynomial("effort", 0, 0, 0)
    poly, (lo, hi) = sym.polynomial("effort", 0, 1, 0)
    # Independent of sympy's algebra: the numeric solver's effort lies in the interval and is a root.
    x = float(pr.solve(race).effort[0, 1, 0])
    assert float(lo) <= x <= float(hi)
    coefficients = [float(c) for c in poly.all_coeffs()]
    scale = float(np.polyval(np.abs(coefficients), abs(x)))
    assert abs(np.polyval(coefficients, x)) <= 1e-12 * scale


def test_exact_root_of_the_one_stage_quadratic_race():
    # c(x) = x^2 / 2, P = 1, r = 0.1: the lone firm's first-order condition gives 15 x^2 - 9 x - 1 = 0 (docstring)
    sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    poly, (lo, hi) = sym.polynomial("effort", 0, 0, 0)
    x = sympy.Symbol("x")
    assert sympy.expand(poly.as_expr().subs(poly.gen, x) - (15 * x**2 - 9 * x - 1)) == 0
    root = (9 + sympy.sqrt(141)) / 30
    assert lo <= root <= hi
