"""Sweep checkpoints: JSON lines that hold numbers and arrays, never code.

The file is UTF-8 text, one JSON object per line (format ``patentrace-sweep-2``):

- line 1, the **header**: ``format``, the grid (``names``, ``grid``), descriptions of
  ``make_model`` and ``measure`` (module and qualified name, a digest of a function's
  code, the values its closure captured and its defaults, a ``functools.partial``'s
  arguments) and the solve options with their defaults filled in. Module-level globals
  a function reads are not recorded;
- every further line, one **record** per finished point: ``point`` (its flat index in
  the grid's C order), ``ok`` and ``value`` (the measured value, or for a failed point
  the text ``"ErrorType: message"``).

Each line carries ``sha256``, the SHA-256 of the line's other fields written as
canonical JSON (sorted keys, no spaces). Values are stored exactly: finite floats as
JSON numbers written by ``repr`` (which reads back to the same double), non-finite ones
as ``{"float": "inf"}`` / ``"-inf"`` / ``"nan:7ff8000000000000"`` (a NaN's bits, so its sign and
payload survive), arrays as ``{"ndarray": {"dtype", "shape", "data"}}`` with the
little-endian bytes in base64 (numeric and boolean dtypes only), tuples, lists and
string-keyed dicts tagged, numpy scalars as 0-d arrays. An
[`Equilibrium`][patentrace.Equilibrium] is stored as its arrays, its solver information and its
model's ``repr``; on resume the model is rebuilt by calling ``make_model`` at the point
(the sweep's own code, never anything named in the file), and a model whose ``repr``
differs from the stored one is refused. Nothing in the file is ever executed or imported.

Reading refuses, with the file and the line number (the header is line 1), any line
that is not UTF-8 JSON, fails its checksum, has an unknown tag or repeats a point. The
one exception is a last line without its newline: a writer killed in mid-write leaves
exactly that, so it is dropped with a logged warning and its point is computed again.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
import json
import logging
import math
import os
import re
import struct
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

import numpy as np

from patentrace.results.equilibrium import Equilibrium, SolverInfo

__all__ = ["FORMAT", "CheckpointError", "Journal", "UnstorableError", "describe_callable", "header_for"]

FORMAT = "patentrace-sweep-2"
_ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: plain bytes, nothing to run
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_ARRAYS = tuple(f.name for f in fields(Equilibrium) if f.name not in ("model", "solver"))

logger = logging.getLogger(__name__)

# A point's outcome: (True, measured value) or (False, "ErrorType: message").
Outcome = tuple[bool, Any]


class CheckpointError(ValueError):
    """A checkpoint file that cannot be resumed: it names the file and the line, or the difference.

    Examples
    --------
    >>> import functools, os, tempfile
    >>> import patentrace as pr
    >>> make = functools.partial(pr.Race, stages=2, prize=1.0, cost=pr.costs.Quadratic())
    >>> path = os.path.join(tempfile.mkdtemp(), "sweep.ckpt")
    >>> _ = pr.sweep(make, {"discount": [0.1]}, lambda eq: eq.value[0, 0, 0], checkpoint=path)
    >>> try:
    ...     pr.sweep(make, {"discount": [0.1]}, lambda eq: eq.value[0, 0, 0], checkpoint=path, selection="slowest")
    ... except pr.CheckpointError as err:
    ...     print(str(err).split(" was ", 1)[1].split(".")[0])
    written with selection='fastest', this sweep asks selection='slowest'
    """


class UnstorableError(ValueError):
    """A value of a type the checkpoint format does not hold."""


# --- values -----------------------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """``value`` as JSON data that ``decode`` turns back into an equal value, bit for bit.

    Raises
    ------
    UnstorableError
        For a type the format does not hold (it names the type).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": _non_finite(value)}
    if isinstance(value, np.ndarray):
        return {"ndarray": _encode_array(value)}
    if isinstance(value, np.generic):
        return {"scalar": _encode_array(np.asarray(value))}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"list": [encode(v) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, Equilibrium):
        return {"equilibrium": _encode_equilibrium(value)}
    raise UnstorableError(f"a checkpoint cannot store a value of type {type(value).__qualname__}")


def _non_finite(value: float) -> str:
    """``"inf"``, ``"-inf"``, or a NaN as ``"nan:"`` and its 16 hex digits of IEEE-754 bits (sign and payload kept)."""
    if math.isinf(value):
        return repr(value)
    (bits,) = struct.unpack("<Q", struct.pack("<d", value))
    return f"nan:{bits:016x}"


