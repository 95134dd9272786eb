"""What the chapters' prose says about their records, computed from them.

A sentence that reads a result ("natural training buys no robustness", "the
leak is the twins") is true of one set of records. Typed into a chapter, it
would outlive them: when the GPU records replace the CPU ones, or when a
reader reruns the chapter with other parameters. These
functions return such sentences from the records; the chapters glue them
(``{glue:text}`name```), so the prose says what the records say.

One module per chapter (``readings.mnist``, ``readings.gpt3``,
``readings.alphacode``), each importing only its own study. The names are
reachable as ``readings.NAME`` too (``readings.mnist_readings(records)``),
each loaded with its chapter's module on first use, so that importing the
readings does not import every study.
"""

from __future__ import annotations

import importlib

#: Where each name lives: ``readings.NAME`` imports that chapter's module (and so its study) on first use.
_MODULES = {
    "FIT_RATIO": "alphacode",
    "STILL_FALLING": "mnist",
    "STILL_RISING": "mnist",
    "design_reading": "mnist",
    "matching_profile": "mnist",
    "NEGLIGIBLE": "mnist",
    "NOT_ROBUST": "mnist",
    "SAME_RATIO": "mnist",
    "mnist_readings": "mnist",
    "mnist_glued": "mnist",
    "gpt3_readings": "gpt3",
    "MIN_PAIRS": "alphacode",
    "alphacode_readings": "alphacode",
    "alphacode_glued": "alphacode",
}


def __getattr__(name: str):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])
