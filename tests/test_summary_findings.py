"""A chapter's Findings box (gobig.report.summary.chapter_findings): its
headline rows first, padded with decided rows to at least three, at most
five, each with its verdict's symbol and word."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from gobig.report import summary

pytestmark = pytest.mark.unit


def row(claim, verdict, measured="", source="the paper", headline=False, why="Because."):
    return {
        "claim": claim,
        "verdict": verdict,
        "measured": measured,
        "source": source,
        "why": why,
        "headline": headline,
    }


def test_headlines_come_first_and_decided_rows_with_intervals_fill_to_three():
    claims = pd.DataFrame(
        [
            row("pending claim", "pending"),
            row("no interval", "supported", measured="12"),
            row("blog, interval", "not supported", measured="40% [35, 45]", source="blog post"),
            row("the headline", "partly", measured="1 [0, 2]", headline=True),
            row("not checkable", "not checkable"),
        ]
    )
    bullets = summary.chapter_findings(claims).splitlines()
    assert [re.search(r": \*([^*]+)\*", b).group(1) for b in bullets] == [
        "the headline",
        "blog, interval",
        "no interval",
    ]
    assert bullets[0].startswith("- **◐ partly**: *the headline*. Measured: 1 \\[0, 2\\]. Because.")


def test_at_most_five_bullets():
    claims = pd.DataFrame([row(f"claim {i}", "supported", headline=True) for i in range(8)])
    assert len(summary.chapter_findings(claims).splitlines()) == summary.FINDINGS_MOST


def test_every_chapter_marks_the_headlines_it_names():
    from gobig.core.study import mark_headlines

    claims = pd.DataFrame([row("the answer", "supported"), row("a detail", "supported")])
    assert mark_headlines(claims, ("the ans",))["headline"].tolist() == [True, False]
    with pytest.raises(ValueError, match="reworded"):
        mark_headlines(claims, ("a reworded claim",))
