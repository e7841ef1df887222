"""``python -m hpclab``: the ``hpclab`` command, for environments whose scripts are not on PATH."""

from hpclab.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
