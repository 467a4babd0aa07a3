"""The result of solving a race: arrays over states, the model, and a self-check.

An [`Equilibrium`][patentrace.Equilibrium] is immutable and self-describing: it holds the model
that produced it, the solver that ran and how, and every per-state quantity of
docs/theory/race.md as arrays of shape ``(2, N0 + 1, N1 + 1)`` indexed ``[firm, i, j]``.
[`Equilibrium.verify`][patentrace.Equilibrium.verify] re-derives optimality from the HJB without trusting
the solver: it searches each firm's effort at each state, rival held fixed.

Examples
--------
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> round(float(eq.value[0, 0, 0]), 10)
0.1795728262
>>> check = eq.verify()
>>> check.max_deviation_gain < 1e-12 and check.max_residual < 1e-12
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np
from numpy.typing import DTypeLike, NDArray

from patentrace.equations.periods import PeriodGame, nashpy_agrees, period_game, progress_matrix
from patentrace.models import LaggedRace, Race
from patentrace.models.lattice import open_states
from patentrace.results import verification
from patentrace.results.serialization import (
    FORMAT,
    ResultFormatError,
    array_from,
    check_header,
    number,
    parse_json,
    rebuild_model,
    restore_floats,
    strict_json,
)

__all__ = ["ArrayResult", "Equilibrium", "LaggedEquilibrium", "SolverInfo", "StateResult", "Verification"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


class Verification(NamedTuple):
    """What [`Equilibrium.verify`][patentrace.Equilibrium.verify] found, both relative numbers.

    Attributes
    ----------
    max_deviation_gain : float
        Largest gain any firm could get by changing its effort at any one state,
        rival and continuation held fixed, divided by the prize.
    max_residual : float
        Largest HJB residual ``|r V - [-c + h (A - V) + h' (B - V)]|``, divided by the
        state's value scale ``r |V| + c + h (|A| + |V|) + h' (|B| + |V|)`` (breakthrough
        terms alike; ``patentrace.results.verification.hjb_residual``): about the relative
        error of the value, a few rounding units when it is right.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> check = eq.verify()
    >>> check.max_deviation_gain < 1e-12, check.max_residual < 1e-12
    (True, True)
    """

    max_deviation_gain: float
    max_residual: float


@dataclass(frozen=True)
class SolverInfo:
    """How an equilibrium was computed.

    Attributes
    ----------
    method : str
        The solver, e.g. ``"backward"``.
    selection : str
        The rule applied where a state has several equilibria.
    options : dict
        The solver's numerical settings (grid, tolerances).
    version : str
        The patentrace version.
    seconds : float
        Wall-clock time of the solve.

    Examples
    --------
    >>> import patentrace as pr
    >>> info = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).solver
    >>> info.method, info.selection, info.version == pr.__version__
    ('backward', 'fastest', True)
    """

    method: str
    selection: str
    options: dict[str, Any]
    version: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data.

        Examples
        --------
        >>> import patentrace as pr
        >>> info = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).solver
        >>> data = info.to_dict()
        >>> data["method"], data["options"]["grid"]
        ('backward', 16)
        """
        return {"method": self.method, "selection": self.selection, "options": dict(self.options),
                "version": self.version, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SolverInfo:
        """Invert ``to_dict`` (also after a trip through strict JSON).

        Examples
        --------
        >>> import patentrace as pr
        >>> info = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())).solver
        >>> SolverInfo.from_dict(info.to_dict()) == info
        True
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("options"), Mapping):
            raise ResultFormatError(f"solver: expected the solver's record with its options, got {data!r}")
        try:
            method, selection, version = (str(data[name]) for name in ("method", "selection", "version"))
        except KeyError as err:
            raise ResultFormatError(f"solver: missing {err.args[0]!r}") from None
        return cls(method=method, selection=selection, options=restore_floats(dict(data["options"])),
                   version=version, seconds=number("solver.seconds", data.get("seconds")))


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    """A read-only array: ``array`` itself if neither it nor the array owning its memory can be written."""
    owner = array if array.base is None else array.base
    if not array.flags.writeable and isinstance(owner, np.ndarray) and not owner.flags.writeable:
        return array
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


def _freeze_fields(instance: object, names: Iterable[str], dtype: DTypeLike | None = None) -> None:
    """Make each named field of a frozen dataclass a read-only array (of ``dtype``, if given), as ``_frozen`` does.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> holder = SimpleNamespace(a=[1, 2])
    >>> _freeze_fields(holder, ["a"], dtype=float)
    >>> holder.a.dtype.name, holder.a.flags.writeable
    ('float64', False)
    """
    for name in names:
        object.__setattr__(instance, name, _frozen(np.asarray(getattr(instance, name), dtype=dtype)))


PER_FIRM = ("firm", "i", "j")
PER_STATE = ("i", "j")
ArraySpec = tuple[tuple[str, ...], type[np.generic]]


def _xarray(purpose: str) -> Any:
    try:
        import xarray as xr
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"{purpose} needs xarray: pip install 'patentrace[xarray]'") from err
    return xr


def _same(first: NDArray[Any], second: NDArray[Any]) -> bool:
    """Exactly the same array: shape, kind of number and every entry (``inf`` equal to ``inf``)."""
    return (first.shape == second.shape and first.dtype.kind == second.dtype.kind
            and bool(np.array_equal(first, second, equal_nan=first.dtype.kind == "f")))


@dataclass(frozen=True, eq=False, kw_only=True)
class ArrayResult:
    """A result held as named arrays over named dimensions, with its model and solver record: equality and round trips.

    Each subclass declares its arrays as fields and lists every array's dimensions
    and type in ``ARRAYS``, the length of every dimension in ``_sizes``, and the
    dimensions of one state in ``STATE_DIMS`` (the rows of ``to_dataframe``).
    Arguments are keyword-only: a positional call could put one array in another's
    place without an error. Two results are equal (``==``) when their models, solver
    records and every array are exactly equal; a result has no hash. Saving and
    loading: ``to_dict`` / ``from_dict`` (JSON data), ``to_xarray`` / ``from_xarray``
    (an ``xarray.Dataset`` whose attributes hold the model and the solver as JSON),
    and ``patentrace.save`` / ``patentrace.load``. The equilibria over the lattice of
    states (``StateResult``) and the tug-of-war's equilibrium over positions share it.

    Examples
    --------
    The dimensions of one state, and the arrays over states or over firms and states:

    >>> import patentrace as pr
    >>> pr.Equilibrium.STATE_DIMS, pr.TugEquilibrium.STATE_DIMS
    (('i', 'j'), ('position',))
    >>> pr.TugEquilibrium.ARRAYS["expected_duration"][0], pr.Equilibrium.ARRAYS["multiplicity"][0]
    (('position',), ('i', 'j'))
    """

    model: Any
    solver: SolverInfo = field(repr=False)

    ARRAYS: ClassVar[dict[str, ArraySpec]] = {}
    STATE_DIMS: ClassVar[tuple[str, ...]] = PER_STATE
    MODELS: ClassVar[dict[str, str]] = {}
    """Fields beside ``model`` that hold a model, with its class name: saved, compared and loaded like ``model``."""

    def __post_init__(self) -> None:
        for name in self.ARRAYS:
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, ArrayResult)
        mine, theirs = self._named_arrays(), other._named_arrays()
        return (bool(self.model == other.model) and self.solver == other.solver and mine.keys() == theirs.keys()
                and all(bool(getattr(self, name) == getattr(other, name)) for name in self.MODELS)
                and all(_same(mine[name], theirs[name]) for name in mine))

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the arrays it holds

    @classmethod
    def _sizes(cls, model: Any) -> dict[str, int]:
        """The length of every dimension for ``model``."""
        raise NotImplementedError(f"{cls.__name__} must say how long its dimensions are")

    @classmethod
    def _specs(cls, model: Any) -> dict[str, tuple[tuple[str, ...], type[np.generic], tuple[int, ...]]]:
        """Every stored array (by its name in files): dimensions, type, and shape for ``model``."""
        sizes = cls._sizes(model)
        return {name: (dims, dtype, tuple(sizes[d] for d in dims)) for name, (dims, dtype) in cls.ARRAYS.items()}

    def _named_arrays(self) -> dict[str, NDArray[Any]]:
        """Every stored array, by its name in files."""
        return {name: getattr(self, name) for name in self.ARRAYS}

    @classmethod
    def _fields_from(cls, arrays: dict[str, NDArray[Any]]) -> dict[str, Any]:
        """The constructor's keyword arguments out of the stored arrays."""
        return arrays

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data (nested lists), ready for ``json.dumps``; ``from_dict`` inverts it exactly.

        The model is its constructor arguments (costs as ``{"cost": family, ...}``; see
        ``patentrace.models.parameters``); ``inf`` durations stay ``float('inf')``, which
        ``json.dumps`` writes as ``Infinity`` (``patentrace.save`` writes strict JSON).

        Examples
        --------
        The numbers survive a round trip through JSON:

        >>> import json
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> data = json.loads(json.dumps(eq.to_dict()))
        >>> data["effort"][0][1][0], data["solver"]["method"], data["model"]["cost"][0]
        (0.4686350713, 'backward', {'cost': 'Quadratic', 'scale': 1.0, 'linear': 0.0})
        """
        out: dict[str, Any] = {"format": FORMAT, "type": type(self).__name__, "model": self.model.to_dict()}
        out.update({name: getattr(self, name).to_dict() for name in self.MODELS})
        out.update({name: value.tolist() for name, value in self._named_arrays().items()})
        out["solver"] = self.solver.to_dict()
        return out

    @classmethod
    def _model_from(cls, data: Any, where: str) -> Any:
        return rebuild_model(data, where, str(cls.__dataclass_fields__["model"].type))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "data") -> Self:
        """The result that ``to_dict`` wrote, equal to it (``==``).

        Parameters
        ----------
        data : mapping
            What ``to_dict()`` returned, also after a trip through JSON.
        where : str
            What to call ``data`` in an error message (a file name).

        Raises
        ------
        patentrace.results.serialization.ResultFormatError
            A ``ValueError`` for data that is not this type's, is damaged, or has a
            model that cannot be rebuilt; the message names the entry.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=(2, 1), prize=1.0, discount=0.1, cost=pr.costs.Quadratic(linear=0.05))
        >>> eq = pr.solve(race)
        >>> pr.Equilibrium.from_dict(eq.to_dict()) == eq
        True
        """
        check_header(data, cls.__name__, where)
        model = cls._model_from(data.get("model"), where)
        arrays = {}
        for name, (_, dtype, shape) in cls._specs(model).items():
            if name not in data:
                raise ResultFormatError(f"{where}: the entry {name!r} is missing")
            arrays[name] = array_from(f"{where}: {name}", data[name], dtype, shape)
        others = {name: rebuild_model(data.get(name), f"{where}: {name}", kind) for name, kind in cls.MODELS.items()}
        return cls(model=model, solver=SolverInfo.from_dict(data.get("solver", {})), **others,
                   **cls._fields_from(arrays))

    def to_xarray(self) -> Any:
        """The arrays as an ``xarray.Dataset`` over ``firm``, ``i``, ``j``; the model and the solver in its attributes.

        Attributes: ``format`` and ``type`` (what ``from_xarray`` checks), ``model``
        (the model's constructor arguments as JSON), ``solver_info`` (the solver's
        record as JSON), and for reading at a glance ``solver`` (the method),
        ``selection`` and ``version``. Requires the optional ``xarray`` package
        (``pip install patentrace[xarray]``).

        Examples
        --------
        Each array becomes a variable over ``firm``, ``i`` and ``j``:

        >>> import json
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> dataset = eq.to_xarray()
        >>> bool(dataset["effort"].sel(firm=0, i=1, j=0).item() == eq.effort[0, 1, 0]), dataset.attrs["solver"]
        (True, 'backward')
        >>> json.loads(dataset.attrs["model"])["discount"]
        0.1
        """
        xr = _xarray("to_xarray")
        sizes = self._sizes(self.model)
        arrays = self._named_arrays()
        variables = {name: (dims, arrays[name]) for name, (dims, _, _) in self._specs(self.model).items()}
        coords = {name: np.arange(size) for name, size in sizes.items()}
        return xr.Dataset(variables, coords=coords, attrs=self._attrs())

    def _attrs(self) -> dict[str, Any]:
        return {"format": FORMAT, "type": type(self).__name__, "model": strict_json(self.model.to_dict()),
                **{name: strict_json(getattr(self, name).to_dict()) for name in self.MODELS},
                "solver_info": strict_json(self.solver.to_dict()), "solver": self.solver.method,
                "selection": self.solver.selection, "version": self.solver.version}

    @classmethod
    def from_xarray(cls, dataset: Any, where: str = "dataset") -> Self:
        """The result that ``to_xarray`` wrote (also after a netCDF file), equal to it (``==``).

        Parameters
        ----------
        dataset : xarray.Dataset
            What ``to_xarray()`` returned, or the same read from a file.
        where : str
            What to call the dataset in an error message (a file name).

        Raises
        ------
        patentrace.results.serialization.ResultFormatError
            For a dataset that is not this type's or is damaged (naming the entry).

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> pr.Equilibrium.from_xarray(eq.to_xarray()) == eq
        True
        """
        attrs = getattr(dataset, "attrs", None)
        check_header(attrs if isinstance(attrs, Mapping) else {}, cls.__name__, where)
        assert isinstance(attrs, Mapping)
        model = cls._model_from(parse_json(str(attrs.get("model")), f"{where}: attribute 'model'"), where)
        arrays = {}
        for name, (dims, dtype, shape) in cls._specs(model).items():
            if name not in dataset.variables:
                raise ResultFormatError(f"{where}: the variable {name!r} is missing")
            variable = dataset[name]
            if tuple(variable.dims) != dims:
                raise ResultFormatError(f"{where}: {name} has dimensions {tuple(variable.dims)}, expected {dims}")
            arrays[name] = array_from(f"{where}: {name}", np.asarray(variable.values), dtype, shape)
        record = parse_json(str(attrs.get("solver_info")), f"{where}: attribute 'solver_info'")
        others = {name: rebuild_model(parse_json(str(attrs.get(name)), f"{where}: attribute {name!r}"),
                                      f"{where}: attribute {name!r}", kind) for name, kind in cls.MODELS.items()}
        return cls(model=model, solver=SolverInfo.from_dict(record), **others, **cls._fields_from(arrays))

    def to_dataframe(self) -> Any:
        """A tidy ``pandas.DataFrame``: one row per state and firm.

        Columns ``i``, ``j``, ``firm``, then every array over firms and states, then
        every array over states (repeated on both firms' rows). Rows run over ``i``,
        then ``j``, then ``firm``. Requires the optional ``pandas`` package
        (``pip install patentrace[pandas]``).

        Examples
        --------
        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> table = eq.to_dataframe()
        >>> len(table), list(table.columns[:5])
        (18, ['i', 'j', 'firm', 'effort', 'hazard'])
        >>> row = table[(table.i == 1) & (table.j == 0) & (table.firm == 0)]
        >>> round(float(row.effort.iloc[0]), 10)  # leader at (1, 0), docs/theory/race.md
        0.4686350713
        """
        try:
            import pandas as pd
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("to_dataframe needs pandas: pip install 'patentrace[pandas]'") from err
        sizes = self._sizes(self.model)
        index = (*self.STATE_DIMS, "firm")
        grids = np.meshgrid(*(np.arange(sizes[d]) for d in self.STATE_DIMS), np.arange(2), indexing="ij")
        columns: dict[str, NDArray[Any]] = {name: grid.ravel() for name, grid in zip(index, grids, strict=True)}
        arrays = self._named_arrays()
        for name, (dims, _, _) in self._specs(self.model).items():
            if dims == ("firm", *self.STATE_DIMS):
                columns[name] = np.moveaxis(arrays[name], 0, -1).ravel()
        for name, (dims, _, _) in self._specs(self.model).items():
            if dims == self.STATE_DIMS:
                columns[name] = np.repeat(arrays[name].ravel(), 2)
        return pd.DataFrame(columns)


@dataclass(frozen=True, eq=False, kw_only=True)
class StateResult(ArrayResult):
    """What the equilibria over the lattice of states share: the arrays over ``firm``, ``i``, ``j``.

    ``value``, ``win_probability``, ``expected_duration`` and ``multiplicity`` are
    declared once here; each subclass adds its own arrays and lists every array's
    dimensions and type in ``ARRAYS``. Equality and the round trips are those of
    ``ArrayResult``.

    Examples
    --------
    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> isinstance(eq, StateResult), pr.Equilibrium.from_dict(eq.to_dict()) == eq
    (True, True)
    """

    value: FloatArray
    win_probability: FloatArray
    expected_duration: FloatArray
    multiplicity: IntArray

    ARRAYS: ClassVar[dict[str, ArraySpec]] = {
        "value": (PER_FIRM, np.float64), "win_probability": (PER_FIRM, np.float64),
        "expected_duration": (PER_STATE, np.float64), "multiplicity": (PER_STATE, np.intp),
    }

    @classmethod
    def _sizes(cls, model: Any) -> dict[str, int]:
        """The length of every dimension for ``model``."""
        n1, n2 = model.stages
        return {"firm": 2, "i": n1 + 1, "j": n2 + 1}


@dataclass(frozen=True, eq=False, kw_only=True)
class Equilibrium(StateResult):
    """A Markov perfect equilibrium of a [`Race`][patentrace.Race] (docs/theory/race.md).

    Attributes
    ----------
    model : Race
        The race solved.
    effort : ndarray, shape (2, N0 + 1, N1 + 1)
        ``effort[k, i, j]``: firm ``k``'s effort at state ``(i, j)``; 0 at terminal states.
    hazard : ndarray, shape (2, N0 + 1, N1 + 1)
        ``lambda_k * effort``: firm ``k``'s rate of completing its current stage.
    value : ndarray, shape (2, N0 + 1, N1 + 1)
        Expected discounted payoff; ``prize`` / ``loser_prize`` at terminal states.
        The unreachable corner ``(N0, N1)`` holds ``(prize + loser_prize) / 2``.
    win_probability : ndarray, shape (2, N0 + 1, N1 + 1)
        Probability that firm ``k`` wins; 1 / 0 at terminal states, 1/2 at the corner.
        Always finite, whatever the size of the hazards ([`patentrace.results.chain`][patentrace.results.chain]). The
        two
        sum to 1 except where the race can stall: a state where both hazards (and
        breakthrough hazards) are exactly 0, efforts that underflow to 0 included, never
        moves again, and both firms' win probabilities there are 0.
    expected_duration : ndarray, shape (N0 + 1, N1 + 1)
        Expected time until someone wins. ``inf`` where the race can stall (it never ends)
        and where the expected time exceeds the largest double, about 1.8e308 (behind a
        hazard below about 5.6e-309, e.g. an effort of 1e-317); never NaN.
    multiplicity : ndarray of int, shape (N0 + 1, N1 + 1)
        Equilibria found at each state given the selected continuation; 1 at
        terminal states, 0 at the unreachable corner.
    underflow : ndarray of bool, shape (2, N0 + 1, N1 + 1)
        True where firm ``k``'s effort is 0 only because its continuation values
        are below the float range (about 1e-290 of the prize): in theory it is
        positive but smaller than any double. With quadratic costs a firm's
        value roughly squares with each stage it is behind, so long races with
        a large ``discount * scale / prize`` reach this quickly.
    solver : SolverInfo
        Method, selection rule, options, version and timing.

    Notes
    -----
    [`patentrace.solve`][patentrace.solve] checks every equilibrium it returns
    (``patentrace.results.verification.certify``): every array finite (``expected_duration``
    may be ``inf``, as above) and the HJB residual within ``tolerance`` of each state's
    value scale; otherwise it raises [`EquilibriumError`][patentrace.EquilibriumError] naming
    the array or check, the firm, the state and the numbers.

    Examples
    --------
    The two-stage race of docs/theory/race.md (``P = 1``, ``r = 0.1``, ``c(x) = x^2 / 2``):

    >>> import patentrace as pr
    >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    >>> eq.effort[:, 1, 0].round(10).tolist()   # firm 0 leads at (1, 0)
    [0.4686350713, 0.2494666666]
    >>> round(float(eq.value[0, 0, 0]), 10), round(float(eq.win_probability[0, 0, 1]), 10)
    (0.1795728262, 0.173698693)
    """

    model: Race
    effort: FloatArray
    hazard: FloatArray
    underflow: NDArray[np.bool_]

    ARRAYS: ClassVar[dict[str, ArraySpec]] = {
        "effort": (PER_FIRM, np.float64), "hazard": (PER_FIRM, np.float64), **StateResult.ARRAYS,
        "underflow": (PER_FIRM, np.bool_),
    }

    @classmethod
    def from_flat(cls, model: Race, solver: SolverInfo, flat: Mapping[str, NDArray[Any]], start: int) -> Equilibrium:
        """The equilibrium of ``model`` out of the flat arrays of a batch of races.

        Parameters
        ----------
        model : Race
            The race solved.
        solver : SolverInfo
            How it was solved.
        flat : mapping of str to ndarray
            Each per-state field (``effort`` to ``underflow``) over the states of a
            ``Layout`` of races, on the last axis.
        start : int
            Where ``model``'s states begin on that axis (its offset in the layout).

        Returns
        -------
        Equilibrium
            Its arrays are views of ``flat`` where ``flat`` is read-only, copies otherwise.

        Examples
        --------
        The second race of a compiled sweep:

        >>> import patentrace as pr
        >>> from patentrace.solvers.compiled import sweep_races
        >>> races = [pr.Race(stages=stages, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()) for stages in (1, 2)]
        >>> sweep = sweep_races(races)
        >>> info = SolverInfo("backward", "fastest", {}, pr.__version__, 0.0)
        >>> eq = Equilibrium.from_flat(races[1], info, sweep.arrays, start=int(sweep.layout.offset[1]))
        >>> round(float(eq.value[0, 0, 0]), 10)   # as in the two-stage race of docs/theory/race.md
        0.1795728262
        """
        n1, n2 = model.stages
        stop = start + (n1 + 1) * (n2 + 1)
        return cls(model=model, solver=solver, **{
            name: array[..., start:stop].reshape((*array.shape[:-1], n1 + 1, n2 + 1)) for name, array in flat.items()
        })

    def __repr__(self) -> str:
        n1, n2 = self.model.stages
        many = int(np.sum(self.multiplicity > 1))
        return (
            f"Equilibrium(stages=({n1}, {n2}), solver={self.solver.method!r}, "
            f"selection={self.solver.selection!r}, states_with_several_equilibria={many})"
        )

    def deviation_gain(self) -> FloatArray:
        """Best gain from a one-state deviation in effort, per firm and state (absolute).

        See ``patentrace.results.verification.deviation_gain``.

        Examples
        --------
        No firm gains by deviating anywhere in the two-stage race of docs/theory/race.md:

        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> gain = eq.deviation_gain()
        >>> gain.shape, bool(gain.max() < 1e-12)
        ((2, 3, 3), True)
        """
        return verification.deviation_gain(self)

    def residual(self) -> FloatArray:
        """HJB residual per firm and state, relative to the state's value scale.

        See ``patentrace.results.verification.hjb_residual``.

        Examples
        --------
        Both firms' HJB equations hold to rounding in the two-stage race of docs/theory/race.md (2):

        >>> import patentrace as pr
        >>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
        >>> bool(eq.residual().max() < 1e-12)
        True
        """
        return verification.hjb_residual(self)

    def verify(self) -> Verification:
        """Check the equilibrium: largest profitable deviation and largest HJB residual.

        Returns
        -------
        Verification
            ``(max_deviation_gain, max_residual)``: the gain relative to the prize,
            the residual relative to the state's value scale. Nothing is raised;
            [`patentrace.solve`][patentrace.solve] checks the residual on every solve and, with
            ``verify=True``, the gain too, and raises on failure.

        Examples
        --------
        >>> import patentrace as pr
        >>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.05,
        ...                cost=pr.costs.Power(scale=1.0, exponent=3.0, linear=0.02))
        >>> gain, residual = pr.solve(race).verify()
        >>> gain < 1e-10 and residual < 1e-12
        True
        """
        gain = float(np.max(self.deviation_gain())) / self.model.prize
        return Verification(max_deviation_gain=gain, max_residual=float(np.max(self.residual())))


@dataclass(frozen=True, eq=False, kw_only=True)
class LaggedEquilibrium(StateResult):
    """A stationary equilibrium of a [`LaggedRace`][patentrace.LaggedRace] (docs/theory/periods.md).

    Attributes
    ----------
    model : LaggedRace
        The race solved; its ``lag`` is the length of a period.
    strategy : (ndarray, ndarray)
        ``strategy[k][i, j, a]``: probability that firm ``k`` plays its action ``a`` at
        ``(i, j)``; shapes ``(N0 + 1, N1 + 1, m_k)``, zero at terminal states.
    value : ndarray, shape (2, N0 + 1, N1 + 1)
        Expected discounted payoffs; prize / loser prize at terminal states.
    win_probability : ndarray, shape (2, N0 + 1, N1 + 1)
        Probability that firm ``k`` wins outright (a tie broken by ``tie="first"`` counts).
    tie_probability : ndarray, shape (N0 + 1, N1 + 1)
        Probability that the race ends in a tie that shares or forfeits the prize.
        ``win_0 + win_1 + tie = 1`` except where the race can stall (nobody advances).
    expected_duration : ndarray, shape (N0 + 1, N1 + 1)
        Expected number of periods until the race ends (``inf`` where it can stall).
    multiplicity : ndarray of int, shape (N0 + 1, N1 + 1)
        Equilibria found at each state given the selected continuation.
    degenerate : ndarray of bool, shape (N0 + 1, N1 + 1)
        States whose period game is degenerate at an equilibrium found (a firm has more
        pure best responses than its support): equilibria may form a continuum there.
    solver : SolverInfo
        Method, selection rule, options (``complete``: whether every support size was
        enumerated everywhere), version, time.

    Examples
    --------
    The oracle of docs/theory/periods.md (P5): one stage, shirk (effort 0) or work (effort 0.5 for one
    period, cost 0.125, success probability ``p = 1 - e^-0.5``). Work costs less than
    ``beta p P (1 - p/2)``, so both firms working is the unique equilibrium:

    >>> import patentrace as pr
    >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
    >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
    >>> eq.strategy[0][0, 0], int(eq.multiplicity[0, 0])
    (array([0., 1.]), 1)
    """

    model: LaggedRace
    strategy: tuple[FloatArray, FloatArray]
    tie_probability: FloatArray
    degenerate: NDArray[np.bool_]

    ARRAYS: ClassVar[dict[str, ArraySpec]] = {
        "strategy_0": (("i", "j", "action_0"), np.float64), "strategy_1": (("i", "j", "action_1"), np.float64),
        **StateResult.ARRAYS, "tie_probability": (PER_STATE, np.float64), "degenerate": (PER_STATE, np.bool_),
    }

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategy", (_frozen(self.strategy[0]), _frozen(self.strategy[1])))
        for name in self.ARRAYS:
            if not name.startswith("strategy"):
                object.__setattr__(self, name, _frozen(getattr(self, name)))

    @classmethod
    def _sizes(cls, model: Any) -> dict[str, int]:
        """The length of every dimension: ``action_k`` is the size of firm ``k``'s menu."""
        return {**super()._sizes(model), "action_0": len(model.menus[0][0]), "action_1": len(model.menus[1][0])}

    def _named_arrays(self) -> dict[str, NDArray[Any]]:
        named = {name: getattr(self, name) for name in self.ARRAYS if not name.startswith("strategy")}
        return {"strategy_0": self.strategy[0], "strategy_1": self.strategy[1], **named}

    @classmethod
    def _fields_from(cls, arrays: dict[str, NDArray[Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {name: array for name, array in arrays.items() if not name.startswith("strategy")}
        out["strategy"] = (arrays["strategy_0"], arrays["strategy_1"])
        return out

    def advance_probability(self) -> FloatArray:
        """Probability that each firm advances at least one stage in a period, shape ``(2, N0 + 1, N1 + 1)``.

        Examples
        --------
        In the oracle (P5) of docs/theory/periods.md (one stage, efforts 0 and 0.5 over a period of length 1) both
        firms work, so each advances with probability ``1 - e^-0.5``.

        >>> import math
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
        >>> bool(abs(eq.advance_probability()[0, 0, 0] - (1 - math.exp(-0.5))) < 1e-15)
        True
        """
        out = np.zeros((2, *self.model.shape))
        for i, j in zip(*np.nonzero(open_states(self.model.stages)), strict=True):
            for firm, stage in ((0, int(i)), (1, int(j))):
                still = progress_matrix(self.model, firm, stage)[:, 0]
                out[firm, i, j] = float(self.strategy[firm][i, j] @ (1.0 - still))
        return out

    @property
    def expected_time(self) -> FloatArray:
        """Expected duration in units of time: periods times the lag.

        Examples
        --------
        The race ends in the first period in which a firm succeeds: after ``1 / (1 - (1 - p)^2)``
        periods of length 1, ``p = 1 - e^-0.5`` (the oracle (P5) of docs/theory/periods.md, both working).

        >>> import math
        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
        >>> p = 1 - math.exp(-0.5)
        >>> bool(abs(eq.expected_time[0, 0] - 1.0 / (1 - (1 - p) ** 2)) < 1e-12)    # lag 1
        True
        """
        return np.asarray(self.expected_duration * self.model.lag)

    def __repr__(self) -> str:
        n1, n2 = self.model.stages
        many = int(np.sum(self.multiplicity > 1))
        return (f"LaggedEquilibrium(stages=({n1}, {n2}), lag={self.model.lag}, "
                f"selection={self.solver.selection!r}, states_with_several_equilibria={many})")

    def _period_games(self) -> Iterator[tuple[int, int, PeriodGame]]:
        """Each open state ``(i, j)`` with its period game ``M(v)`` (docs/theory/periods.md (P2)), from the values."""
        for i, j in zip(*np.nonzero(open_states(self.model.stages)), strict=True):
            yield int(i), int(j), period_game(self.model, self.value, int(i), int(j))

    def verify(self) -> Verification:
        """Check the equilibrium: largest gain from a pure action, largest Bellman residual.

        At every open state the period game ``M_k(v_k)`` is rebuilt from the stored
        values; the gain is the best pure action's payoff minus the value, the residual
        ``|v_k - sigma_0' M_k(v_k) sigma_1|``; both relative to the prize.

        Examples
        --------
        >>> import patentrace as pr
        >>> work, shirk = pr.Action(0.2, {1: 0.5, 0: 0.5}), pr.Action(0.0, {0: 1.0})
        >>> race = pr.LaggedRace(stages=2, prize=1.0, lag=1.0, discount=0.05, actions=[work, shirk])
        >>> gain, residual = pr.solve(race).verify()
        >>> gain < 1e-12 and residual < 1e-12
        True
        """
        gain, residual = 0.0, 0.0
        for i, j, game in self._period_games():
            s1, s2 = self.strategy[0][i, j], self.strategy[1][i, j]
            v1, v2 = self.value[0, i, j], self.value[1, i, j]
            m1, m2 = game.payoff(0, v1), game.payoff(1, v2)
            gain = max(gain, float(np.max(m1 @ s2)) - v1, float(np.max(s1 @ m2)) - v2)
            residual = max(residual, abs(v1 - float(s1 @ m1 @ s2)), abs(v2 - float(s1 @ m2 @ s2)))
        return Verification(max_deviation_gain=float(max(gain, 0.0)) / self.model.prize,
                            max_residual=float(residual) / self.model.prize)

    def nashpy_disagrees(self) -> list[tuple[int, int]]:
        """States whose profile nashpy's vertex enumeration of ``M(v)`` does not contain.

        An independent check of every state's equilibrium; empty when all agree.
        Degenerate states can hold equilibria that are not vertices.

        Examples
        --------
        nashpy's vertex enumeration finds the equilibrium of the oracle (P5), docs/theory/periods.md (both work) too.

        >>> import patentrace as pr
        >>> race = pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())
        >>> eq = pr.solve(pr.LaggedRace.from_race(race, lag=1.0, efforts=[0.0, 0.5]))
        >>> eq.nashpy_disagrees()
        []
        """
        out = []
        for i, j, game in self._period_games():
            profile = (self.strategy[0][i, j], self.strategy[1][i, j])
            if not nashpy_agrees(game, profile, self.value[:, i, j]):
                out.append((int(i), int(j)))
        return out
