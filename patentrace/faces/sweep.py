"""Parameter sweeps: a grid of models, solved in vectorised chunks on any executor.

``sweep(make_model, grid, measure)`` builds ``make_model(**point)`` at every point of
the Cartesian product of ``grid``, solves the models chunk by chunk with
:func:`patentrace.solve_many` (one vectorised pass per chunk), and reduces each
equilibrium with ``measure``. Chunks run in this process by default, or on any
:class:`concurrent.futures.Executor`: a ``ProcessPoolExecutor``, or a dask cluster
through ``dask.distributed.Client.get_executor()`` — the code is the same.

A point whose model, solve or measure raises is recorded with its error and the
sweep goes on; the errors come back with the result. With ``checkpoint=path`` every
finished point is appended to a file as soon as it is known, and a sweep started
again with the same file resumes where it stopped: nothing finished is computed
again. (The file is a pickle stream: resume only from files you wrote.)

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

import inspect
import itertools
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from patentrace.solvers import solve, solve_many

__all__ = ["SweepResult", "sweep"]

_FORMAT = "patentrace-sweep-1"

# A point's outcome: (True, measured value) or (False, "ErrorType: message").
Outcome = tuple[bool, Any]


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What :func:`sweep` computed.

    Attributes
    ----------
    names : tuple of str
        The grid's parameters, in order: the leading axes of ``values``.
    coords : dict
        Each parameter's values.
    values : ndarray or numpy.ma.MaskedArray
        Shape ``grid shape + measure shape``. Without a measure, an object array of
        :class:`~patentrace.Equilibrium` (None where a point failed). With a numeric
        measure, floats, masked where a point failed.
    failed : ndarray of bool
        Shape of the grid: True where the point raised.
    errors : dict
        Grid index -> ``"ErrorType: message"`` for every failed point.

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
    values: NDArray[Any]
    failed: NDArray[np.bool_] = field(repr=False)
    errors: dict[tuple[int, ...], str]

    def __repr__(self) -> str:
        shape = " x ".join(f"{n}={len(self.coords[n])}" for n in self.names)
        return f"SweepResult({shape}, points={self.failed.size}, failed={len(self.errors)})"

    @property
    def dataset(self) -> Any:
        """The result as an ``xarray.Dataset`` with the grid as coordinates, or None without xarray.

        Variables: ``measure`` (the values; NaN where a point failed), ``failed``.

        Examples
        --------
        >>> import patentrace as pr
        >>> def race(discount):
        ...     return pr.Race(stages=2, prize=1.0, discount=discount, cost=pr.costs.Quadratic())
        >>> result = pr.sweep(race, {"discount": [0.05, 0.1]}, measure=lambda eq: eq.value[0, 0, 0])
        >>> round(result.dataset["measure"].sel(discount=0.1).item(), 10)     # SPEC.md §1: V(0, 0)
        0.1795728262
        """
        try:
            import xarray as xr
        except ImportError:
            return None
        extra = tuple(f"measure_dim_{k}" for k in range(self.values.ndim - len(self.names)))
        values = self.values
        if isinstance(values, np.ma.MaskedArray):
            values = values.filled(np.nan)
        return xr.Dataset(
            {"measure": (self.names + extra, values), "failed": (self.names, self.failed)},
            coords={n: self.coords[n] for n in self.names},
        )


def sweep(
    make_model: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]],
    measure: Callable[[Any], Any] | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    *,
    chunk_size: int = 256,
    checkpoint: str | os.PathLike[str] | None = None,
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
        point). Default: keep the whole :class:`~patentrace.Equilibrium`.
    executor : concurrent.futures.Executor, optional
        Where chunks run: None runs them in this process; a ``ProcessPoolExecutor``
        or ``dask.distributed.Client(...).get_executor()`` runs them in parallel.
        ``make_model`` and ``measure`` must then be picklable.
    progress : bool, optional
        Show a tqdm progress bar; default: when standard error is a terminal.
    chunk_size : int
        Points per chunk, each chunk one :func:`~patentrace.solve_many` call.
    checkpoint : path, optional
        File to which each finished point is appended; an existing file written
        by the same sweep (same grid and chunk size) is resumed.
    **solve_options
        Passed to :func:`~patentrace.solve_many` (``selection``, ``grid``, ``verify``...).

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        An empty grid or an empty list of values, a grid key that ``make_model``
        does not accept, a ``measure`` that is not callable, an ``executor`` that
        is not an Executor, a chunk size below 1, or a checkpoint written by
        another sweep.

    Examples
    --------
    The value at (0, 0) of the two-stage race for two discount rates; at ``r = 0.1`` it
    is SPEC.md §1's 0.1795728262:

    >>> import patentrace as pr
    >>> def race(discount):
    ...     return pr.Race(stages=2, prize=1.0, discount=discount, cost=pr.costs.Quadratic())
    >>> result = pr.sweep(race, {"discount": [0.05, 0.1]}, measure=lambda eq: eq.value[0, 0, 0])
    >>> result.values.astype(float).round(10).tolist()
    [0.2142360871, 0.1795728262]
    """
    names, axes = _check(make_model, grid, measure, executor, chunk_size)
    shape = tuple(len(axis) for axis in axes)
    total = int(np.prod(shape))
    outcomes: dict[int, Outcome] = {}
    journal = _Journal.open(checkpoint, names, axes, chunk_size) if checkpoint is not None else None
    if journal is not None:
        outcomes.update(journal.finished)
    pending = [k for k in range(total) if k not in outcomes]
    chunks = [pending[k : k + chunk_size] for k in range(0, len(pending), chunk_size)]

    def point(flat: int) -> dict[str, Any]:
        index = np.unravel_index(flat, shape)
        return {name: axis[i] for name, axis, i in zip(names, axes, index, strict=True)}

    def record(flat: int, outcome: Outcome) -> None:
        outcomes[flat] = outcome
        if journal is not None:
            journal.write(flat, outcome)
        bar.update(1)

    show = sys.stderr.isatty() if progress is None else bool(progress)
    from tqdm.auto import tqdm

    with tqdm(total=total, initial=total - len(pending), disable=not show, unit="point") as bar:
        try:
            if executor is None:
                for chunk in chunks:
                    _run_chunk(make_model, measure, [point(k) for k in chunk], solve_options, _Recorder(chunk, record))
            else:
                futures = {
                    executor.submit(_run_chunk, make_model, measure, [point(k) for k in chunk], solve_options): chunk
                    for chunk in chunks
                }
                for future in as_completed(futures):
                    for flat, outcome in zip(futures[future], future.result(), strict=True):
                        record(flat, outcome)
        finally:
            if journal is not None:
                journal.close()
    return _assemble(names, axes, shape, outcomes, measure)


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
    for position, eq in solved:
        try:
            done(position, (True, eq if measure is None else measure(eq)))
        except Exception as err:
            done(position, (False, _describe(err)))
    return [outcome for outcome in outcomes if outcome is not None]


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
    values = _stack(shape, good, numeric=measure is not None)
    if isinstance(values, np.ma.MaskedArray):
        values[failed] = np.ma.masked
    coords = {name: _coordinate(axis) for name, axis in zip(names, axes, strict=True)}
    return SweepResult(names=names, coords=coords, values=values, failed=failed, errors=dict(sorted(errors.items())))


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


