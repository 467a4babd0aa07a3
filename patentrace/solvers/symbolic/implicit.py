"""Equilibrium efforts defined implicitly by a state's first-order conditions (docs/theory/race.md (1)).

At a state where both firms invest and parameters are symbolic, the efforts
``x_0, x_1`` solve the pair ``F_0 = F_1 = 0`` of docs/theory/race.md (1), whose
coefficients are the symbols and the continuation values. Apart from symmetric
states there are no radicals for them; they are algebraic functions of the
symbols. [`ImplicitEffort`][patentrace.solvers.symbolic.implicit.ImplicitEffort] is that function as a sympy object: an
applied function of the symbolic parameters that *is* the root of the system
on one branch, the branch through the equilibrium at the model's own parameter
values. It carries

- the system (``ImplicitEffort.system``, continuation substituted, in the
  unknowns ``x_0, x_1``) and the branch point (``ImplicitEffort.branch``,
  the equilibrium efforts at ``ImplicitEffort.point``, certified);
- exact derivatives: ``sympy.diff`` uses the implicit function theorem,
  ``dx/dtheta = -J^-1 dF/dtheta``, where ``dF/dtheta`` differentiates the
  continuation values too, so derivatives chain through the backward induction
  and stay exact in the symbols;
- numeric values at any parameter values (``evalf``), by following the branch
  from the model's values ([`BranchFollower`][patentrace.solvers.symbolic.implicit.BranchFollower], then Newton's method
  in mpmath).

Examples
--------
>>> import patentrace as pr
>>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
...                         symbols=("prize", "discount"))
>>> x = sym.effort(0, 1, 0)
>>> x
x_0[1,0](P, r)
>>> isinstance(x, ImplicitEffort), round(float(x.subs(sym.point)), 10)     # docs/theory/race.md: x(1, 0)
(True, 0.4686350713)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mpmath as mp
import numpy as np
import sympy
from mpmath.libmp import prec_to_dps
from numpy.typing import NDArray

from patentrace.solvers.symbolic.certified import _certified
from patentrace.solvers.symbolic.conditions import _BuilderState, _State, _substitute, _values

if TYPE_CHECKING:
    from patentrace.solvers.symbolic.equilibrium import SymbolicEquilibrium

__all__ = ["BranchFollower", "ImplicitEffort", "StateValue", "implicit_pair", "named_value", "opaque_diff", "real"]

X1, X2 = sympy.symbols("x_0 x_1")


def opaque_diff(expr: sympy.Expr, theta: sympy.Symbol) -> sympy.Expr:
    """``d expr / d theta`` with the implicit efforts and named values in it kept as ``Derivative`` objects.

    Each such ``Derivative(q, theta)`` is defined one state further on (``.doit()``
    expands it one level), so a derivative grows with the number of states rather
    than exponentially with their depth.

    Examples
    --------
    >>> r = sympy.Symbol("r", positive=True)
    >>> v = named_value(0, (1, 0), 1 / (1 + r), (r,), lambda e, v, d: 0)
    >>> opaque_diff(r * v, r)
    r*Derivative(V_0[1,0](r), r) + V_0[1,0](r)
    """
    atoms = [a for a in expr.atoms(ImplicitEffort, StateValue) if a.has(theta)]
    holders = {a: sympy.Dummy() for a in atoms}
    plain = expr.xreplace(holders)
    out = sympy.diff(plain, theta)
    for a, h in holders.items():
        out += sympy.diff(plain, h) * sympy.Derivative(a, theta)
    return out.xreplace({h: a for a, h in holders.items()})


class _StateFunction(sympy.Function):  # type: ignore[misc]  # sympy has no type hints
    """What a named per-state quantity shares.

    Derivatives are stored at the canonical parameters and moved to the instance's
    arguments; numbers come from the certified evaluation.
    """

    parameters: tuple[sympy.Symbol, ...]
    evaluate: list[Callable[[Any, tuple[sympy.Expr, ...], int], mp.mpf]]

    def _at_arguments(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` (in the canonical parameters) at this instance's arguments."""
        parameters = type(self).parameters
        if self.args == parameters:
            return expr
        return expr.xreplace(dict(zip(parameters, self.args, strict=True)))

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        if not all(a.is_number for a in self.args):
            return None
        dps = int(prec_to_dps(prec))
        return sympy.Float(type(self).evaluate[0](self, tuple(self.args), dps), dps)


