"""The lattice of states, under the path the examples import from.

The code lives in ``patentrace.models.lattice``; this module keeps the path
``patentrace.lattice`` that ``examples/fgst_four_claims.py`` uses.

Examples
--------
>>> from patentrace.lattice import check_state
>>> check_state((0, 1), (2, 2))
(0, 1)
"""

from patentrace.models.lattice import Layout, Step, check_state, open_states, remaining

__all__ = ["Layout", "Step", "check_state", "open_states", "remaining"]
