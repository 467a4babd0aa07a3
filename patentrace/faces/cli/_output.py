"""What the command line prints: JSON exactly as the results' own ``to_dict``, or readable tables.

JSON floats are written with ``repr``, so they read back exactly. The JSON is strict: a
non-finite float (an infinite expected duration or time to discovery) is the string
``"inf"``, as in the files of ``patentrace.save``.

Examples
--------
>>> import numpy as np
>>> print(matrix("x", np.array([[0.5, 1.0]])))
x (rows: stages completed by firm 0, columns: by firm 1)
                  0            1
     0          0.5            1
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from patentrace.reports.leapfrog import LeapfrogReport, leapfrog
from patentrace.reports.nfirm import NFirmLeapfrogReport, NFirmSimulation
from patentrace.reports.simulate import Simulation
from patentrace.results.deterministic_equilibrium import DeterministicEquilibrium
from patentrace.results.equilibrium import Equilibrium
from patentrace.results.nfirm import NFirmEquilibrium
from patentrace.results.serialization import canonical_json

__all__ = ["deterministic_output", "equilibrium_output", "matrix", "report_dict", "report_output",
           "simulate_output"]

# Leader positions at which the deterministic table reads the contested gap and the lone firm's path.
_POSITIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def matrix(name: str, array: NDArray[Any], rows: str = "stages completed by firm 0",
           columns: str = "by firm 1") -> str:
    """One array over states as a table: rows ``i`` (firm 0's stages), columns ``j`` (firm 1's)."""
    lines = [f"{name} (rows: {rows}, columns: {columns})",
             "      " + "".join(f"{j:>13d}" for j in range(array.shape[1]))]
    lines += [f"{i:>6d}" + "".join(f"{v:13.6g}" for v in row) for i, row in enumerate(array)]
    return "\n".join(lines)


def equilibrium_output(eq: Any, form: str) -> str:
    """An equilibrium of the race or of the race in periods: ``to_dict()`` as JSON, or its arrays as tables.

    The tables show whichever of effort, value, win and tie probabilities, expected duration
    and multiplicity the result has (a race in periods counts its duration in periods).
    """
    if form == "json":
        return canonical_json(eq.to_dict())
    if isinstance(eq, NFirmEquilibrium):
        return _firms_table(eq)
    blocks = [repr(eq)]
    for name in ("effort", "value", "win_probability"):
        array = getattr(eq, name, None)
        if isinstance(array, np.ndarray):
            blocks += [matrix(f"{name} of firm {k}", array[k]) for k in (0, 1)]
    for name in ("tie_probability", "expected_duration", "multiplicity"):
        array = getattr(eq, name, None)
        if isinstance(array, np.ndarray):
            unit = " (periods)" if name == "expected_duration" and not isinstance(eq, Equilibrium) else ""
            blocks.append(matrix(name + unit, array))
    return "\n\n".join(blocks)


def _firms_table(eq: NFirmEquilibrium) -> str:
    """A race of more than two firms as one row per reachable state: efforts, values, win probabilities."""
    firms = eq.model.firms
    head = (f"{'state':<{4 * firms + 2}}" + "".join(f" {f'effort {k}':>11}" for k in range(firms))
            + "".join(f" {f'value {k}':>11}" for k in range(firms))
            + "".join(f" {f'win {k}':>9}" for k in range(firms)) + f" {'duration':>11} {'equilibria':>10}")
    lines = [repr(eq), "", head]
    for state in np.ndindex(*eq.model.shape):
        if eq.multiplicity[state] == 0:  # unreachable: two firms finished
            continue
        cells = [f"{eq.effort[(k, *state)]:11.6f}" for k in range(firms)]
        cells += [f"{eq.value[(k, *state)]:11.6f}" for k in range(firms)]
        cells += [f"{eq.win_probability[(k, *state)]:9.6f}" for k in range(firms)]
        lines.append(f"{state!s:<{4 * firms + 2}} " + " ".join(cells)
                     + f" {eq.expected_duration[state]:11.6g} {int(eq.multiplicity[state]):10d}")
    return "\n".join(lines)


def report_dict(report: LeapfrogReport) -> dict[str, Any]:
    """The leapfrog report as plain data; the deterministic race's fields only where the report has them."""
    out: dict[str, Any] = {
        "state": list(report.state), "remaining": list(report.remaining), "follower": report.follower,
        "leader": report.leader, "win_probability": list(report.win_probability),
        "tie_probability": report.tie_probability, "follower_win_probability": report.follower_win_probability,
        "leapfrog_probability": report.leapfrog_probability, "catch_up_probability": report.catch_up_probability,
        "can_leapfrog": report.can_leapfrog, "preemption_region": report.preemption_region.tolist(),
        "underflow_region": report.underflow_region.tolist(),
        "epsilon_preemption": report.epsilon_preemption, "tolerance": report.tolerance,
    }
    for name in ("contested_gap", "can_lead", "lead_probability"):
        if getattr(report, name) is not None:
            out[name] = getattr(report, name)
    if report.lead_probability_by_grid:
        out["lead_probability_by_grid"] = [list(row) for row in report.lead_probability_by_grid]
    return out


def report_output(report: LeapfrogReport | NFirmLeapfrogReport, form: str) -> str:
    """The leapfrog report: its own text, or JSON."""
    if form == "table":
        return str(report)
    if isinstance(report, NFirmLeapfrogReport):
        return canonical_json({name: value.tolist() if isinstance(value, np.ndarray) else value
                           for name, value in vars(report).items()})
    return canonical_json(report_dict(report))


