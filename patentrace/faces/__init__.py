"""Layer 6, faces: how people reach the library besides ``import patentrace``.

The command line (``cli``), the figures ([`patentrace.faces.plot`][patentrace.faces.plot],
the ``plot`` extra) and parameter sweeps over any executor (``sweep``).

May import: every other layer. No layer imports a face; one face may use another
(the CLI runs sweeps).
"""
