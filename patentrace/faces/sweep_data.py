"""A sweep's result as JSON data and as an ``xarray.Dataset``, and back (issue 20, "Round trips").

``patentrace.SweepResult`` holds its grid (names and coordinates), the measured
values (one array, a dict of named arrays, or whole equilibria), which points failed
and why, the parameters that ``make_model`` fixed, and the names of each measured
quantity's own dimensions. This module turns those into data and back:

- coordinates and fixed parameters are written like a model's parameters (numbers,
  strings, lists for tuples, costs as ``{"cost": family, ...}``), so a grid over costs
  or stage pairs survives;
- a measured array is nested lists with ``null`` where its point failed (the mask);
- whole equilibria (a sweep without a measure) are each one ``to_dict()``.

Examples
--------
>>> import numpy as np
>>> masked_to_data(np.ma.MaskedArray([1.5, 2.0], mask=[False, True]))
[1.5, None]
>>> masked_from_data("measure", [1.5, None], (2,)).mask.tolist()
[False, True]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.models.parameters import UnrestorableError, decode_parameter, encode_parameter
from patentrace.results.continuous_lagged import ContinuousLaggedEquilibrium
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium
from patentrace.results.serialization import ResultFormatError, number, object_array

__all__ = ["coordinate", "default_dims", "masked_from_data", "masked_to_data", "quantity_dims"]


def coordinate(axis: list[Any]) -> NDArray[Any]:
    """A grid axis as a one-dimensional array (of objects when its values are not plain numbers or strings).

    Examples
    --------
    >>> coordinate([(2, 1), (3, 1)]).dtype, coordinate([0.1, 0.2]).dtype
    (dtype('O'), dtype('float64'))
    """
    try:
        array = np.asarray(axis)
    except ValueError:
        array = np.empty(len(axis), dtype=object)
        array[:] = axis
    if array.ndim != 1:
        array = np.empty(len(axis), dtype=object)
        array[:] = axis
    return array


def default_dims(name: str, extra: int) -> tuple[str, ...]:
    """Names of a quantity's own axes when the sweep was given none: ``{name}_dim_{k}``.

    Examples
    --------
    >>> default_dims("effort", 2)
    ('effort_dim_0', 'effort_dim_1')
    """
    return tuple(f"{name}_dim_{k}" for k in range(extra))


def quantity_dims(dims: Any, names: list[str] | None) -> dict[str, tuple[str, ...]]:
    """Validate the ``dims`` argument of ``sweep``: a tuple (one measure) or a mapping name -> tuple.

    Examples
    --------
    >>> quantity_dims(("firm",), None)
    {'measure': ('firm',)}
    >>> quantity_dims({"effort": ["firm"]}, None)
    {'effort': ('firm',)}
    >>> quantity_dims("firm", None)
    Traceback (most recent call last):
    ...
    ValueError: dims must be a sequence of dimension names (one measure) or a dict quantity -> names, got 'firm'
    """
    if dims is None:
        return {}
    if isinstance(dims, Mapping):
        return {str(k): _names(f"dims[{k!r}]", v) for k, v in dims.items()}
    if isinstance(dims, (list, tuple)):
        return {"measure": _names("dims", dims)}
    raise ValueError(f"dims must be a sequence of dimension names (one measure) or a dict quantity -> names, "
                     f"got {dims!r}")


def _names(label: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{label} must be a sequence of dimension names (strings), got {value!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"{label} names a dimension twice: {value!r}")
    return tuple(value)


def masked_to_data(values: NDArray[Any]) -> Any:
    """A masked array as nested lists, ``None`` where masked.

    Examples
    --------
    >>> masked_to_data(np.ma.MaskedArray([[1.0], [2.0]], mask=[[True], [False]]))
    [[None], [2.0]]
    """
    data = np.ma.getdata(values).astype(object)
    data[np.ma.getmaskarray(values)] = None
    return data.tolist()


def masked_from_data(name: str, data: Any, shape: tuple[int, ...]) -> NDArray[Any]:
    """Invert ``masked_to_data``: floats, masked where ``None``, of the given shape.

    Examples
    --------
    >>> masked_from_data("measure", [None, "inf"], (2,)).tolist()
    [None, inf]
    """
    raw = object_array(name, data, shape)
    mask = np.array([v is None for v in raw.ravel().tolist()], dtype=bool).reshape(shape)
    numbers = [0.0 if v is None else number(name, v) for v in raw.ravel().tolist()]
    return np.ma.MaskedArray(np.array(numbers, dtype=float).reshape(shape), mask=mask)


def equilibria_to_data(values: NDArray[Any]) -> list[Any]:
    """An object array of equilibria (None where a point failed) as a flat list of ``to_dict()``, C order.

    Examples
    --------
    >>> equilibria_to_data(np.array([None], dtype=object))
    [None]
    """
    return [None if eq is None else eq.to_dict() for eq in values.ravel().tolist()]


_EQUILIBRIA: dict[Any, Any] = {
    cls.__name__: cls for cls in (Equilibrium, LaggedEquilibrium, ContinuousLaggedEquilibrium, DeterministicEquilibrium)
}  # what a sweep without a measure holds, by the type its data names


def equilibria_from_data(name: str, data: Any, shape: tuple[int, ...]) -> NDArray[Any]:
    """Invert ``equilibria_to_data``.

    Examples
    --------
    >>> equilibria_from_data("values", [None, None], (1, 2)).shape
    (1, 2)
    """
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise ResultFormatError(f"{name}: expected a list of {math.prod(shape)} equilibria or nulls")
    out = np.empty(len(data), dtype=object)
    for k, item in enumerate(data):
        kind = _EQUILIBRIA.get(item.get("type"), Equilibrium) if isinstance(item, Mapping) else Equilibrium
        out[k] = None if item is None else kind.from_dict(item, f"{name}[{k}]")  # another type: refused by name
    return out.reshape(shape)


def encode_values(values: list[Any] | NDArray[Any]) -> list[Any]:
    """Grid coordinates or fixed parameters as JSON data (costs as structured data, tuples as lists).

    Examples
    --------
    >>> encode_values(np.array([0.05, 0.1]))
    [0.05, 0.1]
    """
    items = values.tolist() if isinstance(values, np.ndarray) and values.dtype != object else list(values)
    return [encode_parameter(v) for v in items]


def decode_values(name: str, data: Any) -> list[Any]:
    """Invert ``encode_values``; a value that cannot be rebuilt raises a ResultFormatError naming it.

    Examples
    --------
    >>> decode_values("coords", [[2, 1], [3, 1]])
    [(2, 1), (3, 1)]
    """
    if not isinstance(data, list):
        raise ResultFormatError(f"{name}: expected a list, got {data!r}")
    try:
        return [decode_parameter(f"{name}[{k}]", v) for k, v in enumerate(data)]
    except UnrestorableError as err:
        raise ResultFormatError(str(err)) from None
