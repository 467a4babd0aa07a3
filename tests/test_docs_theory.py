"""The documentation cites pages that ship, renders its cross-references, and states the library's numbers.

- Every equation the code cites lives on a page of docs/theory/, numbered and anchored; a citation
  such as "docs/theory/race.md (1)" must name an existing page and an equation that page numbers.
- Nothing cites the design-time specification file that is not in the repository.
- No docstring or page carries a raw Sphinx role (``:class:`X```): mkdocstrings would print it as
  text. The built site is checked too, and each API entry is rendered once.
- Firms are firm 0 and firm 1 everywhere, in the symbolic output as in the arrays.
- docs/plots.md states the leapfrog numbers of its own figure.
"""

import importlib
import inspect
import re
import subprocess
import sys
from collections import defaultdict
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

import patentrace as pr

ROOT = Path(__file__).resolve().parent.parent
THEORY = ROOT / "docs" / "theory"
# The trees whose text a reader sees: the package, its documentation, examples, benchmarks and tests.
TREES = ["patentrace", "docs", "examples", "benchmarks", "tests"]
FILES = ["README.md", "CONTRIBUTING.md", "mkdocs.yml"]
SUFFIXES = {".py", ".md", ".c", ".yml", ".toml", ".txt"}
RAW_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`")


def text_files() -> list[Path]:
    found = [ROOT / name for name in FILES if (ROOT / name).exists()]
    for tree in TREES:
        found += [p for p in sorted((ROOT / tree).rglob("*")) if p.suffix in SUFFIXES and p.is_file()
                  and "__pycache__" not in p.parts]
    return [p for p in found if p.resolve() != Path(__file__).resolve()]


def test_the_trees_are_read():
    names = {p.relative_to(ROOT).as_posix() for p in text_files()}
    assert {"README.md", "patentrace/__init__.py", "docs/theory/race.md", "tests/test_docs.py"} <= names


def test_nothing_cites_the_specification_file_that_does_not_ship():
    # The word is assembled so that this file does not match itself.
    name = "SP" + "EC"
    pattern = re.compile(rf"\b{name}\b|\u00a7")  # the name, or a section sign of its numbering
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
            for p in text_files() for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
            if pattern.search(line)]
    assert not hits, "cite docs/theory/<page>.md and the equation number instead:\n" + "\n".join(hits)


def numbered_equations() -> dict[str, set[str]]:
    """Page name -> the equation labels it anchors, from ``<a id="eq-...">``."""
    return {page.stem: {m.lower() for m in re.findall(r'<a id="eq-([\w]+)"></a>', page.read_text())}
            for page in THEORY.glob("*.md")}


def test_every_theory_page_numbers_its_equations_and_is_in_the_navigation():
    equations = numbered_equations()
    assert {"race", "periods", "deterministic", "leapfrog", "invariants", "tug-of-war"} <= set(equations)
    nav = (ROOT / "mkdocs.yml").read_text()
    for page, labels in equations.items():
        assert labels, f"docs/theory/{page}.md numbers no equation"
        assert f"theory/{page}.md" in nav
    # the best-response condition is equation (1) of the race page; the leapfrog definitions are (F1)-(F4)
    assert {"1", "2", "3", "4", "12", "14"} <= equations["race"]
    assert {"f1", "f2", "f3", "f4"} == equations["leapfrog"]
    assert {"p1", "p2", "p3", "p4", "p5", "p6"} == equations["periods"]


CITATION = re.compile(r"docs/theory/([\w-]+)\.md(?:,? (?:equations? )?\(([A-Z]?\d+)\))?")
# "equation (5) of docs/theory/race.md" style, kept for completeness
CITATION_BEFORE = re.compile(r"\(([A-Z]?\d+)\) of docs/theory/([\w-]+)\.md")


def test_every_theory_citation_names_a_page_and_an_equation_that_exist():
    equations = numbered_equations()
    bad = []
    count = 0
    for p in text_files():
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
            cited = [(m.group(1), m.group(2)) for m in CITATION.finditer(line)]
            cited += [(m.group(2), m.group(1)) for m in CITATION_BEFORE.finditer(line)]
            for page, label in cited:
                count += 1
                if page not in equations:
                    bad.append(f"{p.relative_to(ROOT)}:{n}: no page docs/theory/{page}.md")
                elif label is not None and label.lower() not in equations[page]:
                    bad.append(f"{p.relative_to(ROOT)}:{n}: docs/theory/{page}.md has no equation ({label})")
    assert count > 150, count  # the package cites the theory pages throughout
    assert not bad, "\n".join(bad)


def test_the_citation_check_catches_a_wrong_number():
    assert CITATION.search("see docs/theory/race.md (99)").groups() == ("race", "99")
    assert "99" not in numbered_equations()["race"]
    assert CITATION_BEFORE.search("the (D3) of docs/theory/deterministic.md").groups() == ("D3", "deterministic")


def test_no_docstring_or_page_carries_a_raw_sphinx_role():
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
            for p in text_files() if p.suffix in {".py", ".md"}
            for n, line in enumerate(p.read_text().splitlines(), 1)
            if RAW_ROLE.search(line) and "RAW_ROLE" not in line]
    assert not hits, "use [`Name`][patentrace.Name] or ``code``:\n" + "\n".join(hits)


def test_the_role_pattern_matches_what_it_must():
    assert RAW_ROLE.search("see :class:`~patentrace.Race`") and RAW_ROLE.search(":func:`solve`")
    assert not RAW_ROLE.search("see [`Race`][patentrace.Race]")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if find_spec("mkdocs") is None:
        pytest.skip("the docs extra is not installed (CI builds the site itself)")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_the_built_site_has_no_raw_role_and_no_unresolved_reference(site):
    raw, unresolved = [], []
    for page in site.rglob("*.html"):
        text = page.read_text()
        raw += [f"{page.relative_to(site)}: {m}" for m in re.findall(r":(?:class|func|meth|mod|attr):[`<]", text)]
        unresolved += [f"{page.relative_to(site)}: {m}" for m in re.findall(r"\]\[patentrace[\w.]*\]", text)]
    assert not raw, "\n".join(raw[:20])
    assert not unresolved, "\n".join(unresolved[:20])
    # the cross-references became links to the rendered entries
    api = (site / "reference" / "api" / "index.html").read_text()
    assert 'href="#patentrace.Race"' in api or 'href="./#patentrace.Race"' in api


