"""Parameter sweeps: a grid of models, solved in vectorised chunks on any executor.

``sweep(make_model, grid, measure)`` builds ``make_model(**point)`` at every point of
the Cartesian product of ``grid``, solves the models chunk by chunk with
[`patentrace.solve_many`][patentrace.solve_many] (one vectorised pass per chunk), and reduces each
equilibrium with ``measure``. Chunks run in this process by default, or on any
``concurrent.futures.Executor``: a ``ProcessPoolExecutor``, or a dask cluster
through ``dask.distributed.Client.get_executor()`` — the code is the same.

A point whose model, solve or measure raises is recorded with its error and the
sweep goes on; the errors come back with the result. On an executor, a chunk whose
worker dies is run again (a broken ``ProcessPoolExecutor`` is replaced by a fresh
one), alone so that a death can be blamed; a point that keeps killing its worker is
recorded as failed, so the sweep returns every point. Bad solve options, a grid too
large for the memory and a process pool with more workers than processors are
refused before any work.

With ``checkpoint=path`` every finished point is appended to a file as soon as it
is known, and a sweep started again with the same file resumes where it stopped:
nothing finished is computed again. The file is JSON lines with a SHA-256 checksum
per line, holding numbers and arrays only, never code (format ``patentrace-sweep-2``,
described in ``patentrace.faces._checkpoint`` and docs/sweeps.md). Its header records
the grid, ``make_model``, ``measure`` and the solve options; a resume with any of them
different is refused, naming the difference. A damaged line is refused naming the
file and the line; only a last line cut short (a writer killed in mid-write) is
dropped, with a logged warning, and its point computed again. Without a measure the
checkpoint holds whole equilibria (their arrays, solver information and model
``repr``); it needs ``make_model`` to build [`Race`][patentrace.Race] models, which are
rebuilt on resume by calling ``make_model`` and checked against the stored ``repr``.

Examples
--------
>>> import functools
>>> import patentrace as pr
>>> make = functools.partial(pr.Race, stages=2, prize=1.0, cost=pr.costs.Quadratic())
>>> result = pr.sweep(make, {"discount": [0.05, 0.1]}, measure=lambda eq: eq.value[0, 0, 0])
>>> result.values.round(6).tolist()
[0.214236, 0.179573]
>>> result.errors
{}
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace._limits import available_memory, check_workers
from patentrace.faces._checkpoint import (
    CheckpointError,
    Journal,
    Outcome,
    UnstorableError,
    header_for,
    signature_defaults,
)
from patentrace.faces.sweep_data import (
    coordinate,
    decode_values,
    default_dims,
    encode_values,
    equilibria_from_data,
    equilibria_to_data,
    masked_from_data,
    masked_to_data,
    quantity_dims,
)
from patentrace.models import Race
from patentrace.models.parameters import encode_parameter
from patentrace.results.serialization import (
    FORMAT,
    ResultFormatError,
    array_from,
    check_header,
    parse_json,
    strict_json,
)
from patentrace.solvers import solve, solve_many
from patentrace.solvers.selection import SELECTION_RULES

__all__ = ["CheckpointError", "SweepResult", "sweep"]

logger = logging.getLogger(__name__)

# Memory a grid point costs the sweep's bookkeeping (index lists, outcome dict, result arrays), generously.
_POINT_BYTES = 400
# solve_many's options and their defaults: a checkpoint records the options a sweep really uses.
_SOLVE_DEFAULTS = signature_defaults(solve_many, {})


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What [`sweep`][patentrace.sweep] computed.

    Attributes
    ----------
    names : tuple of str
        The grid's parameters, in order: the leading axes of ``values``.
    coords : dict
        Each parameter's values.
    values : ndarray, numpy.ma.MaskedArray, or dict of them
        Shape ``grid shape + measure shape``. Without a measure, an object array of
        [`Equilibrium`][patentrace.Equilibrium] (None where a point failed). With a numeric
        measure, floats, masked where a point failed. With a measure that returns a
        dict of named quantities, a dict from each name to its masked array. With a
        measure and every point failed, an empty dict: nothing was measured, so no
        quantity (nor its ``dims``) exists, and ``failed`` and ``errors`` say why.
    failed : ndarray of bool
        Shape of the grid: True where the point raised.
    errors : dict
        Grid index -> ``"ErrorType: message"`` for every failed point.
    fixed : dict
        The parameters that ``make_model`` fixes, as data: the keyword arguments of a
        ``functools.partial`` and the defaults of its parameters not in the grid (costs
        as ``{"cost": family, ...}``, tuples as lists, a function as its ``repr``).
        A ``make_model`` that fixes its parameters in its body records none: write it
        as a ``functools.partial`` or give it keyword defaults.
    dims : dict
        Each measured quantity's own dimensions (after the grid's), by quantity name
        (``"measure"`` for a single one): those passed to ``sweep`` as ``dims``,
        else ``{name}_dim_0``, ...

    Two results are equal (``==``) when their grids, values (exactly, masks included),
    failures, errors, fixed parameters and dimension names are. ``to_dict`` /
    ``from_dict`` and ``to_xarray`` / ``from_xarray`` (or ``patentrace.save`` /
    ``patentrace.load``) store and restore it.

    Examples
    --------
    >>> import patentrace as pr
    >>> def race(discount):
    ...     return pr.Race(stages=2, prize=1.0, discount=discount, cost=pr.costs.Quadratic())
    >>> result = pr.sweep(race, {"discount": [0.05, 0.1]}, measure=lambda eq: eq.value[0, 0, 0])
    >>> result
    SweepResult(discount=2, points=2, failed=0)
    >>> result.names, bool(result.failed.any())
    (('discount',), False)
    """

    names: tuple[str, ...]
    coords: dict[str, NDArray[Any]]
    values: NDArray[Any] | dict[str, NDArray[Any]]
    failed: NDArray[np.bool_] = field(repr=False)
    errors: dict[tuple[int, ...], str]
    fixed: dict[str, Any] = field(default_factory=dict, repr=False)
    dims: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        shape = " x ".join(f"{n}={len(self.coords[n])}" for n in self.names)
        return f"SweepResult({shape}, points={self.failed.size}, failed={len(self.errors)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SweepResult):
            return NotImplemented
        return self._record() == other._record() and _same_values(self.values, other.values)

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the arrays it holds

    def _record(self) -> dict[str, Any]:
        """Everything but the values, as data."""
        return {"names": list(self.names), "coords": {n: encode_values(self.coords[n]) for n in self.names},
                "failed": self.failed.tolist(), "errors": sorted(self.errors.items()), "dims": self._all_dims(),
                "fixed": dict(self.fixed)}

    def quantity(self, name: str = "measure") -> NDArray[Any]:
        """One measured quantity's array: ``"measure"`` for a measure that returns one value, else a dict key.

        Examples
        --------
        >>> import functools
        >>> import patentrace as pr
        >>> make = functools.partial(pr.Race, stages=2, prize=1.0, cost=pr.costs.Quadratic())
        >>> result = pr.sweep(make, {"discount": [0.1]}, measure=lambda eq: {"win": eq.win_probability[0, 0, 1]})
        >>> round(float(result.quantity("win")[0]), 9)  # docs/theory/race.md, closed forms
        0.173698693
        """
        quantities = self._quantities()
        if name not in quantities:
            raise KeyError(f"no measured quantity {name!r}; this sweep has {sorted(quantities)}")
        return quantities[name]

    def _quantities(self) -> dict[str, NDArray[Any]]:
        """The measured arrays by name (``"measure"`` for a single one); empty for whole equilibria."""
        if isinstance(self.values, dict):
            return dict(self.values)
        return {} if self.values.dtype == object else {"measure": self.values}

    def _all_dims(self) -> dict[str, list[str]]:
        """Every quantity's own dimensions: the names given, else ``{name}_dim_k``."""
        out = {}
        for name, values in self._quantities().items():
            extra = values.ndim - len(self.names)
            out[name] = list(self.dims.get(name, default_dims(name, extra)))
        return out

    @property
    def dataset(self) -> Any:
        """The result as an ``xarray.Dataset`` (``to_xarray``), or None without xarray.

        Examples
        --------
        Firm 0's value at the start of the two-stage race of docs/theory/race.md, picked out by discount rate:

        >>> import patentrace as pr
        >>> def race(discount):
        ...     return pr.Race(stages=2, prize=1.0, discount=discount, cost=pr.costs.Quadratic())
        >>> result = pr.sweep(race, {"discount": [0.05, 0.1]}, measure=lambda eq: eq.value[0, 0, 0])
        >>> round(result.dataset["measure"].sel(discount=0.1).item(), 10)     # docs/theory/race.md: V(0, 0)
        0.1795728262
        """
        try:
            import xarray  # noqa: F401
        except ImportError:
            return None
        return self.to_xarray()

    def to_xarray(self) -> Any:
        """An ``xarray.Dataset`` with the grid as coordinates; ``from_xarray`` inverts it exactly.

        Variables: each measured quantity (``measure`` for a single one; NaN where a point
        failed) over the grid's dimensions and its own (``dims``), and ``failed``.
        Without a measure (whole equilibria) only ``failed`` and ``point``, the
        equilibria being in memory only (save such a sweep as ``.json``). Attributes:
        ``format`` and ``type``, each fixed parameter that is a number or a string
        under its own name, and as JSON ``fixed`` (all of them, costs as structured
        data), ``sweep`` (the grid, the errors and the dimension names, exactly).
        Requires the optional ``xarray`` package.

        Examples
        --------
        >>> import functools
        >>> import patentrace as pr
        >>> make = functools.partial(pr.Race, stages=2, prize=1.0, cost=pr.costs.Quadratic())
        >>> def both(eq):
        ...     return {"value": eq.value[:, 0, 0], "duration": eq.expected_duration[0, 0]}
        >>> result = pr.sweep(make, {"discount": [0.05, 0.1]}, measure=both, dims={"value": ("firm",)})
        >>> dataset = result.to_xarray()
        >>> dataset["value"].dims, dataset.attrs["prize"]
        (('discount', 'firm'), 1.0)
        >>> round(float(dataset["value"].sel(discount=0.1, firm=0)), 10)  # docs/theory/race.md: V(0, 0)
        0.1795728262
        """
        try:
            import xarray as xr
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("to_xarray needs xarray: pip install 'patentrace[xarray]'") from err
        dims = self._all_dims()
        variables: dict[str, Any] = {"failed": (self.names, self.failed)}
        for name, values in self._quantities().items():
            data = values.filled(np.nan) if isinstance(values, np.ma.MaskedArray) else np.asarray(values)
            variables[name] = (self.names + tuple(dims[name]), np.asarray(data, dtype=float))
        coords = {n: _readable(self.coords[n]) for n in self.names}
        return xr.Dataset(variables, coords=coords, attrs=self._attrs())

    def _attrs(self) -> dict[str, Any]:
        record = self._record()
        attrs: dict[str, Any] = {"format": FORMAT, "type": "SweepResult"}
        for name, value in self.fixed.items():
            if isinstance(value, (int, float, str)) and not isinstance(value, bool) and name not in _RESERVED:
                attrs[name] = value
        attrs["fixed"] = strict_json(record.pop("fixed"))
        attrs["sweep"] = strict_json({**record, "kind": self._kind(), "errors": [[list(i), m] for i, m in
                                                                                  sorted(self.errors.items())]})
        return attrs

    def _kind(self) -> str:
        if isinstance(self.values, dict):
            return "quantities"
        return "equilibria" if self.values.dtype == object else "measure"

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data, ready for ``json.dumps``; ``from_dict`` inverts it exactly.

        Measured arrays are nested lists with None where a point failed; whole
        equilibria (no measure) are each one ``Equilibrium.to_dict()``, in the grid's C
        order.

        Examples
        --------
        A sweep over the loser prize of a three-stage race with a cubic cost:

        >>> from functools import partial
        >>> import patentrace as pr
        >>> cubic = pr.costs.Power(scale=1.0, exponent=3.0)
        >>> result = pr.sweep(partial(pr.Race, stages=3, prize=2.0, discount=0.05, cost=cubic),
        ...                   {"loser_prize": [0.0, 0.5]}, measure=lambda eq: eq.win_probability[1, 1, 0])
        >>> data = result.to_dict()
        >>> data["fixed"]["cost"], pr.SweepResult.from_dict(data) == result
        ({'cost': 'Power', 'scale': 1.0, 'exponent': 3.0, 'linear': 0.0}, True)
        """
        record = self._record()
        kind = self._kind()
        if kind == "equilibria":
            values: Any = equilibria_to_data(np.asarray(self.values))
        else:
            values = {name: masked_to_data(np.ma.asarray(v)) for name, v in self._quantities().items()}
        return {"format": FORMAT, "type": "SweepResult", "kind": kind, **record,
                "errors": [[list(index), message] for index, message in sorted(self.errors.items())],
                "values": values}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "data") -> SweepResult:
        """The result that ``to_dict`` wrote, equal to it (``==``).

        Raises
        ------
        patentrace.results.serialization.ResultFormatError
            For data that is not a sweep's result or is damaged, naming the entry.

        Examples
        --------
        >>> import patentrace as pr
        >>> def race(discount):
        ...     return pr.Race(stages=2, prize=1.0, discount=discount, cost=pr.costs.Quadratic())
        >>> result = pr.sweep(race, {"discount": [0.05, 0.1]})          # whole equilibria
        >>> pr.SweepResult.from_dict(result.to_dict()) == result
        True
        """
        check_header(data, "SweepResult", where)
        names, coords, failed, errors, fixed, dims = _grid_from(data, where)
        shape = failed.shape
        kind, values_data = data.get("kind"), data.get("values")
        values: Any
        if kind == "equilibria":
            values = equilibria_from_data(f"{where}: values", values_data, shape)
        elif kind in ("measure", "quantities") and isinstance(values_data, Mapping):
            values = {}
            for name, array in values_data.items():
                extra = dims.get(name)
                if extra is None:
                    raise ResultFormatError(f"{where}: the quantity {name!r} has no dimension names")
                inner = np.shape(np.array(array, dtype=object))[len(shape):]
                if len(inner) != len(extra):
                    raise ResultFormatError(f"{where}: {name} has {len(inner)} axes after the grid's, but "
                                            f"{len(extra)} dimension names")
                values[name] = masked_from_data(f"{where}: {name}", array, shape + inner)
            if kind == "measure":
                if set(values) != {"measure"}:
                    raise ResultFormatError(f"{where}: a single measure is stored under 'measure'")
                values = values["measure"]
        else:
            raise ResultFormatError(f"{where}: kind must be 'measure', 'quantities' or 'equilibria' with its "
                                    f"values, got {kind!r}")
        return cls(names=names, coords=coords, values=values, failed=failed, errors=errors, fixed=fixed, dims=dims)

    @classmethod
    def from_xarray(cls, dataset: Any, where: str = "dataset") -> SweepResult:
        """The result that ``to_xarray`` wrote (also after a netCDF file), equal to it (``==``).

        A sweep of whole equilibria has none in its dataset and is refused (save it as JSON).

        Examples
        --------
        >>> import functools
        >>> import patentrace as pr
        >>> make = functools.partial(pr.Race, stages=2, prize=1.0, cost=pr.costs.Quadratic())
        >>> result = pr.sweep(make, {"discount": [0.05, 0.1], "loser_prize": [0.0, 0.2]},
        ...                   measure=lambda eq: eq.effort[:, 0, 0], dims=("firm",))
        >>> pr.SweepResult.from_xarray(result.to_xarray()) == result
        True
        """
        attrs = getattr(dataset, "attrs", None)
        check_header(attrs if isinstance(attrs, Mapping) else {}, "SweepResult", where)
        assert isinstance(attrs, Mapping)
        record = parse_json(str(attrs.get("sweep")), f"{where}: attribute 'sweep'")
        if not isinstance(record, dict):
            raise ResultFormatError(f"{where}: attribute 'sweep' must hold the grid's record")
        data = {**record, "format": FORMAT, "type": "SweepResult",
                "fixed": parse_json(str(attrs.get("fixed")), f"{where}: attribute 'fixed'")}
        if record.get("kind") == "equilibria":
            raise ResultFormatError(f"{where}: a sweep of whole equilibria keeps them in JSON only (save it as .json)")
        failed = np.asarray(dataset["failed"].values, dtype=bool) if "failed" in dataset.variables else None
        if failed is None:
            raise ResultFormatError(f"{where}: the variable 'failed' is missing")
        values = {}
        for name in record.get("dims", {}):
            if name not in dataset.variables:
                raise ResultFormatError(f"{where}: the variable {name!r} is missing")
            array = np.asarray(dataset[name].values, dtype=float)
            mask = np.broadcast_to(failed.reshape(failed.shape + (1,) * (array.ndim - failed.ndim)), array.shape)
            values[name] = masked_to_data(np.ma.MaskedArray(array, mask=mask))
        data["values"] = values
        return cls.from_dict(data, where)


_RESERVED = frozenset({"format", "type", "fixed", "sweep", "empty_variables"})


def _readable(axis: NDArray[Any]) -> NDArray[Any]:
    """A coordinate a netCDF file can hold: numbers and strings as they are, other values as text."""
    if axis.dtype != object:
        return axis
    return np.array([str(v) for v in axis.tolist()])


def _same_values(first: Any, second: Any) -> bool:
    """Measured values exactly equal: masks, numbers (NaN equal to NaN), or equilibria."""
    if isinstance(first, dict) or isinstance(second, dict):
        return (isinstance(first, dict) and isinstance(second, dict) and first.keys() == second.keys()
                and all(_same_values(first[k], second[k]) for k in first))
    a, b = np.asarray(first), np.asarray(second)
    if a.shape != b.shape or (a.dtype == object) != (b.dtype == object):
        return False
    if a.dtype == object:
        return all((x is None and y is None) or (x is not None and y is not None and x == y)
                   for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True))
    mask_a, mask_b = np.ma.getmaskarray(first), np.ma.getmaskarray(second)
    data_a, data_b = np.ma.getdata(first), np.ma.getdata(second)
    return bool(np.array_equal(mask_a, mask_b)
                and np.array_equal(np.where(mask_a, 0.0, data_a), np.where(mask_b, 0.0, data_b), equal_nan=True))


def _grid_from(data: Mapping[str, Any], where: str) -> tuple[
        tuple[str, ...], dict[str, NDArray[Any]], NDArray[np.bool_], dict[tuple[int, ...], str], dict[str, Any],
        dict[str, tuple[str, ...]]]:
    """The grid, failures, errors, fixed parameters and dimension names of a stored sweep."""
    names = data.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ResultFormatError(f"{where}: names must be a non-empty list of the grid's parameters, got {names!r}")
    stored = data.get("coords")
    if not isinstance(stored, Mapping) or set(stored) != set(names):
        raise ResultFormatError(f"{where}: coords must give the values of each of {names}")
    coords = {n: coordinate(decode_values(f"{where}: coords[{n!r}]", stored[n])) for n in names}
    shape = tuple(len(coords[n]) for n in names)
    failed = array_from(f"{where}: failed", data.get("failed"), np.bool_, shape)
    errors: dict[tuple[int, ...], str] = {}
    for item in data.get("errors") or []:
        if (not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], str)
                or not isinstance(item[0], list) or len(item[0]) != len(shape)):
            raise ResultFormatError(f"{where}: an error must be [grid index, message], got {item!r}")
        errors[tuple(int(i) for i in item[0])] = item[1]
    fixed = data.get("fixed") or {}
    if not isinstance(fixed, Mapping) or not all(isinstance(k, str) for k in fixed):
        raise ResultFormatError(f"{where}: fixed must map parameter names to values")
    dims_data = data.get("dims") or {}
    try:
        dims = quantity_dims(dict(dims_data), None) if isinstance(dims_data, Mapping) else None
    except ValueError as err:
        raise ResultFormatError(f"{where}: {err}") from None
    if dims is None:
        raise ResultFormatError(f"{where}: dims must map quantity names to their dimension names")
    return tuple(names), coords, failed, errors, dict(fixed), dims


def sweep(
    make_model: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]],
    measure: Callable[[Any], Any] | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    *,
    chunk_size: int = 256,
    checkpoint: str | os.PathLike[str] | None = None,
    retries: int = 2,
    dims: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    **solve_options: Any,
) -> SweepResult:
    """Solve ``make_model(**point)`` at every point of the grid and reduce each equilibrium.

    Parameters
    ----------
    make_model : callable
        Builds a model from keyword arguments named by the grid's keys.
    grid : dict
        Parameter name -> values; the sweep covers their Cartesian product.
    measure : callable, optional
        ``measure(equilibrium)`` -> a number or an array (the same shape at every
        point), or a dict of named quantities, each a number or an array (the same
        names and shapes at every point): each becomes its own array in
        ``SweepResult.values`` and its own variable in the dataset. Default: keep the
        whole [`Equilibrium`][patentrace.Equilibrium]. A measure with a ``many`` method
        (such as ``pr.LeapfrogMeasure``) gets each chunk's equilibria at once:
        ``measure.many(equilibria)`` returns their values in order, with an exception in
        place of a point that has none.
    executor : concurrent.futures.Executor, optional
        Where chunks run: None runs them in this process; a ``ProcessPoolExecutor``
        or ``dask.distributed.Client(...).get_executor()`` runs them in parallel.
        ``make_model`` and ``measure`` must then be picklable. A process pool may
        have at most as many workers as this process has processors.
    progress : bool, optional
        Show a tqdm progress bar; default: when standard error is a terminal.
    chunk_size : int
        Points per chunk, each chunk one [`solve_many`][patentrace.solve_many] call.
    checkpoint : path, optional
        File to which each finished point is appended (JSON lines with checksums,
        see docs/sweeps.md); an existing file written by the same sweep (same grid,
        ``make_model``, ``measure`` and solve options) is resumed.
    retries : int
        With an executor: times a chunk whose worker died (or whose future failed)
        is run again. A broken ``ProcessPoolExecutor`` is replaced by a new one with
        the same settings (the one passed in stays broken). A chunk still failing
        is split into single points, each with as many tries; a point that still
        fails is recorded as failed.
    dims : sequence of str, or dict of them, optional
        Names of the measure's own dimensions, after the grid's: a sequence for a
        measure that returns one array (``("firm",)``), a dict quantity name ->
        sequence for a measure that returns a dict. Unnamed axes are called
        ``{name}_dim_0``, ... (``name`` the quantity's, ``"measure"`` for one array).
    **solve_options
        Passed to [`solve_many`][patentrace.solve_many]: ``selection``, ``verify``, ``tolerance``
        (its ``grid`` cannot be passed: the name is the sweep's grid); checked before
        any work.

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        Before any work: an empty grid or an empty list of values, a grid key that
        ``make_model`` does not accept, a ``measure`` that is not callable, an
        ``executor`` that is not an Executor, a chunk size below 1, a bad solve
        option, a grid or a process pool larger than the machine can hold, a default
        measure with a model the checkpoint cannot rebuild, or a checkpoint written
        by another sweep or damaged (naming the difference, or the file and line).

    Examples
    --------
    The value at (0, 0) of the two-stage race for two discount rates; at ``r = 0.1`` it
    is the 0.1795728262 of docs/theory/race.md:

    >>> import patentrace as pr
    >>> def race(discount):
    ...     return pr.Race(stages=2, prize=1.0, discount=discount, cost=pr.costs.Quadratic())
    >>> result = pr.sweep(race, {"discount": [0.05, 0.1]}, measure=lambda eq: eq.value[0, 0, 0])
    >>> result.values.astype(float).round(10).tolist()
    [0.2142360871, 0.1795728262]
    """
    names, axes = _check(make_model, grid, measure, executor, chunk_size)
    _check_retries(retries)
    named_dims = quantity_dims(dims, None)
    if isinstance(executor, ProcessPoolExecutor):
        check_workers("max_workers", int(getattr(executor, "_max_workers", 1)))
    options = _check_solve_options(solve_options)
    shape = tuple(len(axis) for axis in axes)
    total = math.prod(shape)
    _check_grid_size(total)

    def point(flat: int) -> dict[str, Any]:
        index = np.unravel_index(flat, shape)
        return {name: axis[i] for name, axis, i in zip(names, axes, index, strict=True)}

    outcomes: dict[int, Outcome] = {}
    journal = None
    if checkpoint is not None:
        if measure is None:
            _check_rebuildable(make_model, point(0))
        header = header_for(names, axes, make_model, measure, _SOLVE_DEFAULTS | options)
        journal = Journal.open(checkpoint, header, total, lambda flat: make_model(**point(flat)))
        outcomes.update(journal.finished)
    pending = [k for k in range(total) if k not in outcomes]
    chunks = [pending[k : k + chunk_size] for k in range(0, len(pending), chunk_size)]

    def record(flat: int, outcome: Outcome) -> None:
        if journal is not None:
            try:
                journal.write(flat, outcome)
            except UnstorableError as err:  # a value the format cannot hold: the point fails, saying why
                outcome = (False, _describe(err))
                journal.write(flat, outcome)
        outcomes[flat] = outcome
        bar.update(1)

    show = sys.stderr.isatty() if progress is None else bool(progress)
    from tqdm.auto import tqdm

    with tqdm(total=total, initial=total - len(pending), disable=not show, unit="point") as bar:
        try:
            if executor is None:
                for chunk in chunks:
                    _run_chunk(make_model, measure, [point(k) for k in chunk], options, _Recorder(chunk, record))
            else:
                task = functools.partial(_run_chunk, make_model, measure, solve_options=options)
                _Dispatcher(_Pool(executor), task, point, record, retries).run(chunks)
        finally:
            if journal is not None:
                journal.close()
    result = _assemble(names, axes, shape, outcomes, measure)
    return _described(result, named_dims, _fixed_parameters(make_model, names))


def _fixed_parameters(make_model: Callable[..., Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The arguments ``make_model`` fixes (a partial's keywords, defaults) outside the grid, as data."""
    try:
        signature = inspect.signature(make_model)
    except (TypeError, ValueError):  # some builtins have none
        return {}
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {name: encode_parameter(p.default) for name, p in signature.parameters.items()
            if name not in names and p.kind in kinds and p.default is not inspect.Parameter.empty}


def _described(result: SweepResult, dims: dict[str, tuple[str, ...]], fixed: dict[str, Any]) -> SweepResult:
    """``result`` with its fixed parameters and the names of its quantities' own dimensions, checked."""
    quantities = result.values if isinstance(result.values, dict) else (
        {} if result.values.dtype == object else {"measure": result.values})
    if isinstance(result.values, dict) and not quantities:  # every point failed: no quantity to name
        dims = {}
    for name, extra in dims.items():
        if name not in quantities:
            raise ValueError(f"dims names the quantity {name!r}, but the measure returned {sorted(quantities)}")
        axes = quantities[name].ndim - len(result.names)
        if len(extra) != axes:
            raise ValueError(f"dims[{name!r}] names {len(extra)} dimensions, but the measured {name} has {axes} "
                             f"axes of its own (shape {quantities[name].shape[len(result.names):]})")
        clash = set(extra) & set(result.names)
        if clash:
            raise ValueError(f"dims[{name!r}] reuses the grid's dimension {sorted(clash)[0]!r}")
    return SweepResult(names=result.names, coords=result.coords, values=result.values, failed=result.failed,
                       errors=result.errors, fixed=fixed, dims=dims)


def _check_retries(retries: Any) -> None:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")


def _check_solve_options(options: dict[str, Any]) -> dict[str, Any]:
    """Refuse a solve option that would fail every point, before any work."""
    accepted = list(_SOLVE_DEFAULTS)
    for name in options:
        if name not in accepted:
            raise ValueError(f"solve option {name!r} is not one of {accepted} (the options of solve_many)")
    if "selection" in options and options["selection"] not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {options['selection']!r}")
    if "verify" in options and not isinstance(options["verify"], (bool, np.bool_)):
        raise ValueError(f"verify must be True or False, got {options['verify']!r}")
    if "tolerance" in options:
        tolerance = options["tolerance"]
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, np.floating, np.integer)) or not (
            math.isfinite(tolerance) and tolerance > 0
        ):
            raise ValueError(f"tolerance must be a finite number > 0, got {tolerance!r}")
    return dict(options)


