"""``python -m rostergui.simulator``: run the simulator, optionally with attacks."""

import sys

from rostergui.simulator.cli import main

sys.exit(main())
