"""Results as JSON data and xarray datasets, and back: the shared pieces (issue 20, "Round trips").

Every result writes ``to_dict()`` (plain Python data: nested lists of numbers, the
model as its constructor arguments, the solver's record) and ``to_xarray()`` (an
``xarray.Dataset`` whose attributes carry the model and the solver as JSON); the
classmethods ``from_dict`` and ``from_xarray`` invert them exactly, float for float.
This module holds what they share: the format's name, reading and checking arrays,
JSON text that is strict (no ``NaN``/``Infinity`` tokens) and the error raised for
data that is not a result of this library.

Examples
--------
>>> import numpy as np
>>> strict_json({"duration": [1.5, float("inf")]})
'{"duration": [1.5, "inf"]}'
>>> array_from("duration", [1.5, "inf"], np.float64, (2,)).tolist()
[1.5, inf]
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.models.parameters import UnrestorableError, model_from_dict

__all__ = [
    "FORMAT", "ResultFormatError", "array_from", "check_header", "number", "object_array", "parse_json",
    "rebuild_model", "strict_json",
]

FORMAT = "patentrace-result-1"
"""The name and version of the saved-result format, written in every file and checked on reading."""

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class ResultFormatError(ValueError):
    """Data or a file that is not a saved patentrace result, or is damaged: the message says what and where.

    Examples
    --------
    >>> check_header({"format": "something else"}, "Equilibrium", "result.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentrace.results.serialization.ResultFormatError: result.json: not a saved patentrace result (format ...)
    """


def check_header(data: Mapping[str, Any], kind: str, where: str) -> None:
    """Refuse ``data`` unless it is in this library's format and of type ``kind``.

    Parameters
    ----------
    data : mapping
        The result's data (``to_dict()``) or a dataset's attributes.
    kind : str
        The class expected, e.g. ``"Equilibrium"``.
    where : str
        What to call the data in a message (a file name, or ``"data"``).

    Examples
    --------
    >>> check_header({"format": FORMAT, "type": "LaggedEquilibrium"}, "Equilibrium", "data")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentrace.results.serialization.ResultFormatError: data: holds a LaggedEquilibrium, not a Equilibrium; ...
    """
    if not isinstance(data, Mapping):
        raise ResultFormatError(f"{where}: not a saved patentrace result (a {type(data).__name__}, not a mapping)")
    if data.get("format") != FORMAT:
        raise ResultFormatError(f"{where}: not a saved patentrace result (format {data.get('format')!r}, "
                                f"expected {FORMAT!r})")
    if data.get("type") != kind:
        raise ResultFormatError(f"{where}: holds a {data.get('type')}, not a {kind}; load it with pr.load or "
                                f"{data.get('type')}.from_dict")


def array_from(name: str, data: Any, dtype: type[np.generic], shape: tuple[int, ...]) -> NDArray[Any]:
    """``data`` (nested lists, or an array) as an array of ``dtype`` and ``shape``, or a ResultFormatError naming it.

    Floats may be written as the strings ``"inf"``, ``"-inf"``, ``"nan"`` (strict JSON);
    integers and booleans must be exactly that.

    Examples
    --------
    >>> array_from("multiplicity", [[1, 2]], np.intp, (1, 2)).tolist()
    [[1, 2]]
    >>> array_from("multiplicity", [[1, 2.5]], np.intp, (1, 2))
    Traceback (most recent call last):
    ...
    patentrace.results.serialization.ResultFormatError: multiplicity: expected whole numbers, got 2.5
    """
    if isinstance(data, np.ndarray):  # from a dataset: check the kind, then cast (netCDF3 stores int32, int8)
        return _typed_array(name, data, dtype, shape)
    flat = object_array(name, data, shape).reshape(-1).tolist()
    kinds = set(map(type, flat))
    if dtype is np.float64 and str in kinds:
        flat = [_NON_FINITE.get(item, item) if isinstance(item, str) else item for item in flat]
        kinds = set(map(type, flat))
    if not kinds <= _KINDS[dtype]:
        bad = next(item for item in flat if type(item) not in _KINDS[dtype])
        raise ResultFormatError(f"{name}: expected {_KIND_NAMES[dtype]}, got {bad!r}")
    return np.array(flat, dtype=dtype).reshape(shape)


def object_array(name: str, data: Any, shape: tuple[int, ...]) -> NDArray[Any]:
    """Nested lists as an array of Python objects of the given shape, or a ResultFormatError naming ``name``.

    Examples
    --------
    >>> object_array("gap", [[1, None]], (1, 2)).tolist()
    [[1, None]]
    """
    try:
        raw = np.array(data, dtype=object)
    except (TypeError, ValueError) as err:
        raise ResultFormatError(f"{name}: not an array of numbers ({err})") from None
    if raw.shape != shape:
        raise ResultFormatError(f"{name}: expected shape {shape} for this model, got {raw.shape}")
    return raw


_KIND_NAMES = {np.float64: "numbers", np.intp: "whole numbers", np.bool_: "booleans"}
_KINDS: dict[Any, set[type]] = {np.float64: {float, int}, np.intp: {int}, np.bool_: {bool}}  # bool is not an int here


def _typed_array(name: str, data: NDArray[Any], dtype: type[np.generic], shape: tuple[int, ...]) -> NDArray[Any]:
    if data.shape != shape:
        raise ResultFormatError(f"{name}: expected shape {shape} for this model, got {data.shape}")
    kinds = {np.float64: "fiu", np.intp: "iu", np.bool_: "b"}[dtype]
    if data.dtype.kind not in kinds and data.size > 0:
        raise ResultFormatError(f"{name}: expected {_KIND_NAMES[dtype]}, got an array of {data.dtype}")
    return np.array(data, dtype=dtype)


def number(name: str, value: Any) -> float:
    """A float written by ``strict_json`` (``"inf"`` and the like included), or a ResultFormatError naming it.

    Examples
    --------
    >>> number("change", "inf")
    inf
    """
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultFormatError(f"{name}: expected a number, got {value!r}")
    return float(value)


def finite_floats(value: Any) -> Any:
    """``value`` with every non-finite float written as the string ``"inf"``, ``"-inf"`` or ``"nan"``.

    Examples
    --------
    >>> finite_floats({"x": [1.0, float("-inf")]})
    {'x': [1.0, '-inf']}
    """
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if kind is list or kind is tuple:
        if value and type(value[0]) is float:  # a row of numbers: one pass when all are finite
            try:
                if all(map(math.isfinite, value)):
                    return list(value)
            except TypeError:  # not all numbers
                pass
        return [finite_floats(v) for v in value]
    if kind is dict or isinstance(value, Mapping):
        return {k: finite_floats(v) for k, v in value.items()}
    return value


def canonical_json(data: Any, **options: Any) -> str:
    """Strict JSON text of ``data``: written directly when every float is finite, else after ``finite_floats``.

    Examples
    --------
    >>> canonical_json({"b": [float("inf")], "a": 1}, sort_keys=True)
    '{"a": 1, "b": ["inf"]}'
    """
    try:
        return json.dumps(data, allow_nan=False, **options)
    except ValueError:  # a non-finite float somewhere: the slow path writes it as a string
        return json.dumps(finite_floats(data), allow_nan=False, **options)


def restore_floats(value: Any) -> Any:
    """Invert ``finite_floats`` (for data whose strings are never ``"inf"``, ``"-inf"``, ``"nan"`` otherwise).

    Examples
    --------
    >>> restore_floats({"x": [1.0, "-inf"]})
    {'x': [1.0, -inf]}
    """
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, Mapping):
        return {k: restore_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_floats(v) for v in value]
    return value


def strict_json(data: Any, indent: int | None = None) -> str:
    """``data`` as standard JSON text: non-finite floats become strings, anything else not JSON is refused.

    Examples
    --------
    >>> strict_json([float("nan")])
    '["nan"]'
    """
    return canonical_json(data, indent=indent)


def parse_json(text: str | bytes, where: str) -> Any:
    """JSON text as Python data, or a ResultFormatError naming ``where``.

    Examples
    --------
    >>> parse_json("{not json", "result.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentrace.results.serialization.ResultFormatError: result.json: not JSON (Expecting property name ...)
    """
    try:
        return json.loads(text)
    except (UnicodeDecodeError, ValueError) as err:
        raise ResultFormatError(f"{where}: not JSON ({err})") from None


def rebuild_model(data: Any, where: str, wanted: str) -> Any:
    """The model that ``data`` describes, of the class named ``wanted``, or a ResultFormatError naming ``where``.

    Examples
    --------
    >>> rebuild_model({"type": "Race", "stages": [2, 2], "prize": 1.0, "discount": 0.1,
    ...                "cost": [{"cost": "Cubic"}, {"cost": "Cubic"}]}, "data", "Race")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentrace.results.serialization.ResultFormatError: data: the model cannot be rebuilt: cost[0]: unknown cost ...
    """
    try:
        model = model_from_dict(data)
    except (UnrestorableError, TypeError, ValueError) as err:
        raise ResultFormatError(f"{where}: the model cannot be rebuilt: {err}") from None
    if type(model).__name__ != wanted:
        raise ResultFormatError(f"{where}: needs a {wanted} model, got a {type(model).__name__}")
    return model
