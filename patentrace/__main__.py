"""``python -m patentrace``: the command line of ``patentrace.cli``."""

from patentrace.faces.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
