"""The command line, under the path of the ``patentrace`` entry point of earlier installs.

The code lives in ``patentrace.faces.cli``; ``patentrace.cli.main`` keeps working
(console scripts generated before the move import it from here).

Examples
--------
>>> from patentrace.cli import main
>>> main.__module__
'patentrace.faces.cli'
"""

from patentrace.faces.cli import main

__all__ = ["main"]
