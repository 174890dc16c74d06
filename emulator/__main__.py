"""``python -m emulator``: the same as the ``wa-emulator`` console script."""

import sys

from emulator.cli import main

sys.exit(main())