class ImplicitEffort(_StateFunction):
    """Firm ``firm``'s effort at ``state``: the root of the state's system on the model's branch.

    Instances are applied functions of the symbolic parameters, ``x_0[1,0](P, r)``;
    each state has its own pair of subclasses, made by
    [`implicit_pair`][patentrace.solvers.symbolic.implicit.implicit_pair].

    Attributes
    ----------
    firm : int
        0 or 1 (printed as 1 or 2).
    state : (int, int)
        Where.
    system : (sympy.Expr, sympy.Expr)
        ``(F_0, F_1)`` in ``x_0, x_1`` and the parameters (canonical symbols).
    parameters : tuple of sympy.Symbol
        The canonical arguments.
    point : tuple of sympy.Rational
        The model's parameter values.
    branch : (mpmath.mpf, mpmath.mpf)
        Both efforts at ``point``, certified ([`patentrace.symbolic.solve`][patentrace.symbolic.solve]).

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> x = pr.symbolic.solve(race, symbols=("discount",)).effort(1, 1, 0)
    >>> x.state, x.firm, round(float(x.branch[1]), 10)      # docs/theory/race.md: x_1(1, 0)
    ((1, 0), 1, 0.2494666666)
    """

    firm: int
    state: tuple[int, int]
    system: tuple[sympy.Expr, sympy.Expr]
    parameters: tuple[sympy.Symbol, ...]
    point: tuple[sympy.Expr, ...]
    branch: tuple[mp.mpf, mp.mpf]
    pair: list[type[ImplicitEffort]]
    evaluate: list[Callable[[ImplicitEffort, tuple[sympy.Expr, ...], int], mp.mpf]]
    derivatives: dict[int, sympy.Expr]

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """Derivative with respect to the ``argindex``-th parameter, by the implicit function theorem.

        ``dx/dtheta = -J^-1 dF/dtheta``; continuation quantities in ``F`` contribute
        through their own (unevaluated) derivatives, see
        [`opaque_diff`][patentrace.solvers.symbolic.implicit.opaque_diff].

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
        ...                         symbols=("discount",))
        >>> slope = sym.effort(0, 1, 0).fdiff(1)
        >>> round(float(sym.evaluate(slope, 15)), 10)        # d x_0(1, 0) / d r
        0.7099419124
        """
        cls = type(self)
        if argindex not in cls.derivatives:
            theta = cls.parameters[argindex - 1]
            f1, f2 = cls.system
            j11, j12, j21, j22 = (sympy.diff(f, x) for f in (f1, f2) for x in (X1, X2))
            t1, t2 = opaque_diff(f1, theta), opaque_diff(f2, theta)
            det = j11 * j22 - j12 * j21
            slope = -(j22 * t1 - j12 * t2) / det if cls.firm == 0 else -(j11 * t2 - j21 * t1) / det
            at = {X1: cls.pair[0](*cls.parameters), X2: cls.pair[1](*cls.parameters)}
            cls.derivatives[argindex] = slope.xreplace(at)
        return self._at_arguments(cls.derivatives[argindex])


class StateValue(_StateFunction):
    """Firm ``firm``'s value at ``state`` as a named function of the symbolic parameters.

    Values that depend on implicit efforts are named, ``V_0[1,0](P, r)``, so that the
    states before them see a short expression; ``definition`` is the HJB value of
    docs/theory/race.md in the state's efforts and the named values after it. Derivatives differentiate
    the definition; numbers come from the same certified evaluation as the efforts.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> sym = pr.symbolic.solve(race, symbols=("prize", "discount"))
    >>> v = sym.value(0, 0, 0)
    >>> v, round(float(v.subs(sym.point)), 10)                 # docs/theory/race.md: V(0, 0)
    (V_0[0,0](P, r), 0.1795728262)
    """

    firm: int
    state: tuple[int, int]
    definition: sympy.Expr
    parameters: tuple[sympy.Symbol, ...]
    evaluate: list[Callable[[StateValue, tuple[sympy.Expr, ...], int], mp.mpf]]
    derivatives: dict[int, sympy.Expr]

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """Derivative with respect to the ``argindex``-th parameter: that of the definition.

        Examples
        --------
        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
        ...                         symbols=("discount",))
        >>> round(float(sym.evaluate(sym.value(0, 0, 0).fdiff(1), 15)), 10)    # d V_0(0, 0) / d r
        -0.601716494
        """
        cls = type(self)
        if argindex not in cls.derivatives:
            cls.derivatives[argindex] = opaque_diff(cls.definition, cls.parameters[argindex - 1])
        return self._at_arguments(cls.derivatives[argindex])

    def _latex(self, printer: Any) -> str:
        i, j = type(self).state
        args = ", ".join(printer._print(a) for a in self.args)
        return rf"V_{{{type(self).firm}}}^{{({i},{j})}}\left({args}\right)"


