"""Every public name documents itself with a runnable example, and the documentation site builds strictly."""

import doctest
import importlib
import inspect
import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The public API, and every module whose names the documentation site renders (docs/reference/*.md).
PUBLIC_MODULES = [
    "patentrace", "patentrace.costs", "patentrace.plot", "patentrace.solvers", "patentrace.errors",
    "patentrace.symbolic", "patentrace.models", "patentrace.models.costs", "patentrace.models.experience_grid",
    "patentrace.models.arguments",
    "patentrace.equations.hjb", "patentrace.equations.periods", "patentrace.equations.lone_firm",
    "patentrace.results.equilibrium", "patentrace.results.deterministic_equilibrium", "patentrace.results.chain",
    "patentrace.results.experience_path",
    "patentrace.solvers.backward", "patentrace.solvers.deterministic", "patentrace.solvers.stagegame",
    "patentrace.solvers.supports", "patentrace.solvers.dominance", "patentrace.solvers.menu_refinement",
    "patentrace.solvers.lemke", "patentrace.solvers.allpaths", "patentrace.solvers.symbolic.implicit",
    "patentrace.solvers.perfect_monitoring",
    "patentrace.reports.leapfrog", "patentrace.reports.simulate", "patentrace.reports.lag_experiment",
    "patentrace.faces.sweep", "patentrace.faces.plot",
]


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a name inside a module, e.g. patentrace.symbolic.solve
        return False


def test_every_rendered_module_is_checked():
    reference = " ".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    rendered = set(re.findall(r"^::: (patentrace[\w.]*)", reference, flags=re.MULTILINE))
    modules = {name for name in rendered if _is_module(name)}
    assert modules <= set(PUBLIC_MODULES), sorted(modules - set(PUBLIC_MODULES))


def public_objects():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not getattr(obj, "__module__", "").startswith("patentrace"):
                continue  # a name for a typing construct (patentrace.models.arguments), not code of ours
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj


def public_members():
    """Public methods and properties defined by the public classes (not Protocol stubs, which declare an interface)."""
    seen = set()
    for name, cls in public_objects():
        if not inspect.isclass(cls) or cls in seen or getattr(cls, "_is_protocol", False):
            continue
        seen.add(cls)
        for member, raw in vars(cls).items():
            if member.startswith("_"):
                continue
            function = raw.fget if isinstance(raw, property) else getattr(raw, "__func__", raw)
            if inspect.isfunction(function):
                yield f"{name}.{member}", function


def examples_section(doc: str) -> str:
    """The text of the numpydoc ``Examples`` section, or '' if there is none."""
    lines = doc.splitlines()
    for k in range(len(lines) - 1):
        if lines[k].strip() == "Examples" and set(lines[k + 1].strip()) == {"-"}:
            return "\n".join(lines[k + 2 :])
    return ""


def test_public_names_are_found():
    names = [name for name, _ in public_objects()]
    assert "patentrace.Race" in names and "patentrace.plot.lag_figure" in names and "patentrace.costs.Power" in names


@pytest.mark.parametrize(("name", "obj"), list(public_objects()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_name_has_a_runnable_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    assert ">>> " in examples_section(doc), f"{name}: its docstring needs an Examples section with a >>> line"


@pytest.mark.parametrize(("name", "member"), list(public_members()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_method_has_a_runnable_example(name, member):
    doc = inspect.getdoc(member) or ""
    assert ">>> " in examples_section(doc), f"{name}: its docstring needs an Examples section with a >>> line"


def test_public_members_are_found():
    names = [name for name, _ in public_members()]
    assert "patentrace.Equilibrium.verify" in names and "patentrace.Race.shape" in names  # a property too
    assert not any(".CostLike." in name for name in names)


def test_examples_section_is_recognised():
    assert examples_section("Text.\n\nExamples\n--------\n>>> 1 + 1\n2\n") == ">>> 1 + 1\n2"
    assert examples_section("Text.\n\n>>> 1 + 1\n2\n") == ""


def test_every_docs_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    missing = [page for page in pages if f": {page}" not in nav]
    assert not missing, f"pages not listed in mkdocs.yml's nav: {missing}"


@pytest.mark.skipif(find_spec("mkdocs") is None,
                    reason="the docs extra is not installed (CI builds the site itself)")
def test_docs_build_strictly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "api" / "index.html").read_text().count("patentrace.Race") > 0


DOCTESTED_PAGES = ["tutorial.md", "howto/asymmetric.md", "howto/learning-curves.md", "howto/dropout.md",
                   "howto/breakthroughs.md", "howto/tug-of-war.md", "symbolic.md"]


@pytest.mark.parametrize("page", DOCTESTED_PAGES)
def test_docs_page_examples_print_what_the_page_says(page, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / page).read_text()
    assert text.count(">>> ") >= 3, f"{page} should show its examples as >>> sessions"
    # A code fence closes an example's output the way a blank line does in a docstring.
    source = "\n".join("" if line.startswith("```") else line for line in text.splitlines())
    test = doctest.DocTestParser().get_doctest(source, {}, page, str(ROOT / "docs" / page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in docs/{page} print something else"
