"""The claims ledger: every claim the book tests, with the value measured or
recomputed, the chapter that shows it, the device it ran on and a verdict.

Rows are built from the committed result records of each chapter's default
parameters, never typed by hand. A chapter whose records are missing, or
that is not written yet, contributes rows marked pending, with no number.
"""

from __future__ import annotations

import pandas as pd

from gobig import gpt3, mnist

COLUMNS = ["claim", "source", "chapter", "measured", "verdict", "why", "device", "records"]

#: Claims of chapter 3, which is not written yet (REFERENCES.md section 3).
ALPHACODE_CLAIMS = [
    ("submitting training solutions solves 4.1% of validation problems on a random split, 0% on a temporal split", "Li et al. 2022, App. B.3"),
    ("a 1B model solves 0.8% (13k samples per problem) on a random split, 0% on a temporal split", "Li et al. 2022, App. B.3; blog"),
]


def _pending(claim: str, source: str, chapter: str, why: str) -> dict:
    return {"claim": claim, "source": source, "chapter": chapter, "measured": "", "verdict": "pending", "why": why, "device": "", "records": []}


def mnist_rows(results_dir=None) -> list[dict]:
    chapter = "1. MNIST capacity"
    records = mnist.default_records(results_dir)
    if records is None:
        return [_pending("chapter 1's claims", "blog; Madry et al. 2018; Bubeck & Sellke 2021", chapter, "the default configs' records are not all committed")]
    device = ", ".join(mnist.devices(records))
    keys = [record["key"] for record in records]
    rows = []
    for claim in mnist.claims_table(records).to_dict("records"):
        pending = claim["verdict"] == "pending"
        rows.append({**claim, "chapter": chapter, "device": "" if pending else device, "records": [] if pending else keys})
    return rows


def gpt3_rows(results_dir=None) -> list[dict]:
    chapter = "2. GPT-3 arithmetic"
    record = gpt3.default_record(results_dir)
    if record is None:
        return [_pending("chapter 2's claims", "blog; Brown et al. 2020", chapter, "the default record is not committed")]
    device = record["provenance"]["device_name"]
    return [{**claim, "chapter": chapter, "device": device, "records": [record["key"]]} for claim in gpt3.claims_table(record).to_dict("records")]


def alphacode_rows() -> list[dict]:
    return [_pending(claim, source, "3. AlphaCode split", "chapter 3 is not written yet") for claim, source in ALPHACODE_CLAIMS]


def build(results_dir=None) -> pd.DataFrame:
    """The whole ledger, one row per claim, in book order."""
    rows = mnist_rows(results_dir) + gpt3_rows(results_dir) + alphacode_rows()
    return pd.DataFrame(rows, columns=COLUMNS)