def named_value(firm: int, state: tuple[int, int], definition: sympy.Expr, parameters: Sequence[sympy.Symbol],
                evaluate: Callable[[StateValue, tuple[sympy.Expr, ...], int], mp.mpf]) -> sympy.Expr:
    """A [`StateValue`][patentrace.solvers.symbolic.implicit.StateValue] ``V_k[i,j](...)`` standing for ``definition``.

    Examples
    --------
    >>> r = sympy.Symbol("r", positive=True)
    >>> v = named_value(0, (1, 0), 1 / (1 + r), (r,), lambda e, v, d: 0)
    >>> v, sympy.diff(v, r)
    (V_0[1,0](r), -1/(r + 1)**2)
    """
    name = f"V_{firm}[{state[0]},{state[1]}]"
    cls = type(name, (StateValue,), {"firm": firm, "state": tuple(state), "definition": definition,
                                     "parameters": tuple(parameters), "evaluate": [evaluate], "derivatives": {}})
    return cls(*parameters)

    def _latex(self, printer: Any) -> str:
        i, j = type(self).state
        args = ", ".join(printer._print(a) for a in self.args)
        return rf"x_{{{type(self).firm}}}^{{({i},{j})}}\left({args}\right)"


def implicit_pair(
    state: tuple[int, int], system: tuple[sympy.Expr, sympy.Expr], parameters: Sequence[sympy.Symbol],
    point: Sequence[sympy.Expr], branch: tuple[mp.mpf, mp.mpf],
    evaluate: Callable[[ImplicitEffort, tuple[sympy.Expr, ...], int], mp.mpf],
) -> tuple[sympy.Expr, sympy.Expr]:
    """The two implicit efforts of a state, applied to the canonical parameters.

    Parameters
    ----------
    state : (int, int)
        The state.
    system : (sympy.Expr, sympy.Expr)
        ``(F_0, F_1)`` in ``X1``, ``X2`` and ``parameters``.
    parameters : sequence of sympy.Symbol
        The symbolic parameters, in a fixed order.
    point : sequence of sympy.Expr
        Their values in the model.
    branch : (mpmath.mpf, mpmath.mpf)
        The equilibrium efforts at ``point``.
    evaluate : callable
        ``evaluate(effort, values, dps)``: the effort's number at parameter values ``values``.

    Returns
    -------
    (sympy.Expr, sympy.Expr)
        ``x_0[i,j](...)`` and ``x_1[i,j](...)``.

    Examples
    --------
    >>> import mpmath as mp
    >>> r = sympy.Symbol("r", positive=True)
    >>> system = (X1**2 / 2 + X1 * X2 + r * X1 - X2 - r, X2**2 / 2 + X1 * X2 + r * X2 - X1 - r)
    >>> x1, x2 = implicit_pair((0, 0), system, (r,), (sympy.Rational(1, 10),), (mp.mpf(1), mp.mpf(1)),
    ...                        lambda e, v, d: mp.mpf(0))
    >>> x1
    x_0[0,0](r)
    """
    pair: list[type[ImplicitEffort]] = []
    shared = {"state": tuple(state), "system": tuple(system), "parameters": tuple(parameters),
              "point": tuple(point), "branch": tuple(branch), "pair": pair, "evaluate": [evaluate]}
    for k in (0, 1):
        name = f"x_{k}[{state[0]},{state[1]}]"
        pair.append(type(name, (ImplicitEffort,), {**shared, "firm": k, "derivatives": {}}))
    return pair[0](*parameters), pair[1](*parameters)


@dataclass(frozen=True)


class _Step:
    """One quantity of the backward induction, compiled: an implicit pair or a named value."""

    names: tuple[sympy.Expr, ...]
    system: Callable[..., Any] | None
    jacobian: Callable[..., Any] | None
    definition: Callable[..., Any] | None


