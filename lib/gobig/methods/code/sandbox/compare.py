"""Output comparison and syntax checks: what a program's output must be
to pass (``outputs_match``: exact lines, or Codeforces-style tokens), and
whether a program compiles at all (``check_syntax``)."""

from __future__ import annotations

import math
import re
import warnings

#: ``ok`` means a clean exit when no expected output was given. ``passed``
#: and ``wrong_answer`` appear only when it was.
VERDICTS = ("passed", "wrong_answer", "ok", "runtime_error", "timeout", "memory_limit", "output_limit", "syntax_error")


COMPARE_MODES = ("exact", "tokens")


# Compiling model samples warns about their style ('"is" with a literal',
# invalid escapes). Those warnings are not ours to print, and a filter set
# once is thread-safe where catch_warnings around compile() would not be.
_PROGRAM_NAME = "<sandboxed program>"


for _category in (SyntaxWarning, DeprecationWarning):
    warnings.filterwarnings("ignore", category=_category, module=re.escape(_PROGRAM_NAME))


def check_syntax(source: str) -> bool:
    """Does the program compile under this interpreter's grammar? Only
    compiles, never runs."""
    try:
        # Sampled programs trip SyntaxWarnings by the hundred; they are not news.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, _PROGRAM_NAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


INTEGER_PATTERN = re.compile(r"[+-]?\d+")


NUMBER_PATTERN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def tokens_equal(actual: str, expected: str) -> bool:
    if actual == expected:
        return True
    if expected.upper() in ("YES", "NO"):
        return actual.upper() == expected.upper()
    if INTEGER_PATTERN.fullmatch(actual) and INTEGER_PATTERN.fullmatch(expected):
        # Exactly: 1e-6 relative would let 999999000 pass for 999999999, and
        # answers modulo 10**9 + 7 are that large.
        return int(actual) == int(expected)
    if NUMBER_PATTERN.fullmatch(actual) and NUMBER_PATTERN.fullmatch(expected):
        return math.isclose(float(actual), float(expected), rel_tol=1e-6, abs_tol=1e-6)
    return False


def outputs_match(actual: str, expected: str, mode: str = "exact") -> bool:
    """``exact``: the same lines, ignoring trailing whitespace on each line
    and blank lines at either end. ``tokens``: the same whitespace-separated
    tokens, with YES/NO in any case, integers equal exactly and other
    numbers to 1e-6 (relative or absolute), like Codeforces' usual
    checkers."""
    if mode == "tokens":
        got, want = actual.split(), expected.split()
        return len(got) == len(want) and all(tokens_equal(a, e) for a, e in zip(got, want, strict=True))
    if mode != "exact":
        raise ValueError(f"compare must be one of {', '.join(COMPARE_MODES)}; got {mode!r}")

    def normal(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")

    return normal(actual) == normal(expected)
