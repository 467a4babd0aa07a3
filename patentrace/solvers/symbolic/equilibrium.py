"""The symbolic solver's result: every state's efforts and values as sympy expressions (docs/theory/race.md).

Which of the four forms a state takes is [`SymbolicEquilibrium.form`][patentrace.symbolic.SymbolicEquilibrium.form]; the
expressions can be evaluated, differentiated and turned into functions of the
parameters that follow the certified branch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from mpmath.libmp import to_rational
from numpy.typing import NDArray
from sympy.polys.polyerrors import NotAlgebraic

from patentrace.errors import EquilibriumError
from patentrace.models import Race
from patentrace.models.costs import exact_rational
from patentrace.models.lattice import check_state
from patentrace.solvers import _mp as mp
from patentrace.solvers.symbolic.algebraic import _isolate
from patentrace.solvers.symbolic.certified import _certified
from patentrace.solvers.symbolic.conditions import (
    _X,
    _X1,
    _X2,
    PARAMETERS,
    _Numbers,
    _shift,
    _State,
    _substitute,
    _symmetric,
    conditions,
)
from patentrace.solvers.symbolic.implicit import (
    BranchFollower,
    ImplicitEffort,
    StateValue,
    real,
)

__all__ = ["SymbolicEquilibrium"]


class SymbolicEquilibrium:
    """The equilibrium of a race as sympy expressions, exact or certified (see [`solve`][patentrace.solve]).

    Attributes
    ----------
    model : Race
        The race.
    symbols : dict of str to sympy.Symbol
        The parameters kept symbolic, by name (``"prize"`` maps to ``P``, ...).
    digits : int
        Digits of the certified numbers.
    seconds : float
        Time taken by [`solve`][patentrace.solve].
    parameters : tuple of sympy.Symbol
        The symbolic parameters in a fixed order (that of ``PARAMETERS``).
    point : dict of sympy.Symbol to sympy.Rational
        The model's values of the symbolic parameters (``subs`` it to evaluate).

    Examples
    --------
    >>> import patentrace as pr
    >>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> round(float(sym.value(0, 0, 0)), 10), sym.form(1, 1)     # V(0, 0) of docs/theory/race.md
    (0.1795728262, 'closed form')
    """

    def __init__(self, model: Race, symbols: dict[str, sympy.Symbol], digits: int,
                 states: dict[tuple[int, int], _State], numbers: _Numbers,
                 polynomials: dict[tuple[str, int, int, int], sympy.Poly], seconds: float):
        self.model = model
        self.symbols = dict(symbols)
        self.digits = digits
        self.seconds = seconds
        self._states = states
        self._numbers = numbers
        self._polynomials = polynomials
        self.parameters = tuple(self.symbols[n] for n in PARAMETERS if n in self.symbols)
        self.point = {s: exact_rational(getattr(model, n) if n in ("prize", "discount", "loser_prize")
                                        else getattr(model.cost[0], n)) for n, s in self.symbols.items()}
        self._compiled: tuple[BranchFollower, list[Any], list[Any]] | None = None
        self._sequence: list[Any] = []
        self._win: dict[tuple[int, int, int], sympy.Expr] = {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SymbolicEquilibrium):
            return NotImplemented
        from patentrace.solvers.symbolic.stored import same

        return same(self, other)

    __hash__ = None  # type: ignore[assignment]  # equal by value

    def to_dict(self) -> dict[str, Any]:
        """The recipe and every state's form and expressions as text (see ``patentrace.solvers.symbolic.stored``).

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sym.to_dict()["states"][0][3]
        '3/10 + sqrt(141)/30'
        """
        from patentrace.solvers.symbolic.stored import symbolic_to_dict

        return symbolic_to_dict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str = "data") -> SymbolicEquilibrium:
        """Solve the saved race again and check it against the saved record: equal (``==``) to what was saved.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> SymbolicEquilibrium.from_dict(sym.to_dict()) == sym
        True
        """
        from patentrace.solvers.symbolic.stored import symbolic_from_dict

        return symbolic_from_dict(data, where)

    def __repr__(self) -> str:
        forms = sorted({s.form for s in self._states.values()})
        return f"SymbolicEquilibrium(stages={self.model.stages}, symbols={sorted(self.symbols)}, forms={forms})"

    def _terminal(self, firm: int, i: int, j: int) -> sympy.Expr | None:
        n1, n2 = self.model.stages
        p, loser = self._numbers.prize, self._numbers.loser
        if i == n1:
            return p if firm == 0 else loser
        if j == n2:
            return loser if firm == 0 else p
        return None

    def _check(self, firm: int, i: int, j: int) -> tuple[int, int]:
        if firm not in (0, 1):
            raise ValueError(f"firm must be 0 or 1, got {firm!r}")
        return check_state((i, j), self.model.stages)

    def effort(self, firm: int, i: int, j: int) -> sympy.Expr:
        """Firm ``firm``'s effort at ``(i, j)`` (0 at terminal states).

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sym.effort(0, 0, 0)
        3/10 + sqrt(141)/30
        """
        i, j = self._check(firm, i, j)
        if self._terminal(firm, i, j) is not None:
            return sympy.Integer(0)
        return self._states[(i, j)].effort[firm]

    def value(self, firm: int, i: int, j: int) -> sympy.Expr:
        """Firm ``firm``'s value at ``(i, j)``; the prize or loser prize at terminal states.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sympy.nsimplify(sym.value(0, 0, 0) - (1 - sym.effort(0, 0, 0)))   # V = P - a x*
        0
        """
        i, j = self._check(firm, i, j)
        terminal = self._terminal(firm, i, j)
        if terminal is not None:
            return terminal
        return self._states[(i, j)].value[firm]

    def form(self, i: int, j: int) -> str:
        """How the state's solution is represented: "closed form", "implicit", "root of polynomial" or "certified".

        Examples
        --------
        >>> import patentrace as pr
        >>> pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).form(0, 0)
        'closed form'
        """
        i, j = self._check(0, i, j)
        return self._states[(i, j)].form

    def residual(self, i: int, j: int) -> float:
        """Bound on the residual of the state's conditions ``(F_0, F_1)`` at the stored numbers, relative to the prize.

        For closed forms and exact roots it is the bound at their ``digits``-digit values.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()), digits=30)
        >>> sym.residual(0, 0) < 1e-30
        True
        """
        i, j = self._check(0, i, j)
        return self._states[(i, j)].residual

    def system(self, i: int, j: int) -> tuple[sympy.Expr, sympy.Expr]:
        """The per-state system ``(F_0, F_1)`` of docs/theory/race.md (1) in the efforts ``x_0, x_1``.

        The continuation values of this equilibrium are substituted; symbolic
        parameters stay symbols.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sym.system(0, 0)[0]
        x_0**2/2 + x_0*x_1 + x_0/10 - x_1 - 1/10
        """
        i, j = self._check(0, i, j)
        if (i, j) not in self._states:
            raise ValueError(f"state {(i, j)} is terminal: it has no system")
        lam, own, rival = self._continuation(i, j)
        f1, f2 = conditions(self._numbers, lam, own, rival, breakthrough=self._numbers.rates(i, j))
        return sympy.expand(f1), sympy.expand(f2)

    def _continuation(self, i: int, j: int) -> tuple[Any, Any, Any]:
        lam = (self._numbers.productivity[0][i], self._numbers.productivity[1][j])
        own = (self.value(0, i + 1, j), self.value(1, i, j + 1))
        rival = (self.value(0, i, j + 1), self.value(1, i + 1, j))
        return lam, own, rival

    def win_probability(self, firm: int, i: int, j: int) -> sympy.Expr:
        """Firm ``firm``'s probability of winning from ``(i, j)`` under equilibrium play (docs/theory/race.md (12)).

        The embedded jump chain with breakthroughs:
        ``W_0(i, j) = [h_0 W_0(i+1, j) + h_1 W_0(i, j+1) + b_0] / (h_0 + h_1 + b_0 + b_1)``,
        ``h_k = lambda_k x_k`` the stage hazards and ``b_k`` the breakthrough hazards at
        the state. Terminal states give 1 to the winner and 0 to the loser; a state
        where nothing can happen (both firms idle, no breakthrough) gives 0 to both,
        the race stalls there (the conventions of
        ``patentrace.Equilibrium.win_probability``). The unreachable corner
        ``(N0, N1)`` raises ValueError, as for [`effort`][patentrace.symbolic.SymbolicEquilibrium.effort].
        The expression is in the same representation as the efforts (radicals,
        ``CRootOf``, implicit efforts or certified numbers); it is built once per state
        and cached.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(),
        ...                breakthrough=([0.2], [0.0]))
        >>> w = pr.symbolic.solve(race).win_probability(0, 0, 0)
        >>> round(float(w), 10) == round(float(pr.solve(race).win_probability[0, 0, 0]), 10)
        True
        """
        i, j = self._check(firm, i, j)
        n1, n2 = self.model.stages
        if i == n1 or j == n2:
            return sympy.Integer(1 if (i == n1) == (firm == 0) else 0)
        key = (firm, i, j)
        if key not in self._win:
            lam = (self._numbers.productivity[0][i], self._numbers.productivity[1][j])
            b = self._numbers.rates(i, j)
            h = (lam[0] * self.effort(0, i, j), lam[1] * self.effort(1, i, j))
            total = h[0] + h[1] + b[0] + b[1]
            if total == 0:
                self._win[key] = sympy.Integer(0)
            else:
                self._win[key] = (h[0] * self.win_probability(firm, i + 1, j)
                                  + h[1] * self.win_probability(firm, i, j + 1) + b[firm]) / total
        return self._win[key]

    def polynomial(
        self, quantity: str, firm: int, i: int, j: int
    ) -> tuple[sympy.Poly, tuple[sympy.Rational, sympy.Rational]]:
        """The polynomial with rational coefficients and the isolating interval of an exact root.

        A root of a polynomial (form ``"root of polynomial"``) returns its stored polynomial at
        once. A closed form is converted by sympy's ``minimal_polynomial``, which can take tens
        of seconds where the radicals nest roots of polynomials: at the symmetric state (0, 0)
        of the symmetric two-stage race (``P = 1``, ``r = 0.1``, ``c = x^2/2``; a polynomial of
        degree 16) it took 15 s on a 2-core AMD EPYC machine (77 s with the machine loaded by
        other jobs; 22 s in the report of issue 20), against milliseconds at (1, 0) and (1, 1).
        The value's polynomial at that state takes longer still (unfinished after 8 minutes on
        the loaded machine).

        Parameters
        ----------
        quantity : {"effort", "value"}
            Which number.
        firm, i, j : int
            Whose, and where.

        Raises
        ------
        ValueError
            If the number is not represented as a root of a polynomial: it depends on
            symbolic parameters, or it holds numbers only certified to ``digits`` digits
            (the state's form, or a form it continues to, is "certified").

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> sym.polynomial("effort", 0, 0, 0)[0].as_expr()
        15*x**2 - 9*x - 1
        """
        if quantity not in ("effort", "value"):
            raise ValueError(f"quantity must be 'effort' or 'value', got {quantity!r}")
        expr = self.value(firm, i, j) if quantity == "value" else self.effort(firm, i, j)
        key, mirror = (quantity, firm, i, j), (quantity, 1 - firm, j, i)
        if key in self._polynomials:
            poly = self._polynomials[key]
        elif mirror in self._polynomials and _symmetric(self.model):
            poly = self._polynomials[mirror]
        elif expr.free_symbols:
            names = sorted(map(str, expr.free_symbols))
            raise ValueError(f"{quantity} of firm {firm} at {(i, j)} depends on symbols {names}")
        else:
            poly = self._minimal_polynomial(expr, f"{quantity} of firm {firm} at {(i, j)}", (i, j))
        # A closed form through complex radicals (a cubic's casus irreducibilis) evaluates to the real root
        # plus an imaginary part that is zero to the precision asked for: the real part is the number.
        real_part, imaginary = sympy.N(expr, self.digits + 10).as_real_imag()
        if abs(imaginary) > sympy.Float(10) ** -self.digits * (1 + abs(real_part)):
            raise ValueError(f"{quantity} of firm {firm} at {(i, j)} evaluates to the complex number "
                             f"{real_part} + {imaginary}*I, not a real number")
        interval = _isolate(poly, mp.mpf(real_part))
        return poly, interval

    def _minimal_polynomial(self, expr: sympy.Expr, what: str, state: tuple[int, int]) -> sympy.Poly:
        """The minimal polynomial of an exact number, or a ValueError saying why there is none.

        A number certified to ``digits`` digits (form "certified", or an exact
        formula in such numbers from the states it continues to) is a decimal, not
        an algebraic number given exactly, so it has no polynomial to return.
        """
        if expr.has(sympy.Float):
            raise ValueError(
                f"{what} is not an exact algebraic number: it holds numbers certified to {self.digits} digits "
                f"(the form at {state} is {self.form(*state)!r}; polynomial() needs exact forms, 'closed form' or "
                "'root of polynomial', here and at the states it continues to)"
            )
        try:
            return sympy.Poly(sympy.minimal_polynomial(expr, _X), _X)
        except NotAlgebraic as err:
            raise ValueError(f"{what} is not an algebraic number that sympy can find a polynomial of ({err})") from err

    def lambdify(self) -> Callable[..., tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """Fast numeric functions of the symbolic parameters: ``f(**parameters) -> (effort, value)``.

        The arrays have shape ``(2, N0 + 1, N1 + 1)`` as in [`Equilibrium`][patentrace.Equilibrium];
        parameters are passed by name (``prize=...``) and may be numpy arrays
        (the result then has their shape appended).

        Raises
        ------
        ValueError
            If no parameter is symbolic.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> f = pr.symbolic.solve(race, symbols=("discount",)).lambdify()
        >>> effort, value = f(discount=0.1)
        >>> round(float(effort[0, 0, 0]), 10)
        0.6958114029
        """
        if not self.symbols:
            raise ValueError("lambdify needs symbolic parameters: pass symbols=(...) to solve")
        names = [n for n in PARAMETERS if n in self.symbols]

        def evaluate(**parameters: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
            unknown = sorted(set(parameters) - set(names))
            missing = sorted(set(names) - set(parameters))
            if unknown or missing:
                raise ValueError(f"pass exactly the symbolic parameters {sorted(names)}; unknown {unknown}, "
                                 f"missing {missing}")
            return self.numeric(tuple(parameters[n] for n in names))

        return evaluate

    def evaluate(self, expr: sympy.Expr, digits: int | None = None, **parameters: Any) -> sympy.Float:
        """An expression of this equilibrium (e.g. a ``derivative``) as a number to ``digits`` digits.

        The symbols take the model's values, or those passed by name (``prize=...``);
        implicit efforts and named values are replaced by their certified numbers first,
        which is much faster than ``sympy.N`` on a large derivative.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> sym = pr.symbolic.solve(race, symbols=("prize", "discount"))
        >>> sym.evaluate(sym.value(0, 0, 0), 12)                 # docs/theory/race.md: V(0, 0)
        0.179572826168
        """
        digits = self.digits if digits is None else digits
        unknown = sorted(set(parameters) - set(self.symbols))
        if unknown:
            raise ValueError(f"evaluate: {unknown} are not symbolic parameters of this solution; "
                             f"choose from {sorted(self.symbols)}")
        values = dict(self.point)
        values.update({self.symbols[n]: exact_rational(v) if isinstance(v, float) else sympy.sympify(v)
                       for n, v in parameters.items()})
        memo: dict[sympy.Expr, sympy.Expr] = {}
        return sympy.Float(sympy.N(self._number(sympy.sympify(expr), values, digits + 10, memo), digits), digits)

    def _number(self, expr: sympy.Expr, values: dict[sympy.Symbol, sympy.Expr], dps: int,
                memo: dict[sympy.Expr, sympy.Expr]) -> sympy.Expr:
        """``expr`` at ``values``: derivatives of implicit quantities expanded state by state, with memo."""
        replace: dict[sympy.Expr, sympy.Expr] = {}
        for d in expr.atoms(sympy.Derivative):
            if not isinstance(d.expr, (ImplicitEffort, StateValue)):
                continue
            if d not in memo:
                if len(d.variable_count) != 1 or d.variable_count[0][1] != 1:
                    raise ValueError(f"evaluate: only first derivatives of implicit quantities are supported, got {d}")
                index = d.expr.args.index(d.variable_count[0][0]) + 1
                memo[d] = sympy.Float(sympy.N(self._number(d.expr.fdiff(index), values, dps, memo), dps), dps)
            replace[d] = memo[d]
        at = expr.xreplace(replace).xreplace(values)
        for a in at.atoms(ImplicitEffort, StateValue):
            if a not in memo:
                memo[a] = a.evalf(dps)
            replace[a] = memo[a]
        return at.xreplace(replace)

    def numeric(self, values: tuple[Any, ...]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Efforts and values, shape ``(2, N0 + 1, N1 + 1, *shape)``, at the symbolic parameters' ``values``.

        ``values`` follow ``parameters``' order and broadcast together. Implicit
        efforts follow the model's branch ([`BranchFollower`][patentrace.solvers.symbolic.implicit.BranchFollower]);
        the other states evaluate their expressions.

        Raises
        ------
        ValueError
            If the branch cannot be followed there, or an expression is not finite there
            (a closed form leaves its branch's region).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> effort, value = pr.symbolic.solve(race, symbols=("discount",)).numeric((0.1,))
        >>> round(float(effort[0, 0, 0]), 10)
        0.6958114029
        """
        n1, n2 = self.model.stages
        if self._compiled is None:
            follower = BranchFollower(self.parameters, [float(self.point[p]) for p in self.parameters], self._sequence)
            cells = [(k, i, j) for k in (0, 1) for i in range(n1 + 1) for j in range(n2 + 1) if (i, j) != (n1, n2)]
            self._compiled = (follower, [(c, follower.expression(self.effort(*c)),
                                          follower.expression(self.value(*c))) for c in cells], cells)
        follower, functions, _ = self._compiled
        arrays = [np.asarray(v, dtype=float) for v in values]
        shape = np.broadcast_shapes(*(v.shape for v in arrays))
        known = follower.follow(arrays)
        effort = np.zeros((2, n1 + 1, n2 + 1, *shape))
        value = np.zeros((2, n1 + 1, n2 + 1, *shape))
        value[:, n1, n2] = float(self.model.prize + self.model.loser_prize) / 2.0
        fine = True
        for cell, fe, fv in functions:
            for out, fn in ((effort, fe), (value, fv)):
                out[cell], ok = real(fn(arrays, known), shape)
                fine = fine and bool(ok.all())
        self._check_idle(arrays, effort, value)
        if not fine:
            at = dict(zip(map(str, self.parameters), values, strict=True))
            raise ValueError(f"the symbolic solution is not finite or not real at {at}: a closed form "
                             f"leaves the region where its branch is the equilibrium")
        return effort, value

    def isolate(self, i: int, j: int) -> tuple[tuple[sympy.Rational, sympy.Rational],
                                               tuple[sympy.Rational, sympy.Rational]]:
        """A box around an implicit state's efforts at the model's values that holds exactly one root of its system.

        Krawczyk's test in interval arithmetic at ``digits + 20`` digits: for the box
        ``X = y +- rho`` around the certified efforts ``y`` (``rho = 10**-(digits - 5)``
        relative), ``K(X) = y - Y F(y) + (I - Y J(X))(X - y)`` with ``Y = J(y)^-1``; if
        ``K(X)`` lies inside ``X``, the system has exactly one root in ``X``. The system's
        coefficients (continuation values and symbols at the model's values) enter as
        intervals of relative width ``10**-(digits + 10)``, which covers their own error.
        This identifies the branch: the implicit effort is that root at the model's values.

        Raises
        ------
        ValueError
            If the state is not implicit.
        EquilibriumError
            If the test fails.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
        ...             symbols=("prize", "discount"))
        >>> (lo, hi), _ = sym.isolate(1, 0)
        >>> hi - lo < 1e-20 and abs(lo - sympy.Rational(4686350713, 10**10)) < 1e-10   # docs/theory/race.md: x_0(1, 0)
        True
        """
        i, j = self._check(0, i, j)
        state = self._states.get((i, j))
        if state is None or state.form != "implicit":
            raise ValueError(f"state {(i, j)} is not implicit: isolate() applies to implicit efforts")
        dps = self.digits + 20
        f1, f2 = self.system(i, j)
        memo: dict[sympy.Expr, sympy.Expr] = {}
        values = dict(self.point)
        polys = [sympy.Poly(sympy.expand(self._number(f, values, dps, memo)), _X1, _X2) for f in (f1, f2)]
        old = mp.iv.dps
        mp.iv.dps = dps
        try:
            with mp.workdps(dps):
                width = mp.mpf(10) ** -(self.digits + 10)
                y = [mp.mpf(sympy.N(self.effort(k, i, j).subs(self.point), dps)) for k in (0, 1)]

                def coefficient(c: sympy.Expr) -> Any:
                    v = mp.mpf(sympy.N(c, dps))
                    return mp.iv.mpf([v - width * abs(v), v + width * abs(v)])

                terms = [[(e, coefficient(c)) for e, c in poly.terms()] for poly in polys]
                grads = [[[(e, coefficient(c)) for e, c in sympy.Poly(poly.diff(z), _X1, _X2).terms()]
                          for z in (_X1, _X2)] for poly in polys]

                def at(ts: list[Any], x: list[Any]) -> Any:
                    total = mp.iv.mpf(0)
                    for (p1, p2), c in ts:
                        total += c * x[0] ** p1 * x[1] ** p2
                    return total

                rho = mp.mpf(10) ** -(self.digits - 5) * (1 + max(abs(v) for v in y))
                box = [mp.iv.mpf([v - rho, v + rho]) for v in y]
                point = [mp.iv.mpf(v) for v in y]
                jy = mp.matrix([[mp.mpf(at(grads[a][b], point).mid) for b in (0, 1)] for a in (0, 1)])
                inverse = mp.inverse(jy)
                inv = {(a, b): mp.iv.mpf(inverse[a, b]) for a in (0, 1) for b in (0, 1)}
                fy = [at(terms[a], point) for a in (0, 1)]
                jx = [[at(grads[a][b], box) for b in (0, 1)] for a in (0, 1)]
                inside = True
                for a in (0, 1):
                    k_a = point[a] - (inv[a, 0] * fy[0] + inv[a, 1] * fy[1])
                    for b in (0, 1):
                        m_ab = (1 if a == b else 0) - (inv[a, 0] * jx[0][b] + inv[a, 1] * jx[1][b])
                        k_a += m_ab * (box[b] - point[b])
                    inside = inside and box[a].a < k_a.a and k_a.b < box[a].b
        finally:
            mp.iv.dps = old
        if not inside:
            raise EquilibriumError("Krawczyk's test failed: the box is not certified to hold exactly one root",
                                   (i, j), {"radius": float(rho)})
        def exact(end: tuple[Any, ...]) -> sympy.Rational:  # an interval's end, exactly (no rounding on the way)
            p, q = to_rational(end)
            return sympy.Rational(p, q)

        (a1, b1), (a2, b2) = box[0]._mpi_, box[1]._mpi_
        return ((exact(a1), exact(b1)), (exact(a2), exact(b2)))

    def _check_idle(self, arrays: list[NDArray[np.float64]], effort: NDArray[np.float64],
                    value: NDArray[np.float64]) -> None:
        """Raise where a firm idle at the model's values would invest (docs/theory/race.md (7), (14)).

        The firm idles iff ``c'(0)(R + h_o)/lambda >= R A + h_o (A - B) - b_k P - b_o L``,
        ``R = r + b_0 + b_1``.
        """
        nb = self._numbers
        for (i, j), state in self._states.items():
            for k in (0, 1):
                if state.effort[k] != 0:
                    continue
                o = 1 - k
                lam = (nb.productivity[0][i], nb.productivity[1][j])
                b = nb.rates(i, j)
                m, r, p, loser = (np.real(sympy.lambdify(self.parameters, e, "numpy")(*arrays))
                                  for e in (nb.linear[k], nb.discount, nb.prize, nb.loser))
                rate = r + float(b[0] + b[1])
                h_o = float(lam[o]) * effort[o, i, j]
                own = value[0, i + 1, j] if k == 0 else value[1, i, j + 1]
                rival = value[0, i, j + 1] if k == 0 else value[1, i + 1, j]
                slack = (m * (rate + h_o) / float(lam[k]) - rate * own - h_o * (own - rival)
                         + float(b[k]) * p + float(b[o]) * loser)
                if np.any(slack < -1e-12 * (1.0 + np.abs(rate * own))):
                    raise ValueError(f"firm {k} idles at state {(i, j)} at the model's parameters but would invest "
                                     f"at some of the values passed: the closed form there no longer holds")

    def derivative(self, quantity: str, parameter: str, firm: int = 0, state: tuple[int, int] = (0, 0)) -> sympy.Expr:
        """Comparative statics: d(quantity)/d(parameter) at a state (docs/theory/race.md).

        Parameters
        ----------
        quantity : {"effort", "value"}
            ``x_k`` or ``V_k``.
        parameter : {"prize", "discount", "scale", "loser_prize", "linear"}
            With respect to what. ``"scale"`` and ``"linear"`` move both firms' cost.
        firm : int
            ``k``.
        state : (int, int)
            The state.

        Returns
        -------
        sympy.Expr
            If the parameter is symbolic: the exact derivative (``sympy.diff``), a
            function of the symbols. Implicit efforts are differentiated by the
            implicit function theorem, ``dx/dtheta = -J^-1 dF/dtheta`` with ``J`` the
            Jacobian of the state's system and ``dF/dtheta`` including the
            continuation values' own derivatives, so the result is exact through the
            backward induction; substitute ``point`` to evaluate it at the
            model's values. Otherwise a number to ``digits`` digits at the model's
            values: the central difference of the certified solution at
            ``2 digits + 20`` working digits with step ``10**-(digits + 5)``
            (truncation error about ``10**-(2 digits + 10)``).

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> dx_dr = pr.symbolic.solve(race, symbols=("discount",)).derivative("effort", "discount")
        >>> round(float(dx_dr.subs(sympy.Symbol("r", positive=True), sympy.Rational(1, 10))), 10)
        0.2561730114
        """
        if quantity not in ("effort", "value"):
            raise ValueError(f"quantity must be 'effort' or 'value', got {quantity!r}")
        if parameter not in PARAMETERS:
            raise ValueError(f"parameter must be one of {PARAMETERS}, got {parameter!r}")
        i, j = self._check(firm, *state)
        expr = self.effort(firm, i, j) if quantity == "effort" else self.value(firm, i, j)
        if parameter in self.symbols:
            return sympy.diff(expr, self.symbols[parameter])
        dps = 2 * self.digits + 20
        step = mp.mpf(10) ** -(self.digits + 5)
        sides = []
        for sign in (1, -1):
            numbers = _shift(_substitute(self._numbers, self.point), parameter, sign * step, dps)
            effort, value, _ = _certified(self.model, numbers, dps, self.digits)
            array = effort if quantity == "effort" else value
            sides.append(array[firm][i][j])
        with mp.workdps(dps):
            slope = (sides[0] - sides[1]) / (2 * step)
        return sympy.Float(mp.nstr(slope, self.digits), self.digits)