class BranchFollower:
    """Vectorised numeric values of implicit efforts at many parameter values, on the model's branch.

    From the model's parameter values ``p_0`` to each target ``p_1`` the parameters move
    along the segment ``p_0 + t (p_1 - p_0)`` in ``n`` equal steps; at each step every
    implicit state, in backward order, is solved by Newton's method started at the
    previous step's root (named values are evaluated from their definitions). A step
    is accepted where Newton's method converges within 12 iterations, contracts from
    its first iteration (the second correction at most half the first: the start lies
    in the root's basin, not another branch's) and leaves both efforts positive;
    otherwise ``n`` is multiplied by 4, up to 4096, and then a ValueError names the
    parameter values where the branch was lost.

    Parameters
    ----------
    parameters : sequence of sympy.Symbol
        The symbolic parameters.
    point : sequence of float
        Their values in the model.
    sequence : sequence
        In backward order (continuations first): pairs ``(x_0, x_1)`` of
        [`ImplicitEffort`][patentrace.solvers.symbolic.implicit.ImplicitEffort] and
        [`StateValue`][patentrace.solvers.symbolic.implicit.StateValue] objects.

    Examples
    --------
    >>> import patentrace as pr
    >>> race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> sym = pr.symbolic.solve(race, symbols=("discount",))
    >>> pair = (sym.effort(0, 1, 0), sym.effort(1, 1, 0))
    >>> x = BranchFollower(sym.parameters, [0.1], [pair]).follow([np.array([0.1, 0.2])])
    >>> round(float(x[pair[0]][0]), 10)
    0.4686350713
    """

    def __init__(self, parameters: Sequence[sympy.Symbol], point: Sequence[float], sequence: Sequence[Any]):
        self.parameters = tuple(parameters)
        self.point = np.asarray(point, dtype=float)
        names = [x for item in sequence for x in (item if isinstance(item, tuple) else (item,))]
        self.dummies = {x: sympy.Dummy(f"d{n}") for n, x in enumerate(names)}
        args = [*self.parameters, *self.dummies.values()]
        self.steps: list[_Step] = []
        for item in sequence:
            if isinstance(item, tuple):
                f1, f2 = (f.xreplace(self.dummies) for f in type(item[0]).system)
                jac = [sympy.diff(f, x) for f in (f1, f2) for x in (X1, X2)]
                self.steps.append(_Step(item, sympy.lambdify([X1, X2, *args], [f1, f2], "numpy"),
                                        sympy.lambdify([X1, X2, *args], jac, "numpy"), None))
            else:
                definition = sympy.lambdify(args, type(item).definition.xreplace(self.dummies), "numpy")
                self.steps.append(_Step((item,), None, None, definition))

    def expression(self, expr: sympy.Expr) -> Callable[..., Any]:
        """A numpy function ``f(parameters, known)`` of an expression that may contain implicit efforts.

        Its values may be complex (cubic closed forms pass through complex radicals): see
        [`real`][patentrace.solvers.symbolic.implicit.real].

        Examples
        --------
        The sum of both efforts at state (1, 0) of the two-stage race of docs/theory/race.md, as a function of ``r``:

        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
        ...                         symbols=("discount",))
        >>> pair = (sym.effort(0, 1, 0), sym.effort(1, 1, 0))
        >>> follower = BranchFollower(sym.parameters, [0.1], [pair])
        >>> total = follower.expression(pair[0] + pair[1])
        >>> x = follower.follow([np.array(0.1)])
        >>> round(float(np.real(total([np.array(0.1)], x))), 10)     # docs/theory/race.md: 0.4686350713 + 0.2494666666
        0.7181017379
        """
        args = [*self.parameters, *self.dummies.values()]
        fn = sympy.lambdify(args, expr.xreplace(self.dummies), "numpy")

        def evaluate(values: Sequence[NDArray[np.float64]], known: dict[sympy.Expr, NDArray[np.float64]]) -> Any:
            extra = [known.get(x, np.nan) for x in self.dummies]
            with np.errstate(all="ignore"):
                return fn(*_complex(values), *_complex(extra))

        return evaluate

    def follow(self, values: Sequence[Any]) -> dict[sympy.Expr, NDArray[np.float64]]:
        """Every implicit effort and named value at the parameter values ``values`` (arrays, broadcast).

        Raises
        ------
        ValueError
            If the branch cannot be followed to some of the values.

        Examples
        --------
        Followed from ``r = 0.1`` to ``r = 0.2``, firm 0's effort at (1, 0) agrees with a numeric solve:

        >>> import patentrace as pr
        >>> sym = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()),
        ...                         symbols=("discount",))
        >>> pair = (sym.effort(0, 1, 0), sym.effort(1, 1, 0))
        >>> x = BranchFollower(sym.parameters, [0.1], [pair]).follow([np.array([0.1, 0.2])])
        >>> float(pr.solve(pr.Race(stages=2, prize=1.0, discount=0.2, cost=pr.costs.Quadratic())).effort[0, 1, 0]
        ...       - x[pair[0]][1]) < 1e-12
        True
        """
        if len(values) != len(self.parameters):
            raise ValueError(f"expected {len(self.parameters)} parameter arrays, got {len(values)}")
        target = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))
        shape = target[0].shape if target else ()
        if not self.steps:
            return {}
        lost: NDArray[np.bool_] = np.zeros(shape, dtype=bool)
        # without implicit efforts there is no branch to follow: evaluate once, at the target
        counts = (4, 16, 64, 256, 1024, 4096) if any(s.system is not None for s in self.steps) else (1,)
        for steps in counts:
            known, lost = self._path(target, shape, steps)
            if not lost.any():
                return known
        where = np.argwhere(lost)[0] if shape else ()
        at = {str(s): float(np.asarray(t)[tuple(where)]) for s, t in zip(self.parameters, target, strict=True)}
        raise ValueError(f"the equilibrium branch through the model's parameters "
                         f"{dict(zip(map(str, self.parameters), self.point.tolist(), strict=True))} could not "
                         f"be followed to {at} (a firm stops investing, or the branch turns back)")

    def _path(self, target: Sequence[NDArray[np.float64]], shape: tuple[int, ...],
              steps: int) -> tuple[dict[sympy.Expr, NDArray[np.float64]], NDArray[np.bool_]]:
        current = {x: np.full(shape, float(type(x).branch[type(x).firm]))
                   for item in self.steps if item.system is not None for x in item.names}
        lost = np.zeros(shape, dtype=bool)
        known: dict[sympy.Expr, NDArray[np.float64]] = {}
        for step in range(1, steps + 1):
            t = step / steps
            here = [p0 + t * (p1 - p0) for p0, p1 in zip(self.point, target, strict=True)]
            known = {}
            for item in self.steps:
                extra = [known.get(x, np.nan) for x in self.dummies]
                if item.system is not None and item.jacobian is not None:
                    a, b = item.names
                    x1, x2, ok = _newton(item.system, item.jacobian, current[a], current[b], _complex(here),
                                         _complex(extra))
                    lost |= ~ok
                    known[a], known[b] = x1, x2
                    current[a], current[b] = x1, x2
                elif item.definition is not None:
                    with np.errstate(all="ignore"):
                        v, ok = real(item.definition(*_complex(here), *_complex(extra)), shape)
                    lost |= ~ok
                    known[item.names[0]] = v
        return known, lost


