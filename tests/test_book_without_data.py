"""The book builds from the committed records alone: no page needs the data
mirror to find its records (GitHub's runners, a reader's laptop)."""

import pytest

from gobig.core import registry
from gobig.core.sweep import profile_records
from gobig.data import codecontests
from gobig.studies import gpt3

pytestmark = pytest.mark.unit


def test_the_mirrors_published_checksums_are_the_files(tmp_path):
    from gobig.core import paths

    for name, digest in codecontests.MIRROR_SHA256.items():
        sums = dict(
            line.split()[::-1] for line in (paths.data_dir() / "codecontests" / "SHA256SUMS").read_text().splitlines()
        )
        assert sums[name] == digest


@pytest.mark.parametrize("study", [entry.study for entry in registry.STUDIES], ids=lambda s: s.STUDY)
def test_a_chapters_default_records_are_found_without_the_data(study, tmp_path, monkeypatch):
    with_data = profile_records(study, study.DEFAULT_PROFILE)
    monkeypatch.setenv("GOBIG_DATA_DIR", str(tmp_path / "no-data"))
    without = profile_records(study, study.DEFAULT_PROFILE)
    assert with_data is not None and without is not None
    assert [r["key"] for r in without] == [r["key"] for r in with_data]


def test_chapter_2_needs_no_data(tmp_path, monkeypatch):
    monkeypatch.setenv("GOBIG_DATA_DIR", str(tmp_path / "no-data"))
    assert gpt3.default_record() is not None
