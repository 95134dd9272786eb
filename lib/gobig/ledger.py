"""The claims ledger: every claim the book tests, with the value measured or
recomputed, the chapter that shows it, the device it ran on and a verdict.

Rows are built from the committed result records of each chapter's default
parameters, never typed by hand. A chapter whose records are missing, or
contributes rows marked pending, with no number.
"""

from __future__ import annotations

import pandas as pd

from gobig import alphacode, gpt3, mnist
from gobig.params import Spec
from gobig.sweep import profile_records

#: The ledger page's parameters (papermill -p); the same checks as a chapter's.
PARAMETERS = {"RESULTS_DIR": Spec(str, "folder of result records (None: $GOBIG_RESULTS_DIR or results/)", optional=True)}

#: Every verdict a row may carry, as the ledger page's legend defines them.
VERDICTS = ("supported", "partly", "not supported", "inconclusive", "not applicable", "not checkable", "pending")

COLUMNS = ["claim", "source", "chapter", "measured", "verdict", "why", "device", "records"]

def _pending(claim: str, source: str, chapter: str, why: str) -> dict:
    return {"claim": claim, "source": source, "chapter": chapter, "measured": "", "verdict": "pending", "why": why, "device": "", "records": []}


def mnist_rows(results_dir=None) -> list[dict]:
    chapter = "1. MNIST capacity"
    records = profile_records(mnist, mnist.DEFAULT_PROFILE, results_dir)
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


def alphacode_rows(results_dir=None) -> list[dict]:
    chapter = "3. AlphaCode split"
    records = profile_records(alphacode, alphacode.DEFAULT_PROFILE, results_dir)
    if records is None:
        return [_pending("chapter 3's claims", "Li et al. 2022, App. B.3; blog", chapter, "the default splits' records are not all committed")]
    device = ", ".join(sorted({r["provenance"]["device_name"] for r in records}))
    keys = [r["key"] for r in records]
    return [{**claim, "chapter": chapter, "device": device, "records": keys} for claim in alphacode.claims_table(records).to_dict("records")]


def build(results_dir=None) -> pd.DataFrame:
    """The whole ledger, one row per claim, in book order."""
    rows = mnist_rows(results_dir) + gpt3_rows(results_dir) + alphacode_rows(results_dir)
    unknown = sorted({row["verdict"] for row in rows} - set(VERDICTS))
    if unknown:  # the page's legend defines each verdict; an undefined one would mean nothing to a reader
        raise ValueError(f"verdict(s) {unknown} are not in the ledger's legend {VERDICTS}")
    return pd.DataFrame(rows, columns=COLUMNS)
