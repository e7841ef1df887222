"""``python -m hpclab``: the ``hpclab`` command, for environments whose scripts are not on PATH."""

from hpclab.cli import main

raise SystemExit(main())