def _lookup(path: str):
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for part in parts[k:]:
            obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


def test_each_class_and_function_is_rendered_once(site):
    entries = defaultdict(list)
    for page in (site / "reference").rglob("*.html"):
        for anchor in re.findall(r'<h\d id="(patentrace[\w.]*)" class="doc doc-heading"', page.read_text()):
            obj = _lookup(anchor)
            obj = getattr(obj, "__func__", obj)
            if (inspect.isclass(obj) and obj.__module__.startswith("patentrace")) or inspect.isfunction(obj):
                entries[id(obj)].append(f"{page.parent.name}#{anchor}")
    assert len(entries) > 100
    twice = [where for where in entries.values() if len(where) > 1]
    assert not twice, twice


def test_constructor_signatures_name_their_argument_types(site):
    api = (site / "reference" / "api" / "index.html").read_text()
    race = api[api.index('id="patentrace.Race"'):api.index('id="patentrace.LaggedRace"')]
    start = race.index("doc-signature")
    signature = re.sub(r"<[^>]+>", "", race[start:race.index("</pre>", start)])
    assert "stages: StagePair" in signature and "cost: CostPair" in signature
    assert "Any" not in signature


def test_symbolic_output_names_firms_as_the_arrays_index_them():
    race = pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic(scale=1.0))
    sym = pr.symbolic.solve(race, symbols=("prize", "discount"))
    leader, follower = sym.effort(0, 1, 0), sym.effort(1, 1, 0)
    assert (str(leader), str(follower)) == ("x_0[1,0](P, r)", "x_1[1,0](P, r)")
    assert str(sym.value(0, 0, 0)) == "V_0[0,0](P, r)"
    assert {s.name for s in sym.system(1, 0)[0].free_symbols} >= {"x_0", "x_1"}
    # the number behind x_0 is firm 0's effort in the float solver's arrays (the two-stage numbers
    # of docs/theory/race.md: the leader at (1, 0) works 0.4686350713, the follower 0.2494666666)
    eq = pr.solve(race)
    assert float(leader.subs(sym.point)) == pytest.approx(eq.effort[0, 1, 0], abs=1e-12)
    assert float(follower.subs(sym.point)) == pytest.approx(eq.effort[1, 1, 0], abs=1e-12)
    assert round(float(leader.subs(sym.point)), 10) == 0.4686350713


def test_exact_numbers_are_where_the_readme_says():
    # README: exact at every state of a race of identical firms with at most two stages each; with
    # firms that differ, only where each firm has one stage left
    same = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1, cost=pr.costs.Quadratic()))
    assert {same.form(i, j) for i in range(2) for j in range(2)} <= {"closed form", "root of polynomial"}
    differ = pr.symbolic.solve(pr.Race(stages=2, prize=1.0, discount=0.1,
                                       cost=(pr.costs.Quadratic(scale=1.0), pr.costs.Quadratic(scale=2.0))))
    assert differ.form(1, 1) == "root of polynomial"
    assert [differ.form(*s) for s in [(0, 0), (0, 1), (1, 0)]] == ["certified"] * 3
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "only at the states where each firm has one stage left, e.g. `(1, 1)` of a 2×2 race" in readme


def test_plots_page_states_the_leapfrog_numbers_of_its_figure():
    # the race of examples/figures.py
    race = pr.Race(stages=(6, 5), prize=1.0, discount=0.05, cost=pr.costs.Quadratic(scale=1.0, linear=0.03))
    eq = pr.solve(race)
    chance = {}
    for i in range(6):
        for j in range(5):
            behind = (6 - i) - (5 - j)
            if behind != 0:
                report = pr.leapfrog(eq, (i, j))
                chance[(i, j)] = (abs(behind), report.leapfrog_probability, report.follower_win_probability)
    for state in [(5, 2), (3, 4)]:
        assert chance[state][0] == 2 and round(chance[state][1], 4) == 0.0138
        assert chance[state][1] >= chance[state][2] > 0.0  # (F2): a win counts as leapfrogging
    assert round(float(eq.effort[1, 5, 2]), 3) == round(float(eq.effort[0, 3, 4]), 3) == 0.023
    far = {s for s, (gap, p, _) in chance.items() if gap >= 2 and p > 0.0}
    assert far == {(5, 2), (3, 4)}
    one_behind = [p for s, (gap, p, _) in chance.items() if gap == 1 and s != (0, 0)]
    assert min(one_behind) > 0.105 and max(one_behind) < 0.2
    assert round(chance[(3, 3)][1], 4) == round(chance[(4, 2)][1], 4) == 0.1959 == round(max(one_behind), 4)
    text = " ".join((ROOT / "docs" / "plots.md").read_text().split())
    assert "probability 0.0138 at (5, 2) and at (3, 4)" in text
    assert "(0.1959)" in text and "0.11–0.20" in text
    assert "inside the dropout region, never" not in text
    assert np.isfinite(eq.value).all()