def _coordinate(axis: list[Any]) -> NDArray[Any]:
    try:
        array = np.asarray(axis)
    except ValueError:
        array = np.empty(len(axis), dtype=object)
        array[:] = axis
    if array.ndim != 1:
        array = np.empty(len(axis), dtype=object)
        array[:] = axis
    return array


class _Journal:
    """An append-only checkpoint: a header, then one record per finished point."""

    def __init__(self, path: Path, handle: IO[bytes], finished: dict[int, Outcome]):
        self.path, self.handle, self.finished = path, handle, finished

    @staticmethod
    def open(path: str | os.PathLike[str], names: tuple[str, ...], axes: list[list[Any]], chunk_size: int) -> _Journal:
        file = Path(path)
        header = {"format": _FORMAT, "names": names, "grid": repr(axes), "chunk_size": chunk_size}
        finished: dict[int, Outcome] = {}
        if file.exists() and file.stat().st_size > 0:
            with file.open("rb") as reader:
                try:
                    written = pickle.load(reader)
                except Exception as err:
                    raise ValueError(f"checkpoint {file} is not a patentrace sweep checkpoint: {err}") from None
                if written != header:
                    raise ValueError(
                        f"checkpoint {file} was written by a different sweep (grid or chunk_size differ); "
                        "use another file or delete it"
                    )
                good_end = reader.tell()
                for flat, outcome in _records(reader):
                    finished[flat] = outcome
                    good_end = reader.tell()
            with file.open("r+b") as cut:  # drop a record cut short by the interruption
                cut.truncate(good_end)
            return _Journal(file, file.open("ab"), finished)
        writer = file.open("wb")
        pickle.dump(header, writer)
        writer.flush()
        return _Journal(file, writer, finished)

    def write(self, flat: int, outcome: Outcome) -> None:
        pickle.dump((flat, outcome), self.handle)
        self.handle.flush()  # in the operating system's hands: survives the process being stopped

    def close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


def _records(handle: IO[bytes]) -> Iterator[tuple[int, Outcome]]:
    for _ in itertools.count():
        try:
            record = pickle.load(handle)
        except (EOFError, pickle.UnpicklingError, AttributeError, IndexError, ValueError):
            return
        yield record