def _from_non_finite(text: str) -> float:
    """Invert ``_non_finite`` (``"nan"`` alone, as earlier files wrote it, is the default NaN)."""
    if text in _NON_FINITE:
        return _NON_FINITE[text]
    digits = text.removeprefix("nan:")
    if text.startswith("nan:") and len(digits) == 16 and all(c in "0123456789abcdef" for c in digits):
        (value,) = struct.unpack("<d", struct.pack("<Q", int(digits, 16)))
        if math.isnan(value):
            return float(value)
    raise ValueError(f"malformed non-finite float {text!r}")


def _encode_array(array: np.ndarray[Any, Any]) -> dict[str, Any]:
    if array.dtype.kind not in _ARRAY_KINDS:
        raise UnstorableError(f"a checkpoint cannot store an array of dtype {array.dtype}")
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {"dtype": little.dtype.str, "shape": list(array.shape), "data": base64.b64encode(little.tobytes()).decode()}


def _encode_equilibrium(eq: Equilibrium) -> dict[str, Any]:
    info = eq.solver
    return {
        "model": model_text(eq.model),
        "arrays": {name: _encode_array(getattr(eq, name)) for name in _ARRAYS},
        "solver": {"method": info.method, "selection": info.selection, "options": encode(dict(info.options)),
                   "version": info.version, "seconds": encode(info.seconds)},
    }


def model_text(model: Any) -> str:
    """A model's ``repr`` without memory addresses: its parameters, floats written exactly."""
    return _ADDRESS.sub("", repr(model))


def decode(data: Any, model_at: Callable[[], Any]) -> Any:
    """Invert ``encode``; ``model_at()`` rebuilds the model of an equilibrium.

    Raises
    ------
    ValueError
        For data ``encode`` cannot have written.
    """
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError(f"unexpected value {_short(data)}")
    ((tag, inner),) = data.items()
    if tag == "float" and isinstance(inner, str):
        return _from_non_finite(inner)
    if tag == "ndarray":
        return _decode_array(inner)
    if tag == "scalar":
        return _decode_array(inner)[()]
    if tag in ("tuple", "list") and isinstance(inner, list):
        items = [decode(v, model_at) for v in inner]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict" and isinstance(inner, dict):
        return {k: decode(v, model_at) for k, v in inner.items()}
    if tag == "equilibrium" and isinstance(inner, dict):
        return _decode_equilibrium(inner, model_at)
    raise ValueError(f"unknown tag {tag!r}")


