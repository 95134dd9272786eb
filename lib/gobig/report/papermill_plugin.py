"""One-line errors under papermill.

papermill loads every engine registered under the entry-point group
``papermill.engine`` when it starts; gobig registers one (``gobig``, which
is papermill's own nbclient engine under another name), and loading this
module installs an exception hook in papermill's process. A chapter that
stops on a user's error (``gobig.core.errors.UserError``: a bad parameter, a
damaged record, missing data) stores that error as one line in the output
notebook; the hook then prints that line instead of papermill's stack
through its own internals. Any other error keeps its full stack, and
``GOBIG_DEBUG=1`` shows the stack for every error."""

from __future__ import annotations

import re
import sys

from papermill.engines import NBClientEngine

from gobig.core.errors import debugging


class GobigEngine(NBClientEngine):
    """papermill's default engine (nbclient), registered as ``gobig`` so that
    papermill loads this module: ``papermill --engine gobig`` runs exactly
    what ``papermill`` runs."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _one_line_errors(kind, error, stack, previous=sys.excepthook):
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError) and len(error.traceback) == 1 and not debugging():
        # The notebook rendered the error as one line, so it is a user's error with its fix in the message.
        print(f"error: {_ANSI.sub('', error.traceback[0])} (GOBIG_DEBUG=1 shows the stack)", file=sys.stderr)
        return
    previous(kind, error, stack)


# papermill loads this module (through the entry point) when it is imported; the hook changes
# nothing but how an uncaught papermill error whose notebook rendered it in one line is printed.
sys.excepthook = _one_line_errors