def _firms_simulation(eq: NFirmEquilibrium, sim: NFirmSimulation, form: str) -> str:
    """Simulated frequencies of a race of more than two firms beside the computed probabilities."""
    report = leapfrog(eq, sim.start, follower=sim.follower)
    rows: list[tuple[str, Any, Any, Any]] = [
        (f"firm {k} wins", float(sim.win_frequency[k]), float(sim.win_standard_error[k]), report.win_probability[k])
        for k in range(eq.model.firms)]
    rows += [("follower leapfrogs", sim.leapfrog_frequency, sim.leapfrog_standard_error, report.leapfrog_probability),
             ("follower catches up", sim.catch_up_frequency, sim.catch_up_standard_error, report.catch_up_probability),
             ("ahead of every rival", sim.leapfrog_all_frequency, sim.leapfrog_all_standard_error,
              report.leapfrog_all_probability),
             ("level with every rival", sim.catch_up_all_frequency, sim.catch_up_all_standard_error,
              report.catch_up_all_probability),
             ("mean duration", sim.mean_duration, sim.duration_standard_error,
              float(eq.expected_duration[sim.start]))]
    if form == "json":
        return canonical_json({"start": list(sim.start), "paths": sim.paths, "seed": sim.seed, "follower": sim.follower,
                           "leader": sim.leader, "rows": [{"quantity": name, "simulated": a, "standard_error": b,
                                                           "computed": c} for name, a, b, c in rows]})
    lines = [f"Simulation from state {sim.start}: {sim.paths} paths, seed {sim.seed}; follower: firm {sim.follower}, "
             f"leader: firm {sim.leader}", f"  {'':<24} {'simulated':>12} {'std. error':>12} {'computed':>12}"]
    lines += [f"  {name:<24} {a:12.6f} {b:12.6f} {c:12.6f}" for name, a, b, c in rows]
    return "\n".join(lines)


def simulate_output(eq: Equilibrium | NFirmEquilibrium, sim: Simulation | NFirmSimulation, form: str) -> str:
    """Simulated frequencies with their standard errors, next to the computed probabilities."""
    if isinstance(eq, NFirmEquilibrium) and isinstance(sim, NFirmSimulation):
        return _firms_simulation(eq, sim, form)
    assert isinstance(eq, Equilibrium) and isinstance(sim, Simulation)
    i, j = sim.start
    report = leapfrog(eq, sim.start)
    computed: dict[str, Any] = {
        "win_probability": eq.win_probability[:, i, j].tolist(),
        "expected_duration": float(eq.expected_duration[i, j]),
        "leapfrog_probability": report.leapfrog_probability, "catch_up_probability": report.catch_up_probability,
    }
    if form == "json":
        return canonical_json({"simulation": sim.to_dict(), "computed": computed})
    rows = [("firm 0 wins", sim.win_frequency[0], sim.win_standard_error[0], computed["win_probability"][0]),
            ("firm 1 wins", sim.win_frequency[1], sim.win_standard_error[1], computed["win_probability"][1])]
    if sim.follower is not None:
        rows += [("follower leapfrogs", sim.leapfrog_frequency, sim.leapfrog_standard_error,
                  report.leapfrog_probability),
                 ("follower catches up", sim.catch_up_frequency, sim.catch_up_standard_error,
                  report.catch_up_probability)]
    rows.append(("mean duration", sim.mean_duration, sim.duration_standard_error, computed["expected_duration"]))
    lines = [f"Simulation from state ({i}, {j}): {sim.paths} paths, seed {sim.seed}"
             + (f"; follower: firm {sim.follower}" if sim.follower is not None else "; level: no follower"),
             f"  {'':<20} {'simulated':>12} {'std. error':>12} {'computed':>12}"]
    lines += [f"  {name:<20} {a:12.6f} {b:12.6f} {c:12.6f}" for name, a, b, c in rows]
    if sim.stall_frequency:
        lines.append(f"  {sim.stall_frequency:.6f} of the paths stalled (both firms idle)")
    return "\n".join(lines)


def deterministic_output(eq: DeterministicEquilibrium, form: str) -> str:
    """The deterministic race's equilibrium: ``to_dict()`` as JSON, or the lone firm's path and the contested gap.

    The table reads, at leader positions ``w = 0, 0.1, ..., 0.9``, the lone firm's speed and
    value (what the leader runs once the follower stops) and the contested gap (the
    largest lead the follower still contests), then each grid solved.
    """
    if form == "json":
        return canonical_json(eq.to_dict())
    at = np.asarray(_POSITIONS)
    speed, value = np.asarray(eq.single_firm_speed(at)), np.asarray(eq.single_firm_value(at))
    lines = [repr(eq), "", f"{'leader at w':>12} {'lone speed':>12} {'lone value':>12} {'contested gap':>14}"]
    lines += [f"{w:>12.2f} {s:>12.6g} {v:>12.6g} {eq.contested_gap(w):>14.6g}"
              for w, s, v in zip(_POSITIONS, speed, value, strict=True)]
    grids = [(r.steps, r.change) for r in eq.refinement] + [(r.steps, r.change) for r in eq.chain_refinement]
    if grids:
        lines += ["", "grids solved (cells, change from the previous grid):"]
        lines += [f"  {steps:>6d}  {change:.6g}" for steps, change in grids]
    return "\n".join(lines)