def _check_grid_size(total: int) -> None:
    """Refuse a grid whose bookkeeping alone (about _POINT_BYTES a point) would not fit in memory."""
    free = available_memory()
    if total * _POINT_BYTES > free // 2:
        raise ValueError(
            f"the grid has {total} points, whose bookkeeping needs about {total * _POINT_BYTES / 2**30:.3g} GiB "
            f"but {free / 2**30:.3g} GiB of memory is available: sweep at most {free // 2 // _POINT_BYTES} points "
            "at once (split the grid)"
        )


def _check_rebuildable(make_model: Callable[..., Any], first: dict[str, Any]) -> None:
    """Refuse up front a checkpoint of whole equilibria whose model the format cannot describe."""
    try:
        model = make_model(**first)
    except Exception:  # this point fails on its own, and is recorded as failed when it runs
        return
    if not isinstance(model, Race):
        raise ValueError(
            f"checkpoint: without a measure the checkpoint stores whole equilibria of patentrace.Race models, "
            f"but make_model builds a {type(model).__qualname__}; pass a measure, or run without a checkpoint"
        )


@dataclass
class _Pool:
    """The executor chunks run on; a broken process pool is replaced by a fresh one with its settings."""

    executor: Executor
    owned: list[Executor] = field(default_factory=list)

    def replace(self, broken: Executor) -> bool:
        """Replace ``broken`` if it is the current process pool; True if chunks can be sent again."""
        if broken is not self.executor:
            return True  # already replaced
        if not isinstance(broken, ProcessPoolExecutor):
            return True  # a generic executor (dask): its scheduler replaces its workers; just send again
        fresh = ProcessPoolExecutor(
            max_workers=getattr(broken, "_max_workers", None),
            mp_context=getattr(broken, "_mp_context", None),
            initializer=getattr(broken, "_initializer", None),
            initargs=getattr(broken, "_initargs", ()),
        )
        logger.warning("sweep: a worker process died; the process pool is replaced and its chunks are run again")
        self.executor = fresh
        self.owned.append(fresh)
        return True

    def close(self) -> None:
        for pool in self.owned:
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class _Dispatcher:
    """Sends chunks to an executor, runs again a chunk whose future failed, records every point.

    When a worker dies, every chunk in flight on its pool fails with it, so a lost
    chunk is not blamed at once: it becomes a suspect, and suspects run one at a
    time, with nothing else in flight, where a death can only be theirs. A suspect
    that fails more than ``retries`` times is split into single points (when its
    worker died) that are tried the same way, or has its points recorded as failed.
    """

    pool: _Pool
    task: Callable[..., list[Outcome]]
    point: Callable[[int], dict[str, Any]]
    record: Callable[[int, Outcome], None]
    retries: int
    queue: deque[list[int]] = field(default_factory=deque)
    suspects: deque[tuple[list[int], int]] = field(default_factory=deque)

    def run(self, chunks: list[list[int]]) -> None:
        self.queue.extend(chunks)
        running: dict[Future[list[Outcome]], tuple[list[int], int | None, Executor]] = {}
        try:
            while self.queue or self.suspects or running:
                while self.queue:
                    self._submit(running, self.queue.popleft(), None)
                if not running and self.suspects:
                    self._submit(running, *self.suspects.popleft())
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk, failures, executor = running.pop(future)
                    try:
                        outcomes = future.result()
                    except Exception as err:
                        self._lost(chunk, failures, err, executor)
                        continue
                    for flat, outcome in zip(chunk, outcomes, strict=True):
                        self.record(flat, outcome)
        finally:
            self.pool.close()

    def _submit(self, running: dict[Future[list[Outcome]], tuple[list[int], int | None, Executor]],
                chunk: list[int], failures: int | None) -> None:
        executor = self.pool.executor
        try:
            future = executor.submit(self.task, [self.point(k) for k in chunk])
        except Exception as err:  # a pool broken by a death not yet seen through a future
            self._lost(chunk, failures, err, executor)
            return
        running[future] = (chunk, failures, executor)

    def _lost(self, chunk: list[int], failures: int | None, error: Exception, executor: Executor) -> None:
        """A chunk whose future failed; ``failures`` is None while it ran alongside others (not to blame yet)."""
        died = _worker_died(error)
        if died:
            self.pool.replace(executor)
        tries = 0 if failures is None else failures + 1
        if tries <= self.retries:
            logger.warning("sweep: a chunk of %d points was lost (%s); it runs again, alone", len(chunk),
                           _describe(error))
            self.suspects.append((chunk, tries))
        elif died and len(chunk) > 1:
            self.suspects.extend(([flat], 0) for flat in chunk)
        else:
            for flat in chunk:
                self.record(flat, (False, f"{type(error).__name__}: the chunk of this point failed {tries} times "
                                          f"when run alone ({'its worker died' if died else error})"))


