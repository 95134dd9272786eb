"""``python -m gobig.methods.code.sandbox``: see ``gobig.methods.code.sandbox.cli``."""

import sys

from gobig.methods.code.sandbox.cli import main

sys.exit(main())
