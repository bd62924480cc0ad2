"""``python -m mrrsim``."""

import sys

from mrrsim.cli import main

sys.exit(main())
