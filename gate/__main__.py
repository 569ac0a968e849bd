"""``python -m gate``: the same as the ``gate`` command."""

from __future__ import annotations

import sys

from gate.cli.main import main

sys.exit(main())