def _worker_died(error: BaseException) -> bool:
    """A process pool broken by a dead worker, or dask's KilledWorker (a task that kept killing workers)."""
    return isinstance(error, BrokenExecutor) or type(error).__name__ == "KilledWorker"


@dataclass(frozen=True)
class _Recorder:
    """Passes a chunk's outcomes on, by position in the chunk, as points of the grid."""

    chunk: list[int]
    record: Callable[[int, Outcome], None]

    def __call__(self, position: int, outcome: Outcome) -> None:
        self.record(self.chunk[position], outcome)


def _check(
    make_model: Any, grid: Any, measure: Any, executor: Any, chunk_size: Any
) -> tuple[tuple[str, ...], list[list[Any]]]:
    if not callable(make_model):
        raise ValueError(f"make_model must be callable, got {make_model!r}")
    if not isinstance(grid, Mapping) or len(grid) == 0:
        raise ValueError("grid must be a non-empty dict from parameter name to a sequence of values")
    names = tuple(str(name) for name in grid)
    axes = []
    for name in names:
        values = grid[name]
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
            raise ValueError(f"grid[{name!r}] must be a non-empty sequence of values, got {values!r}")
        axes.append(list(values))
    try:
        signature = inspect.signature(make_model)
    except (TypeError, ValueError):  # some builtins have none: accept what we cannot check
        signature = None
    if signature is not None:
        for name, axis in zip(names, axes, strict=True):
            try:
                signature.bind_partial(**{name: axis[0]})
            except TypeError as err:
                raise ValueError(f"grid key {name!r} is not a parameter that make_model accepts ({err})") from None
    if measure is not None and not callable(measure):
        raise ValueError(f"measure must be callable or None, got {measure!r}")
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(
            f"executor must be a concurrent.futures.Executor (e.g. ProcessPoolExecutor, or "
            f"dask.distributed.Client(...).get_executor()), got {type(executor).__name__}"
        )
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an int >= 1, got {chunk_size!r}")
    return names, axes


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _run_chunk(
    make_model: Callable[..., Any],
    measure: Callable[[Any], Any] | None,
    points: list[dict[str, Any]],
    solve_options: dict[str, Any],
    report: Callable[[int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Build, solve (one vectorised batch) and measure the points of one chunk.

    Each point's outcome is passed to ``report`` as soon as it is known (when
    given) and returned. An exception at a point becomes its outcome; a batch
    solve that fails is redone point by point so that one bad point cannot take
    its chunk down.
    """
    outcomes: list[Outcome | None] = [None] * len(points)

    def done(position: int, outcome: Outcome) -> None:
        outcomes[position] = outcome
        if report is not None:
            report(position, outcome)

    built: list[tuple[int, Any]] = []
    for position, point in enumerate(points):
        try:
            built.append((position, make_model(**point)))
        except Exception as err:
            done(position, (False, _describe(err)))
    try:
        solved: Iterator[tuple[int, Any]] = iter(
            zip((p for p, _ in built), solve_many([m for _, m in built], **solve_options), strict=True)
        )
    except Exception:
        solved = _one_by_one(built, solve_options, done)
    many = getattr(measure, "many", None)
    if callable(many):  # a measure that takes the chunk at once (e.g. pr.LeapfrogMeasure)
        solved = _measured_together(many, list(solved), done)
    for position, eq in solved:
        try:
            done(position, (True, eq if measure is None else _measured(measure(eq))))
        except Exception as err:
            done(position, (False, _describe(err)))
    return [outcome for outcome in outcomes if outcome is not None]


def _measured_together(
    many: Callable[[list[Any]], list[Any]], solved: list[tuple[int, Any]], done: Callable[[int, Outcome], None]
) -> Iterator[tuple[int, Any]]:
    """Record ``many``'s value (or the exception in its place) for each point; if it fails, the points to redo."""
    try:
        values = list(many([eq for _, eq in solved]))
        if len(values) != len(solved):
            raise ValueError(f"measure.many returned {len(values)} values for {len(solved)} equilibria")
    except Exception as err:  # measured point by point instead, so that the error is blamed on its point
        logger.warning("sweep: measure.many failed on a chunk (%s); measuring its points one by one", _describe(err))
        return iter(solved)
    for (position, _), value in zip(solved, values, strict=True):
        try:
            done(position, (False, _describe(value)) if isinstance(value, Exception) else (True, _measured(value)))
        except ValueError as err:
            done(position, (False, _describe(err)))
    return iter(())


def _measured(value: Any) -> Any:
    """A measure's value at one point, or a ValueError if it is ``None`` (or holds one).

    ``None`` would otherwise become a NaN in a numeric result, a point that looks measured
    but has no number; it fails the point instead, with the reason.

    Examples
    --------
    >>> _measured({"win": 0.25})
    {'win': 0.25}
    >>> _measured(None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: measure returned None: no number for this point ...
    """
    if value is None or (isinstance(value, dict) and any(v is None for v in value.values())):
        raise ValueError("measure returned None: no number for this point (return a number, an array or a dict "
                         "of them, or raise to fail the point)")
    return value


def _one_by_one(
    built: list[tuple[int, Any]], solve_options: dict[str, Any], done: Callable[[int, Outcome], None]
) -> Iterator[tuple[int, Any]]:
    for position, model in built:
        try:
            eq = solve(model, **solve_options)
        except Exception as err:
            done(position, (False, _describe(err)))
            continue
        yield position, eq


def _assemble(
    names: tuple[str, ...],
    axes: list[list[Any]],
    shape: tuple[int, ...],
    outcomes: dict[int, Outcome],
    measure: Callable[[Any], Any] | None,
) -> SweepResult:
    failed = np.zeros(shape, dtype=bool)
    errors: dict[tuple[int, ...], str] = {}
    good: dict[int, Any] = {}
    for flat, (ok, value) in outcomes.items():
        index = tuple(int(i) for i in np.unravel_index(flat, shape))
        if ok:
            good[flat] = value
        else:
            failed[index] = True
            errors[index] = value
    values: NDArray[Any] | dict[str, NDArray[Any]]
    if measure is not None and not good:  # every point failed: nothing was measured, so no quantity exists
        values = {}
    elif measure is not None and all(isinstance(v, Mapping) for v in good.values()):
        values = _stack_quantities(shape, good)
    else:
        values = _stack(shape, good, numeric=measure is not None)
    for array in values.values() if isinstance(values, dict) else [values]:
        if isinstance(array, np.ma.MaskedArray):
            array[failed] = np.ma.masked
    coords = {name: coordinate(axis) for name, axis in zip(names, axes, strict=True)}
    return SweepResult(names=names, coords=coords, values=values, failed=failed, errors=dict(sorted(errors.items())))


def _stack_quantities(shape: tuple[int, ...], good: dict[int, Any]) -> dict[str, NDArray[Any]]:
    """A measure's dicts of named quantities as one masked array per name."""
    keys = {tuple(sorted(v)) for v in good.values()}
    if len(keys) != 1:
        raise ValueError(f"measure returned dicts with different names: {sorted(keys)}")
    out = {}
    for name in next(iter(keys)):
        if not isinstance(name, str):
            raise ValueError(f"measure returned a dict with the name {name!r}: names must be strings")
        stacked = _stack(shape, {k: v[name] for k, v in good.items()}, numeric=True)
        if stacked.dtype == object:
            raise ValueError(f"measure returned {name!r} values that are not numbers or arrays of numbers")
        out[name] = stacked
    return out


def _stack(shape: tuple[int, ...], good: dict[int, Any], numeric: bool) -> NDArray[Any]:
    """Measured values as one array of the grid's shape (plus the measure's own shape)."""
    if numeric and good:
        try:
            arrays = {k: np.asarray(v, dtype=float) for k, v in good.items()}
        except (TypeError, ValueError):
            arrays = {}
        shapes = {a.shape for a in arrays.values()}
        if arrays and len(shapes) == 1:
            inner = shapes.pop()
            data = np.zeros(shape + inner)
            mask = np.ones(shape + inner, dtype=bool)
            data_rows, mask_rows = data.reshape((-1, *inner)), mask.reshape((-1, *inner))
            for k, array in arrays.items():
                data_rows[k], mask_rows[k] = array, False
            masked: NDArray[Any] = np.ma.MaskedArray(data, mask=mask)
            return masked
        if arrays:
            raise ValueError(f"measure returned values of different shapes: {sorted(shapes)}")
    out = np.empty(shape, dtype=object)
    flat_view = out.reshape(-1)
    for k, value in good.items():
        flat_view[k] = value
    return out
