"""mpmath with a precision private to each thread: ``from patentrace.solvers import _mp as mp``.

mpmath keeps its working precision in one context object, ``mpmath.mp``, shared by
every thread: ``mpmath.workdps`` sets that object's precision on entry and restores it
on exit, so two threads that both use it see each other's precision, and the one that
leaves last restores the wrong value. The certified numbers of
``patentrace.solvers.symbolic`` (docs/theory/race.md) need a precision nobody else can
change, so this module gives each thread its own contexts: attribute access here
(``mp.mpf``, ``mp.workdps``, ``mp.findroot``, ``mp.iv``, ...) goes to the calling
thread's ``mpmath.ctx_mp.MPContext`` and ``mpmath.ctx_iv.MPIntervalContext``,
created on the thread's first use at mpmath's default 15 digits. ``mpmath.mp`` itself
is never touched. Numbers carry their context, so arithmetic on an ``mpf`` made here
runs at this thread's precision.

Examples
--------
>>> import mpmath, threading
>>> from patentrace.solvers import _mp as mp
>>> before = mpmath.mp.dps
>>> with mp.workdps(50):
...     third = mp.mpf(1) / 3
>>> len(mp.nstr(third, 50)), mp.dps, mpmath.mp.dps == before    # the global context is untouched
(52, 15, True)
>>> seen = []
>>> with mp.workdps(40):
...     worker = threading.Thread(target=lambda: seen.append(mp.dps)); worker.start(); worker.join()
>>> seen                                                  # another thread keeps its own precision
[15]
"""

from __future__ import annotations

import threading
from typing import Any

from mpmath import fp
from mpmath.ctx_iv import MPIntervalContext
from mpmath.ctx_mp import MPContext

__all__: list[str] = []


class _Contexts(threading.local):
    """The calling thread's real and interval contexts (a fresh pair per thread)."""

    def __init__(self) -> None:
        self.real = MPContext()
        self.interval = MPIntervalContext()
        # The cross links mpmath sets up between its global contexts, here between this thread's pair.
        self.real._mp = self.interval._mp = self.real
        self.real._iv = self.interval._iv = self.interval
        self.real._fp = fp  # the float context holds no precision


_THREAD = _Contexts()


def __getattr__(name: str) -> Any:
    """``mp.iv`` is this thread's interval context; every other name its real context's attribute."""
    if name == "iv":
        return _THREAD.interval
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_THREAD.real, name)
