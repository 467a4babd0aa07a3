"""What the machine can do: memory and processors, checked before any work starts.

A request that cannot fit (a root-search ``grid`` of 10**9 cells, a sweep of 10**12
points, 100000 worker processes) is refused with a ``ValueError`` that gives the
size asked for and the limit, instead of being started and killed by the operating
system part way through (DESIGN.md: nothing fails silently).

Examples
--------
>>> from patentrace._limits import check_root_grid, usable_cpus
>>> check_root_grid(16)
>>> usable_cpus() >= 1
True
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

__all__ = ["available_memory", "check_root_grid", "check_workers", "usable_cpus"]

# Work arrays of grid + 1 floats that one state's root search holds at once (a generous count).
ROOT_SEARCH_ARRAYS = 16
_FLOAT_BYTES = 8
_GIB = float(2**30)


def available_memory() -> int:
    """Bytes this process can still allocate: the kernel's available memory, capped by ``ulimit -v``.

    Returns
    -------
    int
        ``MemAvailable`` from ``/proc/meminfo`` (else free physical pages), or the
        address-space limit if that is smaller.
    """
    free = _meminfo_available()
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and soft > 0:
        free = min(free, int(soft))
    return free


def _meminfo_available() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 2**40  # unknown: do not refuse on a guess


def usable_cpus() -> int:
    """Processors this process may run on (its affinity set where the system reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def check_root_grid(grid: int) -> None:
    """Refuse a root-search ``grid`` whose work arrays for one state exceed the available memory.

    Parameters
    ----------
    grid : int
        Cells of the per-state root search (``solve(..., grid=...)``, docs/theory/race.md).

    Raises
    ------
    ValueError
        Naming ``grid``, the memory it needs and the largest grid that fits.
    """
    free = available_memory()
    per_cell = ROOT_SEARCH_ARRAYS * _FLOAT_BYTES
    needed = per_cell * (grid + 1)
    if needed > free // 2:
        largest = max(free // 2 // per_cell - 1, 2)
        raise ValueError(
            f"grid={grid} needs about {needed / _GIB:.3g} GiB for one state's root search "
            f"({ROOT_SEARCH_ARRAYS} arrays of grid + 1 floats) but {free / _GIB:.3g} GiB of memory is available; "
            f"grid must be <= {largest} on this machine"
        )


def check_workers(name: str, workers: int) -> None:
    """Refuse more worker processes than processors.

    Parameters
    ----------
    name : str
        How the caller calls the count (``"--workers"``, ``"max_workers"``).
    workers : int
        Processes asked for.

    Raises
    ------
    ValueError
        Naming ``name``, its value and the number of usable processors.
    """
    cpus = usable_cpus()
    if workers > cpus:
        raise ValueError(
            f"{name} must be between 1 and the {cpus} processors this process can use, got {workers}: "
            "the solver is compute-bound, so more processes than processors only cost memory"
        )
