"""Exact and certified equilibria of a [`Race`][patentrace.Race] with power costs (docs/theory/race.md).

At an open state with continuation values ``A_k`` (own success) and ``B_k`` (rival
success), the equilibrium efforts solve the two first-order conditions,
docs/theory/race.md (1),

    F_k(x_0, x_1) = c_k'(x_k) (R + lambda_k x_k + lambda_o x_o) / lambda_k - c_k(x_k)
                    - R A_k - lambda_o x_o (A_k - B_k) + b_k P + b_o L = 0,

with ``R = r + b_0 + b_1``, where ``b_0 = b_0(i)``, ``b_1 = b_1(j)`` are the
breakthrough hazards at the state (docs/theory/race.md (14)-(15), "Breakthroughs"; without them
``b = 0``, ``R = r`` and the extra terms are absent, so the expressions are those of
(1) itself). This is a polynomial system when every exponent ``g`` of
``c(x) = m x + a x**g / g`` is an integer, and each value follows from the HJB,
``V_k = [-c_k(x_k) + lambda_k x_k A_k + lambda_o x_o B_k + b_k P + b_o L] / (R + lambda_0 x_0 + lambda_1 x_1)``.
Breakthrough rates are numbers of the race, turned into exact rationals like the
other parameters (``0.05`` is ``1/20``); they cannot stay symbolic. They change no
degree, so every representation below covers them; what changes is where each
applies: a state is symmetric only if ``b_0(i) = b_1(j)`` too, and with ``b > 0`` a
firm may idle even when ``c'(0) = 0`` (the right side of the condition is negative).
Each firm's probability of winning, ``W_k``, is built from the efforts in the same
representation ([`SymbolicEquilibrium.win_probability`][patentrace.symbolic.SymbolicEquilibrium.win_probability]).
[`solve`][patentrace.symbolic.solve] represents every state's efforts and values in one of four ways and
says which ([`SymbolicEquilibrium.form`][patentrace.symbolic.SymbolicEquilibrium.form]):

``"closed form"``
    Radicals, where they exist: at a **symmetric** state (equal firms, equal
    continuation, equal breakthrough hazards) ``F(x, x) = 0`` is one polynomial of
    degree ``g`` in ``x``; where a firm **idles** its rival plays the single-firm
    condition, again one polynomial in one unknown; the one-stage race with equal
    hazards is both. Parameters named in ``symbols`` stay
    sympy symbols; the branch is the one that is the equilibrium at the model's
    parameter values (so the formula holds on the region around them where that
    branch stays the equilibrium).
``"implicit"``
    Elsewhere, when parameters are symbolic: the efforts are algebraic functions of
    the symbols with no radicals in general. Each is an
    [`ImplicitEffort`][patentrace.solvers.symbolic.implicit.ImplicitEffort], ``x_0[1,0](P, r)``: the
    root of the state's system [`SymbolicEquilibrium.system`][patentrace.symbolic.SymbolicEquilibrium.system] on the
    branch
    through the certified equilibrium at the model's values. Values that depend on
    such efforts are named ([`StateValue`][patentrace.solvers.symbolic.implicit.StateValue],
    ``V_0[1,0](P, r)``, whose ``definition`` is the HJB value), so every state's
    expression stays short. Derivatives are exact by the implicit function theorem;
    [`SymbolicEquilibrium.evaluate`][patentrace.symbolic.SymbolicEquilibrium.evaluate] and
    [`SymbolicEquilibrium.lambdify`][patentrace.symbolic.SymbolicEquilibrium.lambdify]
    give numbers at any parameter values, following the branch.
``"root of polynomial"``
    Elsewhere, with every parameter a number: the effort is an algebraic number,
    given exactly as a ``CRootOf`` of an explicit polynomial with rational
    coefficients (and an isolating interval,
    [`SymbolicEquilibrium.polynomial`][patentrace.symbolic.SymbolicEquilibrium.polynomial]).
    The polynomial comes from resultants: ``x_1`` is eliminated from the pair
    ``F_0, F_1``, and each continuation value through its own polynomial. The
    irreducible factor that vanishes at the certified solution is kept. Degrees
    multiply from state to state, so this stops being practical after a few stages
    (see ``docs/symbolic.md``); past ``MAX_DEGREE`` it is refused.
``"certified"``
    Otherwise: an mpmath number to ``digits`` significant digits, from Newton's
    method on ``(F_0, F_1)`` at ``digits + 20`` digits started at
    [`patentrace.solve`][patentrace.solve]'s equilibrium; the residual of both conditions, evaluated
    in interval arithmetic at the stored numbers, is bounded below ``10**-digits``
    (relative to the prize), or [`EquilibriumError`][patentrace.EquilibriumError] is raised.

Every state's solution, whatever its form, is the equilibrium that
[`patentrace.solve`][patentrace.solve] selects (rule ``"fastest"``), computed again at high precision.

Examples
--------
>>> import patentrace as pr
>>> sym = solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), symbols=("prize",))
>>> sym.effort(0, 0, 0)
P/3 + sqrt(60*P + (10*P - 1)**2)/30 - 1/30
>>> lucky = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(), breakthrough=[0.2])
>>> solve(lucky).effort(0, 0, 0)         # [(P - L - a R) + sqrt((P - L - a R)^2 + 6 a ((r + b) P - b L))]/(3a)
1/6 + sqrt(205)/30
"""

from patentrace.solvers.symbolic.algebraic import MAX_DEGREE
from patentrace.solvers.symbolic.closed_forms import single_firm
from patentrace.solvers.symbolic.conditions import PARAMETERS
from patentrace.solvers.symbolic.equilibrium import SymbolicEquilibrium
from patentrace.solvers.symbolic.induction import solve

__all__ = ["MAX_DEGREE", "PARAMETERS", "SymbolicEquilibrium", "single_firm", "solve"]
