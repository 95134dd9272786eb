"""The claims ledger is built from records: every row is backed by a
committed result record, or marked pending with no number."""

import html
import re

import pytest

from gobig.core import paths
from gobig.report import ledger

pytestmark = pytest.mark.unit

REQUIRED_CLAIMS = ["90% robust", "95% robust", "688K", "n*d", "175T", "4.1%", "0.8%"]


@pytest.fixture(scope="module")
def claims():
    return ledger.build()


def test_every_row_is_backed_by_a_record_or_pending(claims):
    assert list(claims.columns) == ledger.COLUMNS
    for row in claims.to_dict("records"):
        if row["verdict"] == "pending":
            assert row["measured"] == "" and row["records"] == [] and row["device"] == "", row
        else:
            assert row["records"], f"no record behind: {row['claim']}"
            for key in row["records"]:
                assert list(paths.results_dir().glob(f"*/{key}.json")), (
                    f"record {key} of {row['claim']!r} is not committed"
                )
            assert row["device"], f"no device named for: {row['claim']}"


@pytest.mark.parametrize("fragment", REQUIRED_CLAIMS)
def test_the_ledger_lists_every_claim_the_book_tests(claims, fragment):
    assert claims["claim"].str.contains(fragment, regex=False).any(), fragment


def test_missing_records_turn_rows_pending(tmp_path):
    empty = ledger.build(tmp_path)
    assert set(empty["verdict"]) == {"pending"}
    assert (empty["measured"] == "").all()


# ---- the contract of a claims table's rows (gobig.report.ledger's docstring) ----


def test_every_why_is_one_short_sentence(claims):
    """The chapters' whys, as their claims tables give them: one sentence a
    reader takes in at a glance, the full reasoning in ``detail``."""
    long = [
        f"{row['chapter']}: {row['claim'][:60]!r} ({len(row['why'])} characters)"
        for row in claims.to_dict("records")
        if len(row["why"]) > ledger.WHY_LIMIT
    ]
    assert not long, (
        f"{len(long)} whys exceed {ledger.WHY_LIMIT} characters; move the reasoning to `detail`:\n" + "\n".join(long)
    )


def test_a_long_why_is_cut_at_a_clause_and_folded_whole():
    why = "the whole interval lies above the claim; " + "robust accuracy here is the worst case over attacks, " * 5
    short, folded, cut = ledger.short_why(why)
    assert cut and len(short) <= ledger.WHY_LIMIT and short.endswith("…")
    assert short.startswith("the whole interval lies above the claim")
    assert folded == " ".join(why.split()), "the folded text is the whole why"
    assert ledger.short_why("short enough", "the detail") == ("short enough", "the detail", False)


def test_rows_get_the_optional_columns_and_every_verdict_a_symbol_and_colour(claims):
    assert claims["headline"].map(type).eq(bool).all() and claims["detail"].map(type).eq(str).all()
    assert set(ledger.VERDICT_STYLES) == set(ledger.VERDICTS)
    symbols = [style["symbol"] for style in ledger.VERDICT_STYLES.values()]
    colours = [style["colour"] for style in ledger.VERDICT_STYLES.values()]
    assert len(set(symbols)) == len(symbols) and len(set(colours)) == len(colours)


def test_the_ledger_html_folds_reasoning_and_records_under_each_row(claims):
    from gobig.report import plotting

    markup = plotting.ledger_table(claims, name="ledger").data
    rows = re.findall(r'<tr class="gobig-claim".*?</tr>', markup, re.S)
    assert len(rows) == len(claims)
    for row, claim in zip(rows, claims.to_dict("records")):
        why = re.search(r'<span class="gobig-why"[^>]*>(.*?)</span>', row).group(1)
        assert len(html.unescape(why)) <= ledger.WHY_LIMIT
        assert "<details>" in row and ledger.VERDICT_STYLES[claim["verdict"]]["symbol"] in row
        for key in claim["records"][:3]:
            assert f"{key}.json" in row, f"record {key} not listed under {claim['claim']!r}"
    for verdict in set(claims["verdict"]):
        assert f'value="{verdict.replace(" ", "-")}"' in markup, f"no filter button for {verdict}"
    assert plotting.ledger_table(claims, name="ledger").data == markup, "stored outputs must be byte-stable (nbval)"


def test_the_landing_page_findings_name_every_chapter_with_numbers(claims):
    from gobig.core import registry
    from gobig.report import summary

    text = summary.findings_markdown(claims)
    for entry in registry.STUDIES:
        assert f"]({entry.chapter})" in text, f"no findings for {entry.title}"
        rows = claims[claims["chapter"] == entry.title]
        assert len(summary.headlines(rows)) >= 1
    assert re.search(r"\d", text)
    marked = claims.assign(headline=claims.index == claims.index[-1])
    assert list(summary.headlines(marked[marked["chapter"] == marked["chapter"].iloc[-1]]).index) == [claims.index[-1]]
