"""Everything chapter 1's page reads, loaded once from the one results
folder it is given: the run's records, each with the committed re-attacks of
its checkpoint, and the records of the collapse profile and its controls.
The frames, claims and readings are functions of what ``load_results``
returns and open no file, so a rerun into another results folder reads that
folder only."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from gobig.core.sweep import profile_records
from gobig.studies.mnist.params import COLLAPSE_LARGER, COLLAPSE_LONGER, COLLAPSE_PROFILE
from gobig.studies.mnist.reattack import reattacks_of
from gobig.studies.mnist.views import Record, view

#: The profiles whose records the claims and the recipe figure read beside a run's own.
CONTROL_PROFILES = (COLLAPSE_PROFILE, COLLAPSE_LARGER, COLLAPSE_LONGER)


@dataclass(frozen=True)
class Results:
    """A run's typed records (with their checkpoints' re-attacks) and the
    control profiles' records (None for a profile not all committed)."""

    records: tuple[Record, ...]
    controls: Mapping[str, tuple[Record, ...] | None] = field(default_factory=dict)

    @classmethod
    def of(cls, records) -> Results:
        """Records (stored or typed) with nothing beside them: no re-attack or
        control profile beyond what they hold (for records made in memory)."""
        return cls(tuple(view(r) for r in records))


def with_reattacks(record, results_dir=None) -> Record:
    """``record`` typed, holding the committed re-attacks of its checkpoint."""
    typed = view(record)
    if typed.checkpoint is None or typed.key is None:
        return typed
    return dataclasses.replace(typed, reattacks=reattacks_of(typed.key, typed.checkpoint.sha256, results_dir))


def load_results(records, results_dir=None) -> Results:
    """What the page reads, from ``results_dir`` (None: the default results folder) alone."""
    from gobig.studies import mnist

    controls = {}
    for name in CONTROL_PROFILES:
        found = profile_records(mnist, name, results_dir)
        controls[name] = None if found is None else tuple(with_reattacks(r, results_dir) for r in found)
    return Results(tuple(with_reattacks(r, results_dir) for r in records), controls)


def unpack(results: Results) -> tuple[list[Record], Mapping]:
    """A ``Results``' records and controls. One input type: records alone
    would silently read no re-attack and no control profile."""
    if not isinstance(results, Results):
        raise TypeError(
            f"results: expected what mnist.load_results(records, results_dir) returns (or mnist.Results.of(records) "
            f"for records with nothing beside them), not {type(results).__name__}"
        )
    return list(results.records), results.controls
