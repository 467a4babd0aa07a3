"""``import patentrace`` loads no heavy optional dependency; each loads on first use (issue 15).

Each check runs in a fresh interpreter: the test process itself has long imported everything.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import patentrace

# Run from the folder holding the package under test, so the fresh interpreter imports that same copy.
PACKAGE_PARENT = Path(patentrace.__file__).resolve().parent.parent

# Heavy dependencies that most scripts never use: they must load on first use, not at import.
LAZY = ("sympy", "mpmath", "numba", "nashpy", "matplotlib", "scipy.stats")


def loaded_after(code: str) -> dict[str, bool]:
    """Which of ``LAZY`` are in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = f"import json, sys\n{code}\nprint(json.dumps({{m: m in sys.modules for m in {LAZY!r}}}))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False,
                          cwd=PACKAGE_PARENT)
    assert done.returncode == 0, done.stderr
    loaded: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_import_loads_none_of_the_heavy_dependencies():
    loaded = loaded_after("import patentrace as pr")
    assert not any(loaded.values()), sorted(name for name, yes in loaded.items() if yes)


def test_every_public_name_still_resolves_without_loading_them():
    """The lazy loading keeps the API: every name in ``__all__`` but ``symbolic`` is there at once."""
    loaded = loaded_after(
        "import patentrace as pr\n"
        "missing = [n for n in pr.__all__ if n != 'symbolic' and not hasattr(pr, n)]\n"
        "assert not missing, missing\n"
        "assert {'symbolic', 'solve', 'costs'} <= set(dir(pr))"
    )
    assert not any(loaded.values())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # pr.symbolic is the public door to sympy: the attribute loads it, and is the real module
        ("import patentrace as pr\nimport patentrace.symbolic as s\nassert pr.symbolic is s\n"
         "assert pr.symbolic.solve(pr.Race(stages=1, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())) is not None",
         {"sympy", "mpmath"}),
        # a race with power costs goes through the compiled sweep: numba loads on that first solve
        ("import patentrace as pr\npr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))",
         {"numba"}),
        # exact costs are sympy expressions
        ("import patentrace as pr\npr.costs.Power(exponent=3.0).expression()", {"sympy", "mpmath"}),
    ],
    ids=["symbolic", "compiled-sweep", "cost-expression"],
)
def test_each_dependency_loads_when_first_needed(code: str, expected: set[str]):
    loaded = loaded_after(code)
    assert {name for name, yes in loaded.items() if yes} >= expected


def test_a_lagged_race_is_built_without_any_lazy_dependency():
    """A menu from from_race completes one stage with 1 - exp(-lambda x lag): no scipy.stats, sympy or numba."""
    loaded = loaded_after(
        "import patentrace as pr\n"
        "race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic())\n"
        "pr.LaggedRace.from_race(race, lag=0.5, efforts=[0.0, 0.4])\n"
        "pr.LaggedRace.from_race(race, lag=0.5)"
    )
    assert not any(loaded.values()), loaded


def test_a_race_without_power_costs_solves_without_numba():
    """Only the compiled sweep needs numba; a cost of the user's own goes to the all-roots path."""
    loaded = loaded_after(
        "import numpy as np\n"
        "import patentrace as pr\n"
        "class Cubic(pr.costs.Cost):\n"
        "    def value(self, effort): return np.asarray(effort, dtype=float) ** 3 / 3\n"
        "    def marginal(self, effort): return np.asarray(effort, dtype=float) ** 2\n"
        "    def expression(self, effort=None): raise NotImplementedError\n"
        "eq = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=Cubic()))\n"
        "assert eq.solver.options['path'] == 'allroots'\n"
        "assert 'numba' not in sys.modules, 'numba loaded for a race the compiled sweep cannot take'\n"
        "power = pr.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Power(exponent=3.0)))\n"
        "assert 'numba' in sys.modules  # the same race with the library's power cost: compiled\n"
        "assert np.allclose(eq.effort, power.effort, rtol=1e-10, atol=0.0), (eq.effort, power.effort)"
    )
    assert {name for name, yes in loaded.items() if yes} == {"numba"}


def test_an_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'solver_of_everything'"):
        _ = patentrace.solver_of_everything  # type: ignore[attr-defined]
