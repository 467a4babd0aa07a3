"""Shared settings: the hypothesis profiles.

``default`` (what ``python -m pytest`` runs, in CI and everywhere else alike): derandomised, so
every run on every machine draws the same examples (for a given hypothesis version), and no
example database, so no earlier failure is replayed. ``HYPOTHESIS_PROFILE=thorough``: random
examples, five times as many, failures saved in ``.hypothesis/`` and replayed until fixed; for
exploring, not for the verdict of the suite. Tests that set their own ``max_examples`` scale it
with ``tests.strategies.examples``, so the thorough profile multiplies them too.

Tests that assert wall-clock time carry ``@pytest.mark.timing`` and run only with
``PATENTRACE_TIMING=1``: on a loaded or slower machine they fail while every number is right.
"""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

DEFAULT_EXAMPLES = 60
THOROUGH_EXAMPLES = 5 * DEFAULT_EXAMPLES  # property tests: 6.5-10 min a thorough run (2 cores, load 8)

settings.register_profile(
    "default",
    max_examples=DEFAULT_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # implies database=None: nothing is replayed from earlier runs
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=THOROUGH_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=False,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),  # explicit: the default profile's None is inherited
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``timing`` marker."""
    config.addinivalue_line(
        "markers", "timing: asserts wall-clock time, which depends on the machine; runs only with PATENTRACE_TIMING=1"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the wall-clock tests unless asked for, so that the suite's verdict does not depend on the machine."""
    if os.environ.get("PATENTRACE_TIMING") == "1":
        return
    skip = pytest.mark.skip(reason="wall-clock assert: set PATENTRACE_TIMING=1 to run it (benchmarks/ time the rest)")
    for item in items:
        if "timing" in item.keywords:
            item.add_marker(skip)
