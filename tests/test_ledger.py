"""The claims ledger is built from records: every row is backed by a
committed result record, or marked pending with no number."""

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
