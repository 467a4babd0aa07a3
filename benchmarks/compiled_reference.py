"""Build a plain C reference of a benchmark (a ``reference_*.c`` file in this folder) with the system compiler.

Imported by the benchmark scripts as a sibling module, like ``timing``.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def compile_reference(source: str, folder: Path) -> ctypes.CDLL | None:
    """``HERE / source`` compiled (``-O2``) into a shared library in ``folder`` and loaded; None without a compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        print(f"no C compiler found (cc, gcc, clang): the compiled reference {source} is skipped")
        return None
    library = folder / f"lib{Path(source).stem}.so"
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", str(HERE / source), "-o", str(library), "-lm"], check=True)
    return ctypes.CDLL(str(library))