def _complex(values: Sequence[Any]) -> list[NDArray[np.complex128]]:
    """Arguments as complex arrays: radicals then take sympy's principal branches instead of returning NaN."""
    return [np.asarray(v, dtype=complex) for v in values]


def real(v: Any, shape: tuple[int, ...]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Real part of a numpy result broadcast to ``shape``, and where it is finite and real.

    Closed forms of cubics and quartics pass through complex radicals even where the
    root is real; an imaginary part above ``1e-9`` of the modulus means the expression
    is not the real root there.

    Examples
    --------
    >>> real(np.array([1.0 + 1e-17j, 2.0 + 1j]), (2,))
    (array([1., 2.]), array([ True, False]))
    """
    with np.errstate(all="ignore"):
        z = np.broadcast_to(np.asarray(v), shape)
        values = np.asarray(np.real(z), dtype=float)
        ok = np.isfinite(values) & (np.abs(np.imag(z)) <= 1e-9 * (1.0 + np.abs(z)))
    return values, ok


def _newton(system: Callable[..., Any], jacobian: Callable[..., Any], x1: NDArray[np.float64],
            x2: NDArray[np.float64], here: Sequence[Any],
            extra: Sequence[Any]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Vectorised Newton's method on a 2x2 system; ``ok`` where it converged, contracting, to positive efforts."""
    first = None
    contracting = np.ones(np.shape(x1), dtype=bool)
    converged = np.zeros(np.shape(x1), dtype=bool)
    with np.errstate(all="ignore"):
        for iteration in range(12):
            f1, f2 = system(x1, x2, *here, *extra)
            j11, j12, j21, j22 = jacobian(x1, x2, *here, *extra)
            det = j11 * j22 - j12 * j21
            d1 = (j22 * f1 - j12 * f2) / det
            d2 = (j11 * f2 - j21 * f1) / det
            size = np.maximum(np.abs(d1), np.abs(d2))
            x1, x2 = x1 - d1, x2 - d2
            scale = 1.0 + np.maximum(np.abs(x1), np.abs(x2))
            if iteration == 0:
                first = size
            elif iteration == 1 and first is not None:
                contracting = (size <= 0.5 * first) | (size <= 1e-13 * scale)
            converged = size <= 1e-14 * scale
            if converged.all():
                break
        ok = converged & contracting
        for x in (x1, x2):
            part, fine = real(x, np.shape(x))
            ok &= fine & (part > 0)
    return np.asarray(np.real(x1), dtype=float), np.asarray(np.real(x2), dtype=float), ok


class _ImplicitQuantities(_BuilderState):
    """The builder's implicit step: efforts and values as functions of the symbols, on the model's branch."""

    context: dict[tuple[int, int], tuple[Any, Any, Any, Any]]
    cache: dict[tuple[sympy.Expr, ...], tuple[int, list[list[list[mp.mpf]]], list[list[list[mp.mpf]]]]]
    sequence: list[Any]
    owner: SymbolicEquilibrium | None

    def implicit(self, i: int, j: int, system: tuple[sympy.Expr, sympy.Expr], target: list[mp.mpf],
                 idle: list[bool], residual: float) -> _State:
        """Efforts as ``ImplicitEffort``: the system's root on the model's branch."""
        if any(idle):
            raise ValueError(f"state {(i, j)}: a firm idles and its rival's condition has no closed form "
                             f"(non-integer exponent); keep every parameter numeric (symbols=()) there")
        point = tuple(self.at_point[s] for s in self.parameters)
        x = implicit_pair((i, j), system, self.parameters, point, (target[0], target[1]), self.evaluate)
        lam, own, rival, jump = self.context[(i, j)]
        return _State(x, _values(self.numbers, lam, own, rival, x, jump), "implicit", residual)

    def name_values(self, i: int, j: int, state: _State) -> _State:
        """Name the state's values (``StateValue``) if they involve implicit ones."""
        if state.form == "implicit":
            self.sequence.append(state.effort)
        named = []
        for k in (0, 1):
            v = state.value[k]
            if v.atoms(ImplicitEffort, StateValue):
                v = named_value(k, (i, j), v, self.parameters, self.evaluate)
                self.sequence.append(v)
            named.append(v)
        return _State(state.effort, (named[0], named[1]), state.form, state.residual)

    def evaluate(self, quantity: ImplicitEffort | StateValue, values: tuple[sympy.Expr, ...], dps: int) -> mp.mpf:
        """An implicit effort's or named value's number at parameter values ``values`` to ``dps`` digits (cached).

        At the model's values: the certified root; elsewhere the branch is followed in
        floats ([`BranchFollower`][patentrace.solvers.symbolic.implicit.BranchFollower]) and every state is
        polished by Newton's method at ``dps + 20`` digits, with the residual bound of
        [`solve`][patentrace.solve] at ``10**-dps``.
        """
        cls = type(quantity)
        i, j = cls.state
        point = tuple(self.at_point[s] for s in self.parameters)
        at_model = values == point
        if at_model and dps <= self.digits + 15:
            return (self.effort_mp if isinstance(quantity, ImplicitEffort) else self.value_mp)[cls.firm][i][j]
        stored = self.cache.get(values)
        if stored is None or stored[0] < dps:
            dps = 50 * (dps // 50 + 1)  # sympy asks for ever more digits as it cancels: compute in few sizes
            start = None
            if not at_model:
                if self.owner is None:
                    raise ValueError("implicit efforts can be evaluated away from the model's parameters "
                                     "only once solve() has finished")
                start = self.owner.numeric(tuple(float(v) for v in values))[0]
            numbers = _substitute(self.numbers, dict(zip(self.parameters, values, strict=True)))
            effort, value, _ = _certified(self.race, numbers, dps + 20, dps, start)
            stored = (dps, effort, value)
            self.cache[values] = stored
        return (stored[1] if isinstance(quantity, ImplicitEffort) else stored[2])[cls.firm][i][j]
