"""``python -m gobig.sandbox``: see ``gobig.sandbox.cli``."""

import sys

from gobig.sandbox.cli import main

sys.exit(main())
