"""The claims ledger: every claim the book tests, with the value measured or
recomputed, the chapter that shows it, the device it ran on and a verdict.

Rows are built from the committed result records of each chapter's default
parameters, never typed by hand. A chapter whose records are missing, or
contributes rows marked pending, with no number.

What a study's ``claims_table`` gives the ledger (the contract; CONTRIBUTING.md,
"Claims, the ledger and the landing page"): one row per claim with

- ``claim``, ``source``, ``measured``, ``verdict`` (one of ``VERDICTS``);
- ``why``: one sentence of at most ``WHY_LIMIT`` characters, what a reader
  scanning the ledger needs;
- ``detail`` (optional): the full reasoning, shown folded under the row;
- ``headline`` (optional, bool): the landing page states this row as one of
  its chapter's findings;
- ``section`` (optional): the id of the chapter section that makes the case
  (a MyST label such as ``collapse``), linked from the row.

A ``why`` longer than ``WHY_LIMIT`` with no ``detail`` still shows: cut at a
clause before the limit, marked cut, with the whole text folded
(``short_why``); tests/test_ledger.py names such rows.
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

#: How each verdict looks wherever the book shows one (ledger, landing page,
#: figures): a symbol and a word, so colour is never the only cue; colours
#: from Okabe & Ito's palette, distinct for readers with a colour vision
#: deficiency. ``meaning`` is the legend's text.
VERDICT_STYLES = {
    "supported": {
        "symbol": "✓",
        "colour": "#009E73",
        "meaning": "the measurement agrees with the claim, in direction and in size, within its interval",
    },
    "partly": {
        "symbol": "◐",
        "colour": "#E69F00",
        "meaning": "part of the claim holds (e.g. its direction but not its size); the row says which part",
    },
    "not supported": {
        "symbol": "✗",
        "colour": "#D55E00",
        "meaning": "the measurement, with its interval, contradicts the claim",
    },
    "inconclusive": {
        "symbol": "?",
        "colour": "#56B4E9",
        "meaning": "the evidence run here cannot decide (too small a run, an interval that spans both answers)",
    },
    "not applicable": {
        "symbol": "⊘",
        "colour": "#CC79A7",
        "meaning": "the claim's premise is not met, so a check would decide nothing",
    },
    "not checkable": {
        "symbol": "–",
        "colour": "#999999",
        "meaning": "the sentence cannot be checked from public data or a rerun",
    },
    "pending": {
        "symbol": "…",
        "colour": "#CCCCCC",
        "meaning": "the records this row needs are not committed yet",
    },
}

#: The most characters of a row's ``why``: one sentence, read at a glance.
WHY_LIMIT = 160

#: Text that may end a ``why`` cut by ``short_why``: the end of a clause.
_CLAUSE_ENDS = ("; ", ". ", ": ", " (", ", ", " – ", " - ")

COLUMNS = [
    "claim",
    "source",
    "chapter",
    "measured",
    "verdict",
    "why",
    "detail",
    "headline",
    "section",
    "device",
    "records",
]

#: Optional columns of a claims table, with the value a row without them gets.
OPTIONAL = {"detail": "", "headline": False, "section": ""}


def short_why(why: str, detail: str = "", limit: int = WHY_LIMIT) -> tuple[str, str, bool]:
    """(the sentence the ledger shows, the reasoning it folds, whether the
    sentence was cut here). A ``why`` within ``limit`` is shown whole, with
    ``detail`` folded. A longer one with no ``detail`` is cut at the last
    clause that ends before the limit (else at a word), ends in "…", and
    folds the whole text: readable now, and flagged until its chapter
    writes a short one."""
    why = " ".join(str(why).split())
    if len(why) <= limit:
        return why, detail, False
    head = why[: limit - 1]
    cut = max((head.rfind(end) for end in _CLAUSE_ENDS), default=-1)
    if cut < limit // 3:  # no clause ends early enough: cut at the last word
        cut = head.rfind(" ")
    short = head[: cut if cut > 0 else limit - 1].rstrip(" ,;:(–-") + "…"
    return short, "\n\n".join(part for part in (why, detail) if part), True


def _pending(claim: str, source: str, chapter: str, why: str) -> dict:
    return {
        "claim": claim,
        "source": source,
        "chapter": chapter,
        "measured": "",
        "verdict": "pending",
        "why": why,
        **OPTIONAL,
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
    # Whatever else its claims read (chapter 1: re-attacks, control profiles) comes from the same folder.
    for claim in study.claims_table(study.load_results(records, results_dir)).to_dict("records"):
        pending = claim["verdict"] == "pending"  # a claim with no number names no device or record
        optional = {column: or_default(claim.get(column), default) for column, default in OPTIONAL.items()}
        rows.append(
            {
                **claim,
                **optional,
                "chapter": entry.title,
                "device": "" if pending else device,
                "records": [] if pending else keys,
            }
        )
    return rows


def or_default(value, default):
    """A claims table's optional cell: missing, None or NaN reads as the default."""
    if value is None or (isinstance(value, float) and value != value):
        return default
    return type(default)(value)


def counts(claims: pd.DataFrame) -> dict[str, int]:
    """Rows per verdict, every verdict of the legend listed (zero included), in legend order."""
    found = claims["verdict"].value_counts()
    return {verdict: int(found.get(verdict, 0)) for verdict in VERDICTS}


def chapter_page(title: str) -> str:
    """The page (path without suffix) of the chapter the ledger names ``title``."""
    for entry in registry.STUDIES:
        if entry.title == title:
            return entry.notebook
    raise ValueError(f"chapter: got {title!r}; expected one of {', '.join(e.title for e in registry.STUDIES)}")


def build(results_dir=None) -> pd.DataFrame:
    """The whole ledger, one row per claim, in book order."""
    rows = [row for entry in registry.STUDIES for row in study_rows(entry, results_dir)]
    unknown = sorted({row["verdict"] for row in rows} - set(VERDICTS))
    if unknown:  # the page's legend defines each verdict; an undefined one would mean nothing to a reader
        raise ValueError(f"verdict(s) {unknown} are not in the ledger's legend {VERDICTS}")
    return pd.DataFrame(rows, columns=COLUMNS)
