"""What a study is: the contract every chapter's study module keeps.

A study module (``gobig.studies.mnist``, ``gobig.studies.gpt3``, ``gobig.studies.alphacode``) is
used through these names only, by the command line, ``promote``, the
ledger, the performance targets and the tests; they find it through
``gobig.core.registry``. A module satisfies the protocol by having the names
(``isinstance(module, Study)`` checks they are there; tests/test_registry.py
checks every registered study).

The life of a run: ``load_profile(name)`` gives a profile's values (or a
chapter collects its parameters cell), ``validate_parameters`` checks them
before any compute, ``expand_configs`` turns them into the configs whose
records answer them (one for a one-config study such as chapter 2's), and
``run`` loads or computes those records through the result store
(``gobig.core.store.ResultStore.for_params``). ``claims_table`` reads the
records into the ledger's rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from gobig.core.params import Spec


@runtime_checkable
class Study(Protocol):
    #: The study's name: its records' folder (``results/<STUDY>/``) and its profiles' prefix.
    STUDY: str
    #: Bumped when a change alters what a record means (every key changes with it).
    VERSION: int
    #: The profile whose values are the chapter's defaults (``profiles/defaults.yaml``).
    DEFAULT_PROFILE: str
    #: The chapter's parameters, by name, each with its checks.
    PARAMETERS: Mapping[str, Spec]

    def load_profile(self, name: str) -> dict:
        """The values of ``profiles/<STUDY>_<name>.yaml``; an unknown name lists the known ones."""

    def validate_parameters(self, values: dict) -> dict:
        """Every parameter checked (a clear error naming it before any compute), defaults filled in."""

    def expand_configs(self, params: dict) -> list[dict]:
        """The configs whose records answer ``params`` (validated), in order."""

    def run(self, values: dict) -> list[dict]:
        """Validate ``values``, then load or compute every config's record; return the records,
        in the order of ``expand_configs`` (chapter 2's study has one)."""

    def load_results(self, records: list[dict], results_dir=None) -> Any:
        """What ``claims_table`` reads, loaded from the one results folder given: the records
        themselves (``records_only``), or with what else the claims need (chapter 1: re-attacks, control profiles)."""

    def claims_table(self, records: Any) -> pd.DataFrame:
        """The study's claims (``claim``, ``source``, ``measured``, ``verdict``, ``why``) from ``load_results``' output."""


def records_only(records: list[dict], results_dir=None) -> list[dict]:
    """``load_results`` of a study whose claims read its records alone."""
    return records


def mark_headlines(claims: pd.DataFrame, starts: tuple[str, ...]) -> pd.DataFrame:
    """``claims`` with ``headline`` True on the rows whose claim begins with
    one of ``starts`` (what a reader needs first: a chapter's Findings box,
    the landing page). A start that matches no row is an error, so a claim
    reworded in one place is not silently dropped from the answer."""
    missing = [start for start in starts if not claims["claim"].str.startswith(start).any()]
    if missing:
        raise ValueError(f"headline claim(s) {missing} match no row of the claims table")
    return claims.assign(headline=claims["claim"].str.startswith(starts))