def _decode_array(data: Any) -> np.ndarray[Any, Any]:
    if not isinstance(data, dict) or set(data) != {"dtype", "shape", "data"}:
        raise ValueError(f"malformed array {_short(data)}")
    dtype = np.dtype(str(data["dtype"]))
    shape = tuple(int(n) for n in data["shape"])
    if dtype.kind not in _ARRAY_KINDS or any(n < 0 for n in shape):
        raise ValueError(f"array of dtype {dtype} and shape {shape} is not storable")
    raw = base64.b64decode(str(data["data"]), validate=True)
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise ValueError(f"array of shape {shape} and dtype {dtype} holds {len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _decode_equilibrium(data: dict[str, Any], model_at: Callable[[], Any]) -> Equilibrium:
    model = model_at()
    if model_text(model) != data.get("model"):
        raise ValueError(
            f"make_model now builds {model_text(model)} at this point, the checkpoint holds an equilibrium of "
            f"{data.get('model')}"
        )
    arrays = {name: _decode_array(data["arrays"][name]) for name in _ARRAYS}
    info = data["solver"]
    solver = SolverInfo(method=str(info["method"]), selection=str(info["selection"]),
                        options=decode(info["options"], model_at), version=str(info["version"]),
                        seconds=float(decode(info["seconds"], model_at)))
    return Equilibrium(model=model, solver=solver, **arrays)


def _short(data: Any) -> str:
    text = json.dumps(data, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


# --- the header: what the sweep is --------------------------------------------------------------------------------


def describe(value: Any) -> Any:
    """JSON data that identifies ``value``: its exact encoding, or its type and address-free ``repr``."""
    if callable(value) and not isinstance(value, (type(None), np.ndarray)):
        return describe_callable(value)
    try:
        return encode(value)
    except UnstorableError:
        return {"object": _qualified(type(value)), "repr": model_text(value)}


def describe_callable(function: Any) -> Any:
    """Identify a callable without running it: name, a digest of its code, a partial's arguments."""
    if function is None:
        return None
    if isinstance(function, functools.partial):
        return {"partial": describe_callable(function.func), "args": [describe(a) for a in function.args],
                "keywords": {k: describe(v) for k, v in sorted(function.keywords.items())}}
    if isinstance(function, type):
        return {"class": _qualified(function)}
    if isinstance(function, types.MethodType):
        return {"method": describe_callable(function.__func__), "of": describe(function.__self__)}
    code = getattr(function, "__code__", None)
    if isinstance(code, types.CodeType):
        closure = getattr(function, "__closure__", None) or ()
        return {"function": _qualified(function), "code": _code_digest(code),
                "closure": [describe(cell.cell_contents) for cell in closure],
                "defaults": describe(getattr(function, "__defaults__", None))}
    return {"object": _qualified(type(function)), "repr": model_text(function)}


def _qualified(thing: Any) -> str:
    return f"{getattr(thing, '__module__', '?')}.{getattr(thing, '__qualname__', repr(thing))}"


def _code_digest(code: types.CodeType) -> str:
    """SHA-256 (16 hex digits) of a function's bytecode, names and constants: another body, another digest."""
    digest = hashlib.sha256(code.co_code)
    digest.update(repr(code.co_names).encode())
    for constant in code.co_consts:
        part = _code_digest(constant) if isinstance(constant, types.CodeType) else repr(constant)
        digest.update(part.encode())
    return digest.hexdigest()[:16]


def header_for(names: tuple[str, ...], axes: list[list[Any]], make_model: Any, measure: Any,
               solve_options: dict[str, Any]) -> dict[str, Any]:
    """The header of a sweep's checkpoint (see the module docstring)."""
    return {
        "format": FORMAT,
        "names": list(names),
        "grid": [[describe(v) for v in axis] for axis in axes],
        "make_model": describe_callable(make_model),
        "measure": describe_callable(measure),
        "solve_options": {k: describe(v) for k, v in sorted(solve_options.items())},
    }


def _differences(written: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """Human-readable differences between two headers, one per changed item."""
    found = []
    wanted = json.loads(json.dumps(wanted))  # the same JSON types as the file's
    for key in ("format", "names", "grid", "make_model", "measure"):
        old_value, new_value = written.get(key), wanted.get(key)
        if key == "grid" and written.get("names") == wanted.get("names"):  # name the axes
            old_value = dict(zip(wanted["names"], old_value or [], strict=False))
            new_value = dict(zip(wanted["names"], new_value or [], strict=False))
        for path, old_part, new_part in _leaves(key, old_value, new_value)[:3]:
            found.append(f"{path}={_short(old_part)}, this sweep has {path}={_short(new_part)}")
    old, new = written.get("solve_options") or {}, wanted.get("solve_options") or {}
    for option in sorted(set(old) | set(new)):
        if old.get(option) != new.get(option):
            found.append(f"{option}={_option(old, option)}, this sweep asks {option}={_option(new, option)}")
    return found


def _leaves(path: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """Where two JSON structures differ: (dotted path, old part, new part), the deepest common paths."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict) and set(old) == set(new):
        return [d for k in old for d in _leaves(f"{path}.{k}", old[k], new[k])]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for k, (a, b) in enumerate(zip(old, new, strict=True)) for d in _leaves(f"{path}[{k}]", a, b)]
    return [(path, old, new)]


def _option(options: dict[str, Any], name: str) -> str:
    if name not in options:
        return "(not set)"
    try:
        return repr(decode(options[name], lambda: None))
    except ValueError:
        return _short(options[name])


# --- the file -----------------------------------------------------------------------------------------------------


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _line(body: dict[str, Any]) -> bytes:
    text = _canonical(body)
    signed = dict(body, sha256=hashlib.sha256(text.encode()).hexdigest())
    return (_canonical(signed) + "\n").encode()


def _parse(file: Path, number: int, raw: bytes) -> dict[str, Any]:
    """One line's JSON object, its checksum verified; ``number`` counts from 1 (the header)."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise CheckpointError(f"checkpoint {file}, line {number}: not a JSON line of a patentrace sweep "
                              f"checkpoint ({err})") from None
    if not isinstance(body, dict) or not isinstance(body.get("sha256"), str):
        raise CheckpointError(f"checkpoint {file}, line {number}: not a checksummed patentrace checkpoint line")
    checksum = body.pop("sha256")
    if hashlib.sha256(_canonical(body).encode()).hexdigest() != checksum:
        raise CheckpointError(f"checkpoint {file}, line {number}: checksum mismatch (the line was altered or "
                              "damaged); delete the file or that line to recompute the point")
    return body


@dataclass
class Journal:
    """An append-only checkpoint: the header, then one line per finished point."""

    path: Path
    handle: IO[bytes]
    finished: dict[int, Outcome]

    @staticmethod
    def open(path: str | os.PathLike[str], header: dict[str, Any], total: int,
             model_at: Callable[[int], Any]) -> Journal:
        """Resume ``path`` if it holds this sweep, start it if it is absent or empty.

        Raises
        ------
        CheckpointError
            If the file is another sweep's (naming each difference) or is damaged
            anywhere but a last line cut short (naming the line).
        """
        file = Path(path)
        if not file.exists() or file.stat().st_size == 0:
            handle = file.open("wb")
            handle.write(_line(header))
            handle.flush()
            return Journal(file, handle, {})
        finished, good_end = _read(file, header, total, model_at)
        with file.open("r+b") as cut:
            cut.truncate(good_end)
        return Journal(file, file.open("ab"), finished)

    def write(self, flat: int, outcome: Outcome) -> None:
        """Append one finished point; the bytes are with the operating system when this returns.

        Raises
        ------
        UnstorableError
            If the value has a type the format does not hold (nothing is written).
        """
        ok, value = outcome
        self.handle.write(_line({"point": flat, "ok": ok, "value": encode(value)}))
        self.handle.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


def _lines(file: Path) -> Iterator[tuple[int, bytes, int]]:
    """(line number from 1, the line's bytes with its newline if it has one, offset just after it)."""
    offset = 0
    with file.open("rb") as reader:
        for number, raw in enumerate(reader, start=1):
            offset += len(raw)
            yield number, raw, offset


def _read(file: Path, header: dict[str, Any], total: int,
          model_at: Callable[[int], Any]) -> tuple[dict[int, Outcome], int]:
    finished: dict[int, Outcome] = {}
    good_end = 0
    for number, raw, offset in _lines(file):
        if not raw.endswith(b"\n") and number > 1:
            logger.warning("checkpoint %s, line %d: the last line was cut short (the writer was stopped); "
                           "it is dropped and its point is computed again", file, number)
            break
        body = _parse(file, number, raw.rstrip(b"\n"))
        if number == 1:
            _check_header(file, body, header)
        else:
            flat, outcome = _record(file, number, body, total, model_at)
            if flat in finished:
                raise CheckpointError(f"checkpoint {file}, line {number}: point {flat} is recorded twice")
            finished[flat] = outcome
        good_end = offset
    return finished, good_end


def _check_header(file: Path, body: dict[str, Any], header: dict[str, Any]) -> None:
    if body.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {file}, line 1: format {_short(body.get('format'))}, expected "
                              f"{FORMAT!r}")
    differences = _differences(body, header)
    if differences:
        raise CheckpointError(f"checkpoint {file} was written with " + "; with ".join(differences)
                              + ". Use another file, or delete this one to start again")


def _record(file: Path, number: int, body: dict[str, Any], total: int,
            model_at: Callable[[int], Any]) -> tuple[int, Outcome]:
    flat, ok = body.get("point"), body.get("ok")
    if isinstance(flat, bool) or not isinstance(flat, int) or not 0 <= flat < total or not isinstance(ok, bool):
        raise CheckpointError(f"checkpoint {file}, line {number}: not a record of a point of this grid "
                              f"({_short(body)})")
    try:
        value = decode(body.get("value"), lambda: model_at(flat))
    except Exception as err:  # a model that cannot be rebuilt here, or data encode() cannot have written
        raise CheckpointError(f"checkpoint {file}, line {number} (point {flat}): {err}") from None
    if not ok and not isinstance(value, str):
        raise CheckpointError(f"checkpoint {file}, line {number}: a failed point without its error text")
    return flat, (ok, value)


def signature_defaults(function: Callable[..., Any], options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with ``function``'s keyword defaults filled in (its first parameter left out)."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    filled = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
    filled.update(options)
    return filled
