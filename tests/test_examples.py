"""Every example runs, asserts what it shows, and prints it."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = {
    "quickstart.py": ["follower: firm 0", "can leapfrog:           yes"],
    "lee_wilde.py": ["Largest relative difference between solver and closed form"],
    "dropout.py": ["(0, 2), (0, 3), (1, 3)", "can leapfrog:           no"],
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str):
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    for phrase in EXPECTED[name]:
        assert phrase in done.stdout
