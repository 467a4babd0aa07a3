"""``save`` and ``load``: any result to a file and back, equal (issue 20, "Round trips").

Two formats, chosen by the file's suffix:

``.json``
    The result's ``to_dict()`` as standard JSON text (UTF-8; ``inf`` and ``nan`` are
    written as the strings ``"inf"``, ``"nan"``, so any JSON reader accepts the file).
    No extra dependency.
``.nc``
    The result's ``to_xarray()`` as a netCDF file (netCDF3 64-bit offset, written by
    xarray's ``scipy`` engine: scipy is already a dependency, so only the ``xarray``
    extra is needed, and every netCDF tool reads it). The model and the solver's
    record are JSON in the attributes ``model`` and ``solver_info``. netCDF3 has no
    64-bit integers and no empty dimensions: counts are stored as 32-bit integers
    (xarray refuses a count that does not fit) and cast back on loading, and an empty
    variable is left out and listed, with its dimensions, in the attribute
    ``empty_variables``, to be restored on loading.

Every file names its format (``patentrace-result-1``) and its type, and carries the
SHA-256 of the result's ``to_dict()`` as canonical JSON (``sha256``: a key of the JSON
file, an attribute of the netCDF file). ``load`` reads the type from the file, rebuilds
that result, checked like new data, and recomputes the checksum from what it rebuilt: a
file that is not a saved result, is damaged, or had a number changed raises
``ResultFormatError`` (a ``ValueError``) naming the file and what is wrong. Nothing in a
file is executed or imported (no pickle).

Examples
--------
>>> import os, tempfile
>>> import patentrace as pr
>>> eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
>>> path = os.path.join(tempfile.mkdtemp(), "race.json")
>>> pr.save(eq, path)
>>> pr.load(path) == eq
True
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from patentrace.faces.sweep import SweepResult
from patentrace.results.continuous_lagged import ContinuousLaggedEquilibrium
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium
from patentrace.results.equilibrium import Equilibrium, LaggedEquilibrium
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.serialization import FORMAT, ResultFormatError, canonical_json, parse_json, strict_json
from patentrace.results.tug_equilibrium import TugEquilibrium

__all__ = ["RESULT_TYPES", "ResultFormatError", "load", "save"]

RESULT_TYPES: dict[str, Any] = {
    cls.__name__: cls for cls in (Equilibrium, LaggedEquilibrium, ContinuousLaggedEquilibrium, DeterministicEquilibrium,
                                  SweepResult, TugEquilibrium, NFirmEquilibrium)
}
"""The result types ``save`` writes and ``load`` reads, by the name written in the file."""

_SUFFIXES = (".json", ".nc")


def _result_types() -> dict[str, Any]:
    """The saveable types; the symbolic result joins only once sympy is loaded (it needs it anyway)."""
    import sys

    types = dict(RESULT_TYPES)
    if "patentrace.solvers.symbolic" in sys.modules:
        from patentrace.solvers.symbolic import SymbolicEquilibrium

        types["SymbolicEquilibrium"] = SymbolicEquilibrium
    return types


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"path must end in .json (JSON) or .nc (netCDF through xarray), got {str(path)!r}")
    return suffix


def save(result: Any, path: str | os.PathLike[str]) -> None:
    """Write ``result`` to ``path``: JSON for ``.json``, netCDF for ``.nc`` (see the module docstring).

    Parameters
    ----------
    result : a result type of ``RESULT_TYPES``, or SymbolicEquilibrium
        What to save: an Equilibrium, LaggedEquilibrium, ContinuousLaggedEquilibrium,
        DeterministicEquilibrium, SweepResult, TugEquilibrium or SymbolicEquilibrium. The
        symbolic result saves to ``.json`` only.
    path : str or path-like
        The file; an existing file is replaced.

    Raises
    ------
    TypeError
        For an object that is not a result.
    ValueError
        For another suffix; for a result whose model cannot be rebuilt from data (a
        cost of your own, a breakthrough hazard given as a function), naming the
        parameter (a ``ContinuousEffort`` of your own functions too); for a sweep of
        whole equilibria to ``.nc`` (use ``.json``). The file is written beside ``path``,
        read back and compared with ``result`` (``==``), and only then moved to ``path``:
        a result that would not load back equal is never saved.

    Examples
    --------
    >>> import os, tempfile
    >>> import patentrace as pr
    >>> race = pr.Race(stages=(3, 2), prize=1.0, discount=0.1, cost=pr.costs.Power(scale=1.0, exponent=3.0))
    >>> eq = pr.solve(race)
    >>> path = os.path.join(tempfile.mkdtemp(), "race.nc")
    >>> pr.save(eq, path)
    >>> again = pr.load(path)
    >>> again == eq, again.model == race
    (True, True)
    """
    file = Path(path)
    suffix = _suffix(file)
    kind = type(result).__name__
    if _result_types().get(kind) is not type(result):
        raise TypeError(f"result must be one of {sorted(_result_types())}, got a {kind}")
    if suffix == ".nc" and not hasattr(result, "to_xarray"):
        raise ValueError(f"a {kind} saves to .json only (it has no array form)")
    partial = file.with_name(f".{file.name}.partial{suffix}")
    try:
        if suffix == ".json":
            data = result.to_dict()
            partial.write_text(strict_json({**data, "sha256": digest(data)}) + "\n", encoding="utf-8")
        else:
            dataset = result.to_xarray()
            dataset.attrs["sha256"] = digest(result.to_dict())
            _write_netcdf(dataset, partial)
        try:
            again = load(partial)
        except ResultFormatError as err:  # what could not be loaded back is not saved, saying why
            raise ResultFormatError(str(err).replace(str(partial), f"the {kind} to save")) from None
        if again != result:
            raise ValueError(f"the {kind} written to {str(file)!r} would not load back equal to itself; "
                             "nothing was saved")
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)


def load(path: str | os.PathLike[str]) -> Any:
    """Read a result that ``save`` wrote; it equals (``==``) the result saved.

    Parameters
    ----------
    path : str or path-like
        A ``.json`` or ``.nc`` file written by ``save``.

    Returns
    -------
    a result type of ``RESULT_TYPES``, or SymbolicEquilibrium
        The type named in the file.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    patentrace.results.serialization.ResultFormatError
        A ``ValueError``, for a file that is not a saved patentrace result or is damaged,
        naming the file and what is wrong.

    Examples
    --------
    >>> import os, tempfile
    >>> import patentrace as pr
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.json")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write('{"title": "my notes"}')
    >>> pr.load(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    patentrace.results.serialization.ResultFormatError: .../notes.json: not a saved patentrace result (format None, ...)
    """
    file = Path(path)
    suffix = _suffix(file)
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {str(file)!r}")
    where = str(file)
    if suffix == ".json":
        data = parse_json(file.read_bytes(), where)
        stored = data.pop("sha256", None) if isinstance(data, dict) else None
        result = _cls_of(data, where).from_dict(data, where=where)
    else:
        dataset = _read_netcdf(file, where)
        stored = dataset.attrs.pop("sha256", None)
        result = _cls_of(dataset.attrs, where).from_xarray(dataset, where=where)
    if stored is None:
        raise ResultFormatError(f"{where}: no sha256 checksum; pr.load reads files written by pr.save "
                                f"(for data of your own, use {type(result).__name__}.from_dict)")
    if digest(result.to_dict()) != stored:
        raise ResultFormatError(f"{where}: checksum mismatch: the file was altered or damaged after it was saved "
                                "(a changed number is never loaded silently)")
    return result


def digest(data: Any) -> str:
    """SHA-256 of a result's ``to_dict()`` written as canonical strict JSON (sorted keys, no spaces).

    Examples
    --------
    >>> digest({"b": 1.0, "a": float("inf")}) == digest({"a": float("inf"), "b": 1.0})
    True
    """
    return hashlib.sha256(canonical_json(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _cls_of(header: Any, where: str) -> Any:
    """The class named by a file's header, after checking that it is this library's format."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise ResultFormatError(f"{where}: not a saved patentrace result (format {found!r}, expected {FORMAT!r})")
    types = _result_types()
    kind = header.get("type")
    if kind == "SymbolicEquilibrium" and kind not in types:
        from patentrace.solvers.symbolic import SymbolicEquilibrium

        return SymbolicEquilibrium
    if kind not in types:
        raise ResultFormatError(f"{where}: unknown result type {kind!r}; the types are {sorted(types)}")
    return types[str(kind)]


def _xarray() -> Any:
    try:
        import xarray as xr
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("saving and loading .nc files needs xarray: pip install 'patentrace[xarray]'") from err
    return xr


def _write_netcdf(dataset: Any, file: Path) -> None:
    """netCDF3 through scipy: empty variables are listed in an attribute instead of written."""
    empty = {str(name): list(map(str, variable.dims)) for name, variable in dataset.variables.items()
             if variable.size == 0}
    kept = dataset.drop_vars(list(empty))
    kept = kept.drop_dims([d for d in kept.dims if kept.sizes[d] == 0])
    kept.attrs["empty_variables"] = strict_json(empty)
    kept.to_netcdf(file, engine="scipy", format="NETCDF3_64BIT")


def _read_netcdf(file: Path, where: str) -> Any:
    xr = _xarray()
    try:
        dataset = xr.load_dataset(file, engine="scipy")
    except (TypeError, ValueError, OSError) as err:
        raise ResultFormatError(f"{where}: not a netCDF file written by patentrace.save ({err})") from None
    if dataset.attrs.get("format") != FORMAT:
        return dataset  # refused by the caller, with the format found
    empty = parse_json(str(dataset.attrs.pop("empty_variables", "{}")), f"{where}: attribute 'empty_variables'")
    if not isinstance(empty, dict):
        raise ResultFormatError(f"{where}: attribute 'empty_variables' must map names to dimensions")
    import numpy as np

    for name, dims in empty.items():
        sizes = tuple(int(dataset.sizes.get(d, 0)) for d in dims)
        dataset[name] = (tuple(dims), np.zeros(sizes))
    return dataset
