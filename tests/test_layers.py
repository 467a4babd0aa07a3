"""The import rule of the layout (DESIGN.md, docs/reference/internals.md): each layer imports only earlier layers.

Layers, in import order: models, equations, results, solvers, reports, faces. The
solvers build the result types, so results come before solvers; a result never calls
a solver. Below every layer sit the base modules (errors, _validate, _version, _limits), which
import no other part of the package; above them all sits the facade (``patentrace``
itself and the thin modules at public paths), which no layer may import. Every import
statement counts: at module level, inside functions, and under ``TYPE_CHECKING``.
"""

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "patentrace"
LAYERS = ("models", "equations", "results", "solvers", "reports", "faces")
BASE = frozenset({"patentrace.errors", "patentrace._validate", "patentrace._version", "patentrace._limits"})
# The public front: ``import patentrace as pr``, ``python -m patentrace``, and the modules kept at
# the paths the documentation shows. They may import anything; no layer may import them.
FACADE = frozenset({"patentrace", "patentrace.__main__", "patentrace.symbolic", "patentrace.costs",
                    "patentrace.plot", "patentrace.lattice", "patentrace.cli"})
FACADE_RANK = len(LAYERS) + 1


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """``patentrace/solvers/backward.py`` -> ``patentrace.solvers.backward``; a package is its ``__init__``."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rank(module: str) -> int:
    """0 for a base module, 1 .. 6 for the layers in import order, 7 for the facade."""
    if module in BASE:
        return 0
    if module in FACADE:
        return FACADE_RANK
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "patentrace" and parts[1] in LAYERS:
        return LAYERS.index(parts[1]) + 1
    raise KeyError(f"{module} belongs to no layer: put it in a layer folder, or list it in BASE or FACADE")


def imported_modules(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """The patentrace modules that ``source`` imports, with their line numbers (relative imports resolved).

    ``from patentrace.results import chain`` imports ``patentrace.results``'s layer, whichever
    of a module or a name ``chain`` is; ``from patentrace import x`` is an import of the facade
    unless ``x`` is a base module.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "patentrace"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "patentrace":
                continue
            if target == "patentrace":
                found += [(node.lineno, f"patentrace.{a.name}" if f"patentrace.{a.name}" in BASE else "patentrace")
                          for a in node.names]
            else:
                found.append((node.lineno, target))
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Each import in ``source`` that breaks the rule, as a readable line (empty if none)."""
    own = rank(module)
    out = []
    for line, target in imported_modules(source, module, is_package):
        theirs = rank(target)
        if own == FACADE_RANK or target == module:
            continue
        if theirs == FACADE_RANK:
            out.append(f"{module}:{line} imports {target}, the public facade (import from the layer instead)")
        elif theirs > own or (own == 0 and theirs != 0):
            out.append(f"{module}:{line} imports {target}, a later layer ({LAYERS[theirs - 1]} after "
                       f"{LAYERS[own - 1] if own else 'the base modules'})")
    return out


def package_violations(package: Path) -> list[str]:
    out = []
    for path in sorted(package.rglob("*.py")):
        name = module_name(path, package)
        out += violations(path.read_text(), name, is_package=path.name == "__init__.py")
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_module_imports_only_earlier_layers(path):
    assert violations(path.read_text(), module_name(path), is_package=path.name == "__init__.py") == []


def test_every_layer_folder_exists_and_says_what_it_may_import():
    for layer in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text())) or ""
        assert "May import" in doc, f"patentrace/{layer}/__init__.py must say what the layer may import"


def test_the_scan_sees_the_whole_package():
    names = {module_name(p) for p in MODULES}
    assert {"patentrace.models.race", "patentrace.solvers.backward", "patentrace.faces.plot.maps"} <= names
    assert len(names) == len(MODULES) > 40
    # every edge the package really has is counted: backward.py imports results, equations and models
    backward = (PACKAGE / "solvers" / "backward.py").read_text()
    layers = {rank(t) for _, t in imported_modules(backward, "patentrace.solvers.backward")}
    assert {1, 2, 3, 4} <= layers


UPWARD = [
    # (module, source): each breaks the rule once
    ("patentrace.models.race", "from patentrace.solvers import solve\n"),
    ("patentrace.models.race", "def f():\n    from patentrace.results.chain import win_probability\n"),
    ("patentrace.equations.hjb", "import patentrace.results.equilibrium\n"),
    ("patentrace.results.equilibrium", "from patentrace.solvers.backward import solve_race\n"),
    ("patentrace.results.verification", "from ..solvers import backward\n"),
    ("patentrace.solvers.backward", "from patentrace.reports.leapfrog import leapfrog\n"),
    ("patentrace.reports.leapfrog", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                    "    from patentrace.faces.plot import leapfrog_figure\n"),
    ("patentrace.solvers.compiled", "from patentrace.faces import sweep\n"),
    ("patentrace.reports.simulate", "import patentrace as pr\n"),
    ("patentrace.solvers.symbolic", "from patentrace import costs\n"),
    ("patentrace.errors", "from patentrace.models import Race\n"),
]


@pytest.mark.parametrize(("module", "source"), UPWARD, ids=[f"{m}<-{s.split()[1]}" for m, s in UPWARD])
def test_an_upward_import_is_refused(module, source):
    found = violations(source, module)
    assert len(found) == 1, found
    assert module in found[0]


@pytest.mark.parametrize(("module", "source"), [
    ("patentrace.solvers.backward", "from patentrace.results import chain\nfrom patentrace.models import Race\n"),
    ("patentrace.reports.lag_experiment", "from patentrace.solvers import solve\n"),
    ("patentrace.faces.cli", "from patentrace.faces.sweep import sweep\nimport patentrace.errors\n"),
    ("patentrace.models.costs", "from patentrace import _validate\n"),
    ("patentrace", "from patentrace.faces.sweep import sweep\n"),
])
def test_a_downward_import_is_allowed(module, source):
    assert violations(source, module) == []


def test_a_module_outside_the_layers_is_refused():
    with pytest.raises(KeyError, match="belongs to no layer"):
        rank("patentrace.newthing")


def test_an_upward_import_in_a_copy_of_the_package_fails_the_scan(tmp_path):
    copy = tmp_path / "patentrace"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert package_violations(copy) == []
    race = copy / "models" / "race.py"
    race.write_text(race.read_text() + "\nfrom patentrace.solvers.backward import solve_race  # deliberate\n")
    found = package_violations(copy)
    assert len(found) == 1 and found[0].startswith("patentrace.models.race:") and "solvers" in found[0], found
