"""The landing page's answer: what the evidence says, chapter by chapter,
read from the ledger's rows (``gobig.report.ledger.build``), never typed.

Each chapter gets its verdict counts and its headline findings: the rows its
claims table marks ``headline``; a chapter that marks none shows its first
decided rows (supported, partly or not supported) whose measurement states
an interval, the blog's own claims first, as the question of the book is
whether the blog's claims hold. Every number shown is the ledger's
``measured`` cell, with the interval the chapter gives it.
"""

from __future__ import annotations

import re

import pandas as pd

from gobig.core import registry
from gobig.report import ledger

#: Findings per chapter when its claims table marks no headline row.
FALLBACK_HEADLINES = 2
#: Verdicts that decide a claim one way or the other (the fallback's choice).
DECIDED = ("supported", "partly", "not supported")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~^])")
#: A measurement that states an interval: "95% CI", "(89.7-89.8, 2 seeds)", "[1.3, 2.5]", "90% interval".
_INTERVAL = re.compile(r"CI\b|interval|bootstrap|\d\s*(?:-|–|to)\s*\d|\[\s*-?\d")


def _escape(text: str) -> str:
    """Text as literal MyST: no emphasis from n*d, no math from a $, no link from [x]."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def headlines(rows: pd.DataFrame) -> pd.DataFrame:
    """One chapter's headline rows: those marked ``headline``, else its first
    decided rows, those that state an interval and the blog's claims first."""
    marked = rows[rows["headline"].astype(bool)]
    if len(marked):
        return marked
    decided = rows[rows["verdict"].isin(DECIDED)]
    rank = (~decided["measured"].str.contains(_INTERVAL)).astype(int) * 2 + (
        ~decided["source"].str.contains("blog", case=False)
    ).astype(int)
    return decided.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank").head(FALLBACK_HEADLINES)


def tally(counts: dict[str, int]) -> str:
    """ "17 supported, 5 partly and 8 not supported": the verdicts that occur, in legend order."""
    parts = [f"{count} {verdict}" for verdict, count in counts.items() if count]
    if not parts:
        return "none"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def findings_markdown(claims: pd.DataFrame) -> str:
    """One paragraph per chapter, as MyST: the chapter (linked), its verdict
    counts, then its headline findings, each the claim, the value measured
    here and the verdict with its one-sentence why."""
    blocks = []
    for entry in registry.STUDIES:
        rows = claims[claims["chapter"] == entry.title]
        if rows.empty:
            continue
        lines = [
            f"**[{_escape(entry.title)}]({entry.chapter})**: {len(rows)} claims checked, {tally(ledger.counts(rows))}."
        ]
        for row in headlines(rows).to_dict("records"):
            style = ledger.VERDICT_STYLES[row["verdict"]]
            short, _, _ = ledger.short_why(row["why"], row["detail"])
            measured = f" Measured here: {_escape(row['measured'])}." if row["measured"] else ""
            lines.append(
                f"- *{_escape(row['claim'])}*.{measured} **{style['symbol']} {row['verdict']}**: {_escape(short)}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


#: A chapter's Findings box: at least this many bullets where it has them, at most ``FINDINGS_MOST``.
FINDINGS_LEAST, FINDINGS_MOST = 3, 5


def chapter_findings(claims: pd.DataFrame) -> str:
    """A chapter's Findings box, as MyST bullets, from its own claims table
    (``study.claims_table``): its headline rows, then its other decided rows
    with an interval, the blog's claims first, to at least ``FINDINGS_LEAST``
    bullets and at most ``FINDINGS_MOST``. Each: the verdict (symbol and
    word), the claim, what was measured, and the one-sentence why."""
    rows = claims.copy()
    for column, default in ledger.OPTIONAL.items():
        rows[column] = [ledger.or_default(v, default) for v in rows[column]] if column in rows else default
    chosen = headlines(rows)
    if len(chosen) < FINDINGS_LEAST:
        decided = rows[rows["verdict"].isin(DECIDED) & ~rows.index.isin(chosen.index)]
        rank = (~decided["measured"].astype(str).str.contains(_INTERVAL)).astype(int) * 2 + (
            ~decided["source"].astype(str).str.contains("blog", case=False)
        ).astype(int)
        extra = decided.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")
        chosen = pd.concat([chosen, extra.head(FINDINGS_LEAST - len(chosen))])
    lines = []
    for row in chosen.head(FINDINGS_MOST).to_dict("records"):
        style = ledger.VERDICT_STYLES[row["verdict"]]
        short, _, _ = ledger.short_why(row["why"], row["detail"])
        measured = f" Measured: {_escape(row['measured'])}." if row["measured"] else ""
        why = short[:1].upper() + short[1:] + ("" if short.endswith((".", "…", "?", "!")) else ".")
        lines.append(f"- **{style['symbol']} {row['verdict']}**: *{_escape(row['claim'])}*.{measured} {_escape(why)}")
    return "\n".join(lines)


def glued(claims: pd.DataFrame) -> dict[str, object]:
    """The landing page's glued values: the counts, a sentence of them, and
    the findings block (Markdown, pasted with ``{glue:md}``)."""
    from IPython.display import Markdown

    counts = ledger.counts(claims)
    decided = sum(counts[v] for v in DECIDED)
    return {
        "claims_total": len(claims),
        "claims_decided": decided,
        "claims_tally": tally(counts),
        "chapters_total": claims["chapter"].nunique(),
        "findings": Markdown(findings_markdown(claims)),
    }
