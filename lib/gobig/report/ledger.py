"""The claims ledger: every claim the book tests, with the value measured or
recomputed, the chapter that shows it, the device it ran on and a verdict.

Rows are built from the committed result records of each chapter's default
parameters, never typed by hand. A chapter whose records are missing, or
contributes rows marked pending, with no number.
"""

from __future__ import annotations

import pandas as pd

from gobig.core import registry
from gobig.core.params import Spec
from gobig.core.sweep import profile_records

#: The ledger page's parameters (papermill -p); the same checks as a chapter's.
PARAMETERS = {
    "RESULTS_DIR": Spec(str, "folder of result records (None: $GOBIG_RESULTS_DIR or results/)", optional=True)
}

#: Every verdict a row may carry, as the ledger page's legend defines them.
VERDICTS = ("supported", "partly", "not supported", "inconclusive", "not applicable", "not checkable", "pending")

COLUMNS = ["claim", "source", "chapter", "measured", "verdict", "why", "device", "records"]


def _pending(claim: str, source: str, chapter: str, why: str) -> dict:
    return {
        "claim": claim,
        "source": source,
        "chapter": chapter,
        "measured": "",
        "verdict": "pending",
        "why": why,
        "device": "",
        "records": [],
    }


def study_rows(entry: registry.Entry, results_dir=None) -> list[dict]:
    """One registered study's claims, read from the records of its default
    profile; one pending row when any of them is missing."""
    study = entry.study
    records = profile_records(study, entry.default_profile, results_dir)
    if records is None:
        chapter_number = entry.title.split(".")[0]
        return [
            _pending(
                f"chapter {chapter_number}'s claims",
                entry.sources,
                entry.title,
                "the default configs' records are not all committed",
            )
        ]
    device = ", ".join(sorted({record["provenance"]["device_name"] for record in records}))
    keys = [record["key"] for record in records]
    rows = []
    for claim in study.claims_table(records).to_dict("records"):
        pending = claim["verdict"] == "pending"  # a claim with no number names no device or record
        rows.append(
            {**claim, "chapter": entry.title, "device": "" if pending else device, "records": [] if pending else keys}
        )
    return rows


def build(results_dir=None) -> pd.DataFrame:
    """The whole ledger, one row per claim, in book order."""
    rows = [row for entry in registry.STUDIES for row in study_rows(entry, results_dir)]
    unknown = sorted({row["verdict"] for row in rows} - set(VERDICTS))
    if unknown:  # the page's legend defines each verdict; an undefined one would mean nothing to a reader
        raise ValueError(f"verdict(s) {unknown} are not in the ledger's legend {VERDICTS}")
    return pd.DataFrame(rows, columns=COLUMNS)
