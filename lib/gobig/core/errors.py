"""Errors a user can fix, shown as the one line that names the problem and
the fix, with no stack: in the command line, in a notebook, and under
papermill (``gobig.report.papermill_plugin``). ``GOBIG_DEBUG=1`` (or the
command line's ``--debug``) shows the stack again."""

from __future__ import annotations

import os


def debugging() -> bool:
    """Whether the user asked for stacks (``GOBIG_DEBUG`` set and not 0)."""
    return os.environ.get("GOBIG_DEBUG", "") not in ("", "0")


class UserError(Exception):
    """A wrong parameter, a missing or damaged input, an unwritable folder:
    the message says what is wrong and how to fix it. Mixed into the
    specific error classes (``ParameterError``, ``CorruptRecordError``, the
    data errors), which keep their usual bases for code that catches those."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of the traceback through the library; a
        # papermill run then stores (and its plugin prints) one line, not a stack.
        if debugging():
            raise NotImplementedError  # IPython falls back to the full traceback
        return [one_line(self)]


def one_line(error: BaseException) -> str:
    """The line a user sees for ``error``: its class and its message."""
    return f"{type(error).__name__}: {error}"
